package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Client segments a target buffered for a migration that an ABORT ends are sent on to the
 * ABORT's sender (the server keeping the connection) instead of being dropped. Found with
 * {@code ./capybara lab}: a retransmitted PREPARE_MIG steered to a second target, or an origin
 * that gave up, left segments in the stray target's buffer; Linux clients then waited a 200 ms
 * RTO for each (client_tcp_rto_timeouts 2-8 per 8 s run, latency max about 250 ms).
 */
class AbortHandBackTest {
    private static final long BIG = 4L << 20;

    @Test
    void segmentsBufferedBeforeAnAbortReachTheOriginThatKeepsTheConnection() {
        // a state limit no connection fits: the origin aborts once it has the target's ACK
        MiniRack r = new MiniRack(41, 2, BIG, MiniRack.link(), sc -> sc,
                m -> m.withPools(m.maxOutgoing(), m.tempBufferSlots(), m.tempBufferFrames(), m.tempBufferBytes(), 64))
                .warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(2_000_000);
        // Once the target has prepared (its ACK re-points the switch, so the client's segments go
        // to its buffer), cut the origin off for a while: that ACK is lost, a resent PREPARE_MIG
        // gets a second one after the link is back, and only then does the origin send ABORT.
        boolean[] cut = {false};
        r.sim.onStep(() -> {
            if (!cut[0] && r.engines[1].counter(MigCounter.PREPARED) > 0) {
                cut[0] = true;
                r.links[0].down(r.sim.now(), r.sim.now() + 500_000);
            }
        });
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        assertTrue(r.run(200_000_000L, r::quiet), "migration did not end");
        String counters = "target " + r.engines[1].counters() + " origin " + r.engines[0].counters();
        assertEquals(1, r.engines[0].counter(MigCounter.ABORTED_SNAPSHOT_TOO_LARGE), counters);
        assertEquals(1, r.engines[1].counter(MigCounter.ABORT_RECEIVED), counters);
        assertEquals(0, r.engines[1].counter(MigCounter.RESTORED), counters);
        long buffered = r.engines[1].counter(MigCounter.SEGMENTS_BUFFERED);
        assertTrue(buffered > 0, "the client's segments were buffered at the target: " + counters);
        assertEquals(buffered, r.engines[1].counter(MigCounter.SEGMENTS_HANDED_BACK),
                "every buffered segment went on to the origin: " + counters);
        assertEquals(0, r.holder(c));
        assertEquals(0, r.switchTarget(c));
        assertTrue(r.run(10_000_000_000L, c::complete), c.toString());
        assertEquals(0, r.apps[0].mismatches);
        assertEquals(0, c.conn.stats().resetsIn());
    }
}
