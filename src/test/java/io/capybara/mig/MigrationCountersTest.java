package io.capybara.mig;

import static io.capybara.mig.MigCounter.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The counters of one clean migration balance: what the origin sent, the target received or
 * counted as a duplicate; what the target buffered, it replayed; each step of the protocol moved
 * its counter once; and nothing that only a fault causes moved at all.
 */
class MigrationCountersTest {
    /** Counters only a fault, a refusal or a race can move: a clean migration on a lossless rack leaves them at 0. */
    static final Set<MigCounter> FAULT_ONLY = EnumSet.of(REJECTED_NO_TARGET, REJECTED_DIRECTORY_FULL, REJECTED_TARGET_BUSY,
            ABORTED_PREPARE_TIMEOUT, STATE_UNANSWERED, ABORTED_TARGET_DEAD, ABORTED_STATE_REFUSED, LATE_STATE_ACK,
            ABORTED_CONNECTION_GONE, ABORTED_SNAPSHOT_TOO_LARGE, ABORT_CONFIRMED, ABORT_UNCONFIRMED, RESTORED_LOCALLY,
            NOT_ELIGIBLE, TOO_MANY_OUTGOING, PREPARE_RETRANSMITTED, FORWARD_TTL_EXPIRED, STRAY_ACK, PREPARE_DUPLICATE,
            REJECTED_BUSY_SENT, BUFFER_FULL_DROPS, STATE_FOR_UNKNOWN_MIGRATION, STATE_TOO_LARGE, STATE_INVALID,
            STATE_CORRUPT, SEGMENTS_HANDED_BACK, ABORT_RECEIVED, ABORT_AFTER_RESTORE, HOLD_EXPIRED, TARGET_RESTARTS,
            QUIET_TIME_DROPS, CONNECTION_ALREADY_HERE, CONTROL_MALFORMED, CONTROL_UNEXPECTED);

    @Test
    void aCleanMigrationsCountersBalance() {
        MiniRack r = MiniRack.of(21, 2, 4L << 20).warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(2_000_000);
        assertTrue(r.engines[0].counter(HEARTBEATS_SENT) > 0 && r.engines[1].counter(HEARTBEATS_SENT) > 0);
        long[][] before = new long[2][MigCounter.ALL.length];
        for (int e = 0; e < 2; e++) {
            for (MigCounter m : MigCounter.ALL) {
                before[e][m.ordinal()] = r.engines[e].counter(m);
            }
        }
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        assertTrue(r.run(50_000_000L, r::quiet), "migration did not finish");
        r.runFor(1_000_000); // late duplicates, if any, arrive
        assertEquals(1, r.holder(c));
        MigrationEngine o = r.engines[0];
        MigrationEngine t = r.engines[1];
        java.util.function.ToLongBiFunction<Integer, MigCounter> d = (e, m) -> r.engines[e].counter(m) - before[e][m.ordinal()];
        String all = "origin " + o.counters() + "\ntarget " + t.counters();
        for (int e = 0; e < 2; e++) {
            for (MigCounter m : FAULT_ONLY) {
                assertEquals(0, d.applyAsLong(e, m), "engine " + e + " " + m + "\n" + all);
            }
        }
        // one step each
        assertEquals(1, d.applyAsLong(0, STARTED), all);
        assertEquals(1, d.applyAsLong(0, PREPARE_SENT), all);
        assertEquals(1, d.applyAsLong(0, COMPLETED), all);
        assertEquals(1, d.applyAsLong(1, PREPARED), all);
        assertEquals(1, d.applyAsLong(1, RESTORED), all);
        assertEquals(1, d.applyAsLong(1, STATE_ACK_SENT), all);
        // every fragment sent arrived once as new, or as a duplicate (before or after the restore)
        long fragments = d.applyAsLong(1, STATE_FRAGMENTS_RECEIVED);
        long sent = d.applyAsLong(0, STATE_FRAGMENTS_SENT);
        assertTrue(fragments >= 2, "a 4 MiB stream's state spans fragments: " + all);
        assertEquals(fragments * (1 + d.applyAsLong(0, STATE_RETRANSMITTED)), sent, all);
        assertEquals(sent, fragments + d.applyAsLong(1, STATE_FRAGMENT_DUPLICATE) + d.applyAsLong(1, STATE_REACKED), all);
        // the target heard the PREPARE_MIG and every fragment; the origin the ACK, the CONN_STATE_ACK and each re-ACK
        assertEquals(1 + sent, d.applyAsLong(1, CONTROL_RECEIVED), all);
        assertEquals(2 + d.applyAsLong(1, STATE_REACKED), d.applyAsLong(0, CONTROL_RECEIVED), all);
        assertEquals(d.applyAsLong(1, STATE_REACKED), d.applyAsLong(0, CONTROL_DUPLICATE), all);
        // the client kept sending: what arrived during the move was buffered, and all of it replayed
        assertTrue(d.applyAsLong(1, SEGMENTS_BUFFERED) > 0, all);
        assertEquals(d.applyAsLong(1, SEGMENTS_BUFFERED), d.applyAsLong(1, SEGMENTS_REPLAYED), all);
    }
}
