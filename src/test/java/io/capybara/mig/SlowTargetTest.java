package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.mig.FaultInjector.Action;
import io.capybara.mig.FaultInjector.Where;
import io.capybara.wire.TcpMigHeader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A target that is slow, not dead (a starved process on a loaded machine): every CONN_STATE and
 * ABORT reaches it only after the origin's resends ran out (about 16 ms here). Before the fix
 * the origin took the connection back at once and the late state gave it a second holder.
 */
class SlowTargetTest {
    /** @param lateNanos how late the state reaches the target; its hold is 50 ms */
    @ParameterizedTest
    @ValueSource(longs = {30_000_000L, 70_000_000L})
    void lateStateLeavesTheConnectionWithExactlyOneServer(long lateNanos) {
        MiniRack r = MiniRack.of(4242, 2, 4L << 20).warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(2_000_000);
        for (int k = 1; k <= 400; k++) { // every fragment of every resend, every ABORT
            r.faults.add(new FaultInjector.Rule(TcpMigHeader.CONN_STATE, k, Action.DELAY, Where.SERVER, lateNanos));
            r.faults.add(new FaultInjector.Rule(TcpMigHeader.ABORT, k, Action.DELAY, Where.SERVER, lateNanos + 1_000_000L));
        }
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        for (int i = 0; i < 40; i++) {
            r.runFor(5_000_000);
            r.holder(c); // throws if two servers hold it (meanwhile the origin forwards to the target)
        }
        assertTrue(r.faults.injected(Action.DELAY, TcpMigHeader.CONN_STATE) > 13, "the state came late, resends too");
        int expected = lateNanos < 50_000_000L ? 1 : 0; // in the hold: the target restores; after: refuses
        assertEquals(expected, r.holder(c));
        // (With the state in the hold, the switch may stay pointed at the origin, whose forward
        // table passes the client's segments on: whole, but one hop longer. Not asserted here.)
        assertEquals(1 - expected, r.engines[0].counter(MigCounter.RESTORED_LOCALLY));
        assertTrue(r.run(30_000_000_000L, c::complete), c.toString());
        assertEquals(0, r.apps[0].mismatches);
        assertEquals(0, r.apps[1].mismatches);
    }
}
