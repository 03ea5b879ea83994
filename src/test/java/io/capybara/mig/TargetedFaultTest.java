package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.mig.FaultInjector.Action;
import io.capybara.mig.FaultInjector.Where;
import io.capybara.tor.MigrationDirectory;
import io.capybara.wire.TcpMigHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The k-th TCPMig message of each type dropped, duplicated or delayed, at the switch (before
 * it acts on the message) or at the receiving server (after it did). Each case asserts that
 * the fault was injected and that the migration ended correctly: one outcome, the connection
 * whole on exactly one server with the switch agreeing, every byte delivered once and in order
 * (both byte oracles), no reset, nothing left behind.
 */
class TargetedFaultTest {
    static final long BYTES = 1L << 20;
    /** Longer than the origin's prepare and state timeouts (1 ms): a late copy arrives after a resend. */
    static final long DELAY = 3_000_000L;

    enum Scenario {
        /** A plain migration 0 -> 1: PREPARE_MIG, PREPARE_MIG_ACK, CONN_STATE (fragments), CONN_STATE_ACK. */
        MOVE,
        /** The switch's directory slot is taken: REJECT (directory full) and the origin's ABORT. */
        DIRECTORY_FULL,
        /** The target has one prepared slot and two migrations ask: REJECT (target busy). */
        TARGET_BUSY
    }

    static String name(int type) {
        return switch (type) {
            case TcpMigHeader.PREPARE_MIG -> "PREPARE_MIG";
            case TcpMigHeader.PREPARE_MIG_ACK -> "PREPARE_MIG_ACK";
            case TcpMigHeader.REJECT -> "REJECT";
            case TcpMigHeader.CONN_STATE -> "CONN_STATE";
            case TcpMigHeader.CONN_STATE_ACK -> "CONN_STATE_ACK";
            case TcpMigHeader.ABORT -> "ABORT";
            default -> "type" + type;
        };
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Action a : new Action[] {Action.DROP, Action.DUPLICATE, Action.DELAY}) {
            for (Where w : Where.values()) {
                for (int t : new int[] {TcpMigHeader.PREPARE_MIG, TcpMigHeader.PREPARE_MIG_ACK, TcpMigHeader.CONN_STATE,
                        TcpMigHeader.CONN_STATE_ACK}) {
                    out.add(Arguments.of(Scenario.MOVE, t, 1, a, w));
                }
                out.add(Arguments.of(Scenario.MOVE, TcpMigHeader.CONN_STATE, 2, a, w)); // a later fragment
                out.add(Arguments.of(Scenario.DIRECTORY_FULL, TcpMigHeader.REJECT, 1, a, w));
                out.add(Arguments.of(Scenario.DIRECTORY_FULL, TcpMigHeader.ABORT, 1, a, w));
                out.add(Arguments.of(Scenario.TARGET_BUSY, TcpMigHeader.REJECT, 1, a, w));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {3} the {2}. {1} at the {4}")
    @MethodSource("cases")
    void theKthMessageOfEachTypeLostDuplicatedOrDelayedAndTheMigrationStillEndsWhole(Scenario scenario, int type,
                                                                                    int k, Action action, Where where) {
        String what = scenario + ": " + action + " the " + k + ". " + name(type) + " at the " + where;
        long seed = 1900 + scenario.ordinal() * 100 + type * 10 + k + action.ordinal() * 1000 + where.ordinal() * 3000;
        MiniRack r = switch (scenario) {
            case MOVE -> MiniRack.of(seed, 2, BYTES);
            case DIRECTORY_FULL -> new MiniRack(seed, 2, BYTES, MiniRack.link(), sc -> sc.withLevels(1), m -> m);
            case TARGET_BUSY -> new MiniRack(seed, 2, BYTES, MiniRack.link(), s -> s,
                    m -> m.withPools(4, 1, 64, 64 * 1024, 1 << 20));
        };
        r.faults.add(new FaultInjector.Rule(type, k, action, where, DELAY));
        r.warm();
        List<MiniRack.Client> cs = new ArrayList<>();
        cs.add(r.connect(0));
        if (scenario == Scenario.TARGET_BUSY) {
            cs.add(r.connect(0));
        }
        r.runFor(1_000_000);
        int[] junk = null;
        if (scenario == Scenario.DIRECTORY_FULL) {
            MiniRack.Client c = cs.get(0);
            int hash = MigrationDirectory.hash16(c.conn.localIp(), c.conn.localPort());
            int other = 0x0A090909;
            int port = 1;
            while (MigrationDirectory.hash16(other, port) != hash) {
                port++;
            }
            assertTrue(r.sw.directory().install(other, port, 0, 1, 0) >= 0);
            junk = new int[] {other, port};
        }
        for (MiniRack.Client c : cs) {
            assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0, what);
        }
        assertTrue(r.run(500_000_000L, r::quiet), "migration did not end: " + what);
        r.runFor(DELAY + 1_000_000); // a delayed copy lands, and is dealt with, after the end
        assertTrue(r.run(500_000_000L, r::quiet), "a late copy restarted something: " + what);

        assertEquals(1, r.faults.injected(action, type), "the fault was injected once: " + what);
        long started = r.engines[0].counter(MigCounter.STARTED);
        long ended = r.engines[0].counter(MigCounter.COMPLETED) + rejected(r.engines[0]) + aborted(r.engines[0]);
        assertEquals(started, ended, "every migration ended exactly one way: " + what + " " + r.engines[0]);
        switch (scenario) {
            case MOVE -> assertEquals(1, started);
            case DIRECTORY_FULL -> assertEquals(1, r.engines[0].counter(MigCounter.REJECTED_DIRECTORY_FULL), what);
            // a lost or late REJECT: the origin asks again, and by then the first move has freed the slot
            case TARGET_BUSY -> assertEquals(2, started, what);
        }
        // the recovery the fault calls for happened
        if (scenario == Scenario.MOVE && action == Action.DROP) {
            switch (type) {
                case TcpMigHeader.PREPARE_MIG, TcpMigHeader.PREPARE_MIG_ACK ->
                        assertTrue(r.engines[0].counter(MigCounter.PREPARE_RETRANSMITTED) > 0, what);
                case TcpMigHeader.CONN_STATE, TcpMigHeader.CONN_STATE_ACK ->
                        assertTrue(r.engines[0].counter(MigCounter.STATE_RETRANSMITTED) > 0, what);
                default -> { }
            }
            if (type == TcpMigHeader.CONN_STATE_ACK) {
                assertTrue(r.engines[1].counter(MigCounter.STATE_REACKED) > 0, "the target acknowledged again: " + what);
            }
        }
        if (scenario == Scenario.MOVE && action == Action.DUPLICATE && where == Where.SERVER) {
            MigCounter dup = switch (type) {
                case TcpMigHeader.PREPARE_MIG -> MigCounter.PREPARE_DUPLICATE;
                case TcpMigHeader.CONN_STATE -> MigCounter.STATE_FRAGMENT_DUPLICATE;
                default -> MigCounter.CONTROL_DUPLICATE;
            };
            int at = type == TcpMigHeader.PREPARE_MIG || type == TcpMigHeader.CONN_STATE ? 1 : 0;
            assertTrue(r.engines[at].counter(dup) > 0, "the copy was recognised (" + dup + "): " + what);
        }
        for (MiniRack.Client c : cs) {
            int h = r.holder(c);
            assertTrue(h == 0 || h == 1, "held by exactly one server: " + what);
            assertEquals(h, r.switchTarget(c), "the switch agrees with the holder: " + what);
        }
        for (MiniRack.Client c : cs) {
            assertTrue(r.run(30_000_000_000L, c::complete), c + " " + what);
        }
        assertEquals(0, r.apps[0].mismatches + r.apps[1].mismatches, what);
        assertEquals(0, r.apps[0].resets + r.apps[1].resets, what);
        if (junk != null) {
            r.sw.directory().remove(r.sw.directory().find(junk[0], junk[1]));
        }
        MigrationFaultTest.assertDirectoryEmptyAfterClose(r);
    }

    static long rejected(MigrationEngine e) {
        return e.counter(MigCounter.REJECTED_NO_TARGET) + e.counter(MigCounter.REJECTED_DIRECTORY_FULL)
                + e.counter(MigCounter.REJECTED_TARGET_BUSY);
    }

    static long aborted(MigrationEngine e) {
        return e.counter(MigCounter.ABORTED_PREPARE_TIMEOUT) + e.counter(MigCounter.ABORTED_TARGET_DEAD)
                + e.counter(MigCounter.ABORTED_STATE_REFUSED) + e.counter(MigCounter.ABORTED_CONNECTION_GONE)
                + e.counter(MigCounter.ABORTED_SNAPSHOT_TOO_LARGE);
    }

    /**
     * A lossless migration of a connection whose client keeps sending: the segments that reached
     * the target while the state was in flight are buffered and every one is replayed into the
     * restored connection, so the client never has to retransmit.
     */
    /** A client on server 0 streams for 2 ms, then its connection moves to server 1 and the rack goes quiet. */
    private static MiniRack.Client connectedAndMovedOnce(MiniRack r) {
        MiniRack.Client c = r.connect(0);
        r.runFor(2_000_000);
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        assertTrue(r.run(200_000_000L, r::quiet));
        assertEquals(1, r.engines[0].counter(MigCounter.COMPLETED));
        return c;
    }

    @Test
    void targetReplaysEveryBufferedSegmentAndTheClientNeverRetransmits() {
        MiniRack r = MiniRack.of(1950, 2, 4L << 20).warm();
        MiniRack.Client c = connectedAndMovedOnce(r);
        long buffered = r.engines[1].counter(MigCounter.SEGMENTS_BUFFERED);
        assertTrue(buffered > 0, "the client's segments reached the target during the move: " + buffered);
        assertEquals(buffered, r.engines[1].counter(MigCounter.SEGMENTS_REPLAYED), "every buffered segment replayed");
        assertTrue(r.run(30_000_000_000L, c::complete), c.toString());
        assertEquals(0, c.conn.stats().retransmits(), "no client retransmission: " + c.conn.stats());
        assertEquals(0, c.conn.stats().timeouts(), "no client RTO");
        MigrationFaultTest.assertDirectoryEmptyAfterClose(r); // and the byte oracle over both directions
    }

    /**
     * After a completed move the switch redirects the connection through its directory; the
     * client's RST must end that entry at once (not at TIME_WAIT's or an idle timeout's end).
     */
    @Test
    void aClientResetAfterAMoveRemovesTheSwitchEntryAtOnce() {
        MiniRack r = MiniRack.of(1951, 2, 4L << 20).warm();
        MiniRack.Client c = connectedAndMovedOnce(r);
        assertEquals(1, r.sw.directory().size(), "the moved connection has its entry");
        c.abort();
        r.runFor(100_000); // a few link delays, far below any timeout
        assertEquals(0, r.sw.directory().size(), "the RST ended the entry");
        assertEquals(1, r.sw.counter(io.capybara.tor.SwitchCounter.REMOVED_RST));
        r.runFor(10_000_000);
        assertEquals(-1, r.holder(c), "and the server side is gone");
    }
}
