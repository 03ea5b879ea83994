package io.capybara.mig;

import static io.capybara.mig.MigrationEngineTest.awaitQuiet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.rack.RackSimulation;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.TcpMigHeader;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The origin side's limits and endings on a small rack: how many migrations it runs at once,
 * the quiet time after an abort, an ABORT nobody confirms, an operator's choice of target, and
 * the switch entry a moved connection leaves behind when it ends.
 */
class OriginRulesTest {
    /** A state limit no connection fits: the origin aborts once the target has acknowledged. */
    static final UnaryOperator<MigrationConfig> TINY_STATE = m -> m.withPools(m.maxOutgoing(), m.tempBufferSlots(),
            m.tempBufferFrames(), m.tempBufferBytes(), 64);

    @Test
    void withOneOutgoingSlotASecondMigrationWaitsForTheFirst() {
        MiniRack r = new MiniRack(51, 2, 1L << 20, MiniRack.link(), s -> s,
                m -> m.withPools(1, m.tempBufferSlots(), m.tempBufferFrames(), m.tempBufferBytes(), m.maxStateBytes()))
                .warm();
        MiniRack.Client a = r.connect(0);
        MiniRack.Client b = r.connect(0);
        r.runFor(1_000_000);
        MigrationEngine e = r.engines[0];
        int first = e.migrate(r.serverSide(a));
        assertTrue(first > 0);
        assertEquals(1, e.outgoing());
        assertTrue(e.isMigrating(a.conn.localIp(), a.conn.localPort(), MiniRack.PORT));
        assertFalse(e.isMigrating(b.conn.localIp(), b.conn.localPort(), MiniRack.PORT));
        assertEquals(-1, e.migrate(r.serverSide(b)));
        assertEquals(1, e.counter(MigCounter.TOO_MANY_OUTGOING));
        assertEquals(0, e.counter(MigCounter.NOT_ELIGIBLE));
        awaitQuiet(r);
        assertEquals(0, e.outgoing());
        assertFalse(e.isMigrating(a.conn.localIp(), a.conn.localPort(), MiniRack.PORT));
        assertEquals(first + 1, e.migrate(r.serverSide(b)), "migration ids count up");
        awaitQuiet(r);
        assertEquals(1, r.holder(a));
        assertEquals(1, r.holder(b));
        assertEquals(2, e.counter(MigCounter.COMPLETED));
    }

    /**
     * An aborted migration's ABORT is confirmed by the target (ABORT-ACK); copies of it may still
     * be in the network for a cool-down, so the connection is not migrated again until then.
     */
    @Test
    void afterAConfirmedAbortTheConnectionStaysPutForACooldown() {
        MiniRack r = new MiniRack(52, 2, 1L << 20, MiniRack.link(), s -> s, TINY_STATE).warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        MigrationEngine e = r.engines[0];
        TcpConnection s = r.serverSide(c);
        assertTrue(e.migrate(s) > 0);
        awaitQuiet(r);
        assertEquals(1, e.counter(MigCounter.ABORTED_SNAPSHOT_TOO_LARGE));
        assertEquals(1, e.counter(MigCounter.ABORT_CONFIRMED));
        assertEquals(0, e.counter(MigCounter.ABORT_UNCONFIRMED));
        assertEquals(0, r.holder(c));
        assertEquals(-1, e.migrate(s), "its ABORTs may still be on the way");
        assertEquals(1, e.counter(MigCounter.NOT_ELIGIBLE));
        r.runFor(e.config().cooldownNanos() + 500_000); // (the engine's clock is its last poll's)
        assertTrue(e.migrate(s) > 0, "the cool-down is over");
        awaitQuiet(r);
        assertEquals(2, e.counter(MigCounter.ABORT_CONFIRMED));
        assertTrue(r.run(10_000_000_000L, c::complete), c.toString());
    }

    @Test
    void anAbortNobodyConfirmsEndsAfterItsRetriesWithTheConnectionHome() {
        MiniRack r = new MiniRack(53, 2, 1L << 20, MiniRack.link(), s -> s, TINY_STATE).warm();
        for (int k = 1; k <= 20; k++) {
            r.faults.add(new FaultInjector.Rule(TcpMigHeader.ABORT, k, FaultInjector.Action.DROP,
                    FaultInjector.Where.SERVER, 0));
        }
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        MigrationEngine e = r.engines[0];
        assertTrue(e.migrate(r.serverSide(c)) > 0);
        assertTrue(r.run(50_000_000L, () -> e.outgoing() == 0));
        assertEquals(1, e.counter(MigCounter.ABORT_UNCONFIRMED));
        assertEquals(0, e.counter(MigCounter.ABORT_CONFIRMED));
        assertEquals(1 + e.config().abortRetries(), r.faults.injected(FaultInjector.Action.DROP, TcpMigHeader.ABORT),
                "the first ABORT and every resend were lost");
        assertEquals(0, r.holder(c));
        assertEquals(0, r.switchTarget(c), "the switch acted on the ABORTs it passed on");
        assertEquals(0, r.engines[0].counter(MigCounter.RESTORED_LOCALLY), "no state went out: nothing to take back");
        assertTrue(r.run(200_000_000L, r::quiet), "the target's hold runs out");
        assertEquals(1, r.engines[1].counter(MigCounter.HOLD_EXPIRED));
        assertTrue(r.run(10_000_000_000L, c::complete), c.toString());
    }

    /** An operator's target is honoured even when the switch would pick another; itself is no target. */
    @Test
    void anExplicitTargetIsHonouredAndTheOriginItselfIsRefused() {
        MiniRack r = MiniRack.of(54, 3, 1L << 20).warm();
        MigrationEngineTest.loads(r, 50, 0, 100); // the switch would pick server 1
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        MigrationEngine e = r.engines[0];
        assertTrue(e.migrate(r.serverSide(c), RackSimulation.ip(2)) > 0);
        awaitQuiet(r);
        assertEquals(2, r.holder(c));
        assertEquals(2, r.switchTarget(c));
        MigrationEngine at2 = r.engines[2];
        assertTrue(at2.migrate(r.serverSide(c), RackSimulation.ip(2)) > 0);
        awaitQuiet(r);
        assertEquals(1, at2.counter(MigCounter.REJECTED_NO_TARGET), "not to itself");
        assertEquals(2, r.holder(c));
        assertEquals(2, r.switchTarget(c));
        assertTrue(r.run(10_000_000_000L, c::complete), c.toString());
    }

    /**
     * A connection that ended at a server other than its original one has the switch drop its
     * directory entry (the switch cannot always see both FINs); one at its original server has
     * no entry to drop.
     */
    @Test
    void aMovedConnectionThatEndsReleasesItsDirectoryEntry() {
        MiniRack r = MiniRack.of(55, 2, 256 * 1024).warm();
        MiniRack.Client moved = r.connect(0);
        MiniRack.Client stayed = r.connect(0);
        r.runFor(500_000);
        assertTrue(r.engines[0].migrate(r.serverSide(moved)) > 0);
        awaitQuiet(r);
        assertEquals(1, r.sw.directory().size());
        assertTrue(r.run(10_000_000_000L, () -> moved.complete() && stayed.complete()));
        assertTrue(r.run(1_000_000_000L, () -> r.servers[1].connectionCount() == 0));
        r.runFor(1_000_000);
        assertEquals(1, r.engines[1].counter(MigCounter.DIRECTORY_RELEASED));
        assertEquals(3, r.faults.seen(FaultInjector.Where.SWITCH, TcpMigHeader.ABORT), "three copies, none answered");
        assertEquals(0, r.engines[0].counter(MigCounter.DIRECTORY_RELEASED));
        assertEquals(0, r.sw.directory().size());
        assertEquals(null, r.hashDisagreement(), "byte oracle");
    }
}
