package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MinLoadRegisterTest {
    private static final long STALE = 1_000;

    /** A register of {@code loads.length} servers, each of which sent one heartbeat at time 0, in index order. */
    private static MinLoadRegister afterHeartbeats(long... loads) {
        MinLoadRegister r = new MinLoadRegister(loads.length, STALE);
        for (int i = 0; i < loads.length; i++) {
            r.heartbeat(i, loads[i], 0);
        }
        return r;
    }

    @Test
    void lowerLoadTakesTheRegister() {
        MinLoadRegister r = afterHeartbeats(50, 20, 30);
        assertEquals(1, r.minServer());
        assertEquals(1, r.choose(0, 10));
    }

    @Test
    void holderHeartbeatRaisesTheMinimum() {
        MinLoadRegister r = new MinLoadRegister(3, STALE);
        r.heartbeat(0, 50, 0);
        r.heartbeat(1, 20, 0);
        r.heartbeat(1, 90, 5); // the holder got busy: the register follows it up
        assertEquals(1, r.minServer());
        assertEquals(90, r.minLoad());
        r.heartbeat(2, 60, 6); // next lower heartbeat takes over
        assertEquals(2, r.minServer());
    }

    @Test
    void originIsNeverChosen() {
        MinLoadRegister r = afterHeartbeats(10, 40, 30);
        assertEquals(0, r.minServer());
        assertEquals(2, r.choose(0, 1));
    }

    @Test
    void silentServersAreNotChosen() {
        MinLoadRegister r = new MinLoadRegister(3, STALE);
        r.heartbeat(1, 10, 0);
        r.heartbeat(2, 30, 600);
        assertEquals(1, r.choose(0, 900));
        assertEquals(2, r.choose(0, 1200), "server 1 went silent");
        assertEquals(MinLoadRegister.NONE, r.choose(0, 2000), "everyone went silent");
        assertEquals(MinLoadRegister.NONE, new MinLoadRegister(2, STALE).choose(0, 0), "no heartbeats yet");
    }

    @Test
    void onlyTheOriginAliveMeansNoTarget() {
        MinLoadRegister r = new MinLoadRegister(2, STALE);
        r.heartbeat(0, 5, 0);
        assertEquals(MinLoadRegister.NONE, r.choose(0, 1));
    }
    /** An equal load from another server does not take the register: the holder keeps it (no churn on ties). */
    @Test
    void anEqualLoadElsewhereLeavesTheHolder() {
        MinLoadRegister r = new MinLoadRegister(3, STALE);
        r.heartbeat(0, 20, 0);
        r.heartbeat(1, 20, 1);
        assertEquals(0, r.minServer());
        assertEquals(3, r.servers());
    }

    /** When the register names the origin, the scan picks the least loaded other server, the lowest index on ties. */
    @Test
    void theScanBreaksTiesByLowestIndex() {
        MinLoadRegister r = new MinLoadRegister(4, STALE);
        r.heartbeat(0, 10, 0);
        r.heartbeat(3, 30, 0);
        r.heartbeat(1, 30, 0);
        r.heartbeat(2, 40, 0);
        assertEquals(0, r.minServer());
        assertEquals(1, r.choose(0, 1));
        assertEquals(30, r.load(1));
        assertEquals(Long.MAX_VALUE, new MinLoadRegister(2, STALE).load(1), "no heartbeat yet: no load known");
    }

    /** A server is live for strictly less than the stale time after its last heartbeat. */
    @Test
    void livenessEndsExactlyAtTheStaleTime() {
        MinLoadRegister r = new MinLoadRegister(2, STALE);
        r.heartbeat(1, 5, 100);
        assertEquals(true, r.isLive(1, 100 + STALE - 1));
        assertEquals(false, r.isLive(1, 100 + STALE));
        assertEquals(100 + STALE, r.staleAt(1));
        assertEquals(Long.MAX_VALUE, r.staleAt(0));
        assertEquals(false, r.isLive(0, 0), "never heard from");
    }
}
