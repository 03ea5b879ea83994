package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MinLoadRegisterTest {
    private static final long STALE = 1_000;

    @Test
    void lowerLoadTakesTheRegister() {
        MinLoadRegister r = new MinLoadRegister(3, STALE);
        r.heartbeat(0, 50, 0);
        r.heartbeat(1, 20, 0);
        r.heartbeat(2, 30, 0);
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
        MinLoadRegister r = new MinLoadRegister(3, STALE);
        r.heartbeat(0, 10, 0);
        r.heartbeat(1, 40, 0);
        r.heartbeat(2, 30, 0);
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
}
