package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.mig.FaultInjector.Action;
import io.capybara.mig.FaultInjector.Where;
import io.capybara.wire.TcpMigHeader;
import org.junit.jupiter.api.Test;

/**
 * A late copy of a PREPARE_MIG reaches the switch after the migration completed and is steered
 * to a second target, whose ACK re-points the switch there. The origin asks the target that
 * holds the connection to re-assert itself. Each of those one-shot messages may be lost: the
 * stray target, whose hold then runs out, asks the origin again (REJECT, hold expired) until the
 * holder's ABORT frees it. Before, a single loss left the switch at the stray target for good.
 */
class StrayTargetTest {
    static final long LATE = 3_000_000L;

    private static MiniRack strayAfterMove(long seed, FaultInjector.Rule lost) {
        MiniRack r = MiniRack.of(seed, 3, 32L << 20); // still streaming when every hold has run out
        r.faults.add(new FaultInjector.Rule(TcpMigHeader.PREPARE_MIG, 1, Action.LATE_COPY, Where.SWITCH, LATE));
        if (lost != null) {
            r.faults.add(lost);
        }
        r.warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        assertTrue(r.run(LATE, () -> r.engines[0].counter(MigCounter.COMPLETED) == 1), "the move completes first");
        return r;
    }

    private static void assertWhole(MiniRack r, String what) {
        MiniRack.Client c = r.clients.get(0);
        r.runFor(LATE + 1_000_000L); // the late copy lands and is answered
        assertTrue(r.run(100_000_000L, r::quiet), "a slot or migration left behind: " + what);
        assertEquals(1, r.sw.directory().size(), "the connection is still open: " + what);
        assertTrue(r.engines[0].counter(MigCounter.STRAY_ACK) > 0, "the late copy made a stray ACK: " + what);
        int h = r.holder(c);
        assertTrue(h == 1 || h == 2, "held by a target: " + h + " " + what);
        assertEquals(h, r.switchTarget(c), "the switch sends the connection to its holder: " + what);
        assertTrue(r.run(30_000_000_000L, c::complete), c + " " + what);
        assertEquals(0, r.apps[0].resets + r.apps[1].resets + r.apps[2].resets, what);
    }

    @Test
    void aLateCopyOfPrepareSteeredToASecondTargetIsUndone() {
        assertWhole(strayAfterMove(2101, null), "no loss");
    }

    @Test
    void theReassertRequestLostStillEndsWithTheSwitchAtTheHolder() {
        assertWhole(strayAfterMove(2102, new FaultInjector.Rule(TcpMigHeader.REJECT, 1, Action.DROP, Where.SWITCH, 0)),
                "re-assert REJECT lost");
    }

    @Test
    void theHoldersAbortLostStillEndsWithTheSwitchAtTheHolder() {
        assertWhole(strayAfterMove(2103, new FaultInjector.Rule(TcpMigHeader.ABORT, 1, Action.DROP, Where.SWITCH, 0)),
                "holder's ABORT lost");
    }
}
