package io.capybara.rack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.sim.Simulator;
import io.capybara.tor.MigrationDirectory;
import io.capybara.tcp.TcpConnection;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Migration over many seeds, as the TCP property tests do for transfers: each seed is a small
 * rack (3 servers, a few streaming connections, tens of migrations) whose invariant is checked
 * after every simulator step, mid-migration included; odd seeds add loss, duplication,
 * reordering, bit flips, a crowded directory, client aborts and target deaths. Two fifths of
 * {@code capybara.seeds} (200 by default; -Pexhaustive: 2,000; -Dcapybara.seeds=N); {@code -Dcapybara.seed=N} runs one.
 */
class MigrationPropertyTest {
    static LongStream seeds() {
        String one = System.getProperty("capybara.seed");
        if (one != null && !one.isBlank()) {
            return LongStream.of(Long.parseLong(one.trim()));
        }
        return LongStream.range(1, 1 + Math.max(1, Integer.getInteger("capybara.seeds", 500) * 2 / 5));
    }

    static RackOptions options(long seed) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L);
        RackOptions o = RackOptions.defaults().withSeed(seed).withMigrations(10 + r.nextInt(20))
                .withConnections(2 + r.nextInt(4), 2048 + r.nextInt(30 * 1024));
        o = seed % 2 == 0 ? o : o.withFaults();
        // the manual trigger only: heartbeats every 100 us would add thousands of steps (each
        // checked) to the drain at the end; RackSimulationTest covers the policy
        return o.withTrigger(o.triggerIntervalNanos(), false);
    }

    static String replay(String method, long seed) {
        return " replay: ./capybara test -Dtest=MigrationPropertyTest#" + method + " -Dcapybara.seed=" + seed;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everySeedKeepsEachConnectionWholeWithOneOwnerAtEveryStep(long seed) {
        RackResult r = RackSimulation.runCheckingEveryStep(options(seed));
        assertTrue(r.ok(), r + " " + r.failures().subList(0, Math.min(2, r.failures().size())) + replay("everySeedKeepsEachConnectionWholeWithOneOwnerAtEveryStep", seed));
        assertTrue(r.invariantChecks() > 0, "the step check ran");
        assertEquals(r.migrations(), r.migrationsCompleted() + r.migrationsAborted() + r.migrationsRejected(),
                r + replay("everySeedKeepsEachConnectionWholeWithOneOwnerAtEveryStep", seed));
    }

    /**
     * Plants a violation at the first step at or after 0.1 ms where {@code plant} succeeds, and
     * returns the time of the next step, at which the check (which runs before this hook) must
     * report it.
     */
    static long[] plantEarly(Simulator sim, java.util.function.BooleanSupplier plant) {
        long[] at = {-1, -1};
        sim.onStep(() -> {
            if (at[0] >= 0) {
                if (at[1] < 0) {
                    at[1] = sim.now();
                }
                return;
            }
            if (sim.now() >= 100_000 && plant.getAsBoolean()) {
                at[0] = sim.now();
            }
        });
        return at;
    }

    /** A live connection dropped by its server outside any migration: no owner, caught at the next step. */
    @Test
    void theStepCheckCatchesAConnectionThatLostItsOwner() {
        long[][] at = new long[1][];
        RackResult r = RackSimulation.runCheckingEveryStep(options(2), (sim, rack) -> at[0] = plantEarly(sim, () -> {
            for (int[] c : rack.establishedClients()) {
                for (int i = 0; i < rack.serverCount(); i++) {
                    TcpConnection conn = rack.server(i).connection(c[0], c[1], RackSimulation.SERVER_PORT);
                    if (conn != null && !rack.migrating(c[0], c[1])) {
                        conn.abort(sim.now()); // the server forgets it; the client hears only later
                        return true;
                    }
                }
            }
            return false;
        }));
        assertTrue(at[0][0] >= 0 && at[0][1] > at[0][0], "planted at " + at[0][0]);
        assertTrue(r.invariantViolations() > 0, r.toString());
        assertTrue(r.failures().get(0).startsWith("t=" + at[0][1] + " ") && r.failures().get(0).contains("held by 0 servers"),
                "caught at the next step, " + at[0][1] + ": " + r.failures().get(0));
    }

    /** The switch's entry pointed at a server that does not hold the connection: caught at the next step. */
    @Test
    void theStepCheckCatchesASwitchThatDisagrees() {
        long[][] at = new long[1][];
        RackResult r = RackSimulation.runCheckingEveryStep(options(4), (sim, rack) -> at[0] = plantEarly(sim, () -> {
            for (int[] c : rack.establishedClients()) {
                for (int i = 0; i < rack.serverCount(); i++) {
                    if (rack.server(i).connection(c[0], c[1], RackSimulation.SERVER_PORT) != null
                            && !rack.migrating(c[0], c[1])
                            && rack.directory().find(c[0], c[1]) == MigrationDirectory.NOT_FOUND) {
                        return rack.directory().install(c[0], c[1], i, (i + 1) % rack.serverCount(), sim.now()) >= 0;
                    }
                }
            }
            return false;
        }));
        assertTrue(at[0][0] >= 0 && at[0][1] > at[0][0], "planted at " + at[0][0]);
        assertTrue(r.invariantViolations() > 0, r.toString());
        assertTrue(r.failures().get(0).startsWith("t=" + at[0][1] + " ") && r.failures().get(0).contains("the switch sends it"),
                "caught at the next step, " + at[0][1] + ": " + r.failures().get(0));
    }
}
