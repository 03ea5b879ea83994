package io.capybara.rack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RackSimulationTest {
    static long seed(long dflt) {
        return Long.getLong("capybara.seed", dflt);
    }

    static String replay(String method, long seed) {
        return " replay: ./capybara test -Dtest=RackSimulationTest#" + method + " -Dcapybara.seed=" + seed;
    }

    @Test
    void cleanRackMigratesManyConnectionsAndDeliversEveryByte() {
        long seed = seed(1);
        RackResult r = RackSimulation.run(RackOptions.defaults().withSeed(seed)); // the full 10,000
        System.out.println(r);
        System.out.println(r.causes());
        assertTrue(r.ok(), r + replay("cleanRackMigratesManyConnectionsAndDeliversEveryByte", seed));
        assertEquals(0, r.invariantViolations());
        assertEquals(r.migrations(), r.migrationsCompleted() + r.migrationsAborted() + r.migrationsRejected(), r.toString());
        assertTrue(r.migrationsCompleted() >= r.migrations() * 8 / 10, r.toString());
        assertTrue(r.migrations() >= 10_000);
        assertTrue(r.policyMigrations() > 0, "the load policy moved connections too");
    }

    @Test
    void faultyRackKeepsEveryConnectionWholeOnExactlyOneServer() {
        long seed = seed(2);
        RackResult r = RackSimulation.run(RackOptions.defaults().withFaults().withSeed(seed).withMigrations(2000));
        System.out.println(r);
        System.out.println(r.causes());
        assertTrue(r.ok(), r + replay("faultyRackKeepsEveryConnectionWholeOnExactlyOneServer", seed));
        assertEquals(r.migrations(), r.migrationsCompleted() + r.migrationsAborted() + r.migrationsRejected(), r.toString());
        // bits were flipped, on the hop into the switch only: a damaged frame carries exactly one
        // flipped bit, which every checksum catches (two on one frame could cancel out)
        assertTrue(r.causes().get("frames_corrupted_to_switch") > 0, r.causes().toString());
        assertEquals(0L, r.causes().get("frames_corrupted_from_switch"), r.causes().toString());
        assertEquals(0, r.contentMismatches(), r.toString());
    }

    @Test
    void sameSeedSameRun() {
        long seed = seed(3);
        RackOptions o = RackOptions.defaults().withFaults().withSeed(seed).withMigrations(150).withConnections(8, 64 * 1024);
        RackResult a = RackSimulation.run(o);
        RackResult b = RackSimulation.run(o);
        assertTrue(a.ok(), a + replay("sameSeedSameRun", seed));
        assertEquals(a.traceHash(), b.traceHash(), "deterministic" + replay("sameSeedSameRun", seed));
        assertEquals(a.causes(), b.causes());
    }

    /**
     * 5% loss, duplication and reordering on every link plus target deaths: these seeds left a
     * server connection in FIN_WAIT_2 for ever (a client's abort is one RST; a link lost it after
     * the server's FIN was acknowledged) and, in seed 2, the switch entry with it.
     */
    /** A rack with target deaths and 5 % loss, duplication and reordering on every link. */
    private static RackResult lossyRack(long seed, int migrations) {
        return RackSimulation.run(RackOptions.defaults().withFaults().withLinkFaults(0.05, 0.05, 0.05)
                .withSeed(seed).withMigrations(migrations));
    }

    @ParameterizedTest
    @ValueSource(longs = {2, 3, 4, 7})
    void lossyRackWithTargetDeathsLeavesNothingBehind(long dflt) {
        long seed = seed(dflt);
        RackResult r = lossyRack(seed, 1000);
        assertTrue(r.ok(), r + " " + r.failures() + replay("lossyRackWithTargetDeathsLeavesNothingBehind", seed));
        assertEquals(0, r.leakedConnections(), r.toString());
        assertEquals(0, r.directoryEntriesAtEnd(), r.toString());
    }

    /**
     * Same faults, 2000 migrations. Seed 10 (and 24): a duplicated, reordered copy of an old
     * migration's ABORT reached the switch after the next migration of the same connection had
     * installed its entry, and pointed the switch back at the origin while the connection served
     * on the new target. Seed 11: a client's FIN, resent after its final ACK was lost, arrived
     * after the server's TIME_WAIT (then 60 ms, below the 200 ms max RTO) had ended. Seed 20: a
     * duplicate PREPARE_MIG_ACK passed the switch after the origin's ABORT and left an entry for
     * a connection that had closed.
     */
    @ParameterizedTest
    @ValueSource(longs = {10, 11, 20, 24})
    void lossyRackKeepsTheSwitchRightAcrossBackToBackMigrations(long dflt) {
        long seed = seed(dflt);
        RackResult r = lossyRack(seed, 2000);
        assertTrue(r.ok(), r + " " + r.failures()
                + replay("lossyRackKeepsTheSwitchRightAcrossBackToBackMigrations", seed));
        assertEquals(0, r.invariantViolations(), r.toString());
        assertEquals(0, r.unexpectedResets(), r.toString());
    }

    /**
     * `simulate --migrations --faults`, seed 300: a duplicated PREPARE_MIG was steered to a second
     * target just after the migration completed; that target's ACK re-pointed the switch while
     * the connection served on the first target, and the origin, which had forgotten the
     * migration, did nothing. Origins now remember their last completed migrations and have the
     * target that took the connection re-assert itself.
     */
    @Test
    void aStrayAckAfterCompletionIsUndone() {
        long seed = seed(300);
        RackResult r = RackSimulation.run(RackOptions.defaults().withFaults().withSeed(seed));
        assertTrue(r.ok(), r + " " + r.failures() + replay("aStrayAckAfterCompletionIsUndone", seed));
        assertEquals(0, r.invariantViolations(), r.toString());
    }
}
