package io.capybara.mig;

import static io.capybara.mig.MigrationEngineTest.awaitQuiet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.FrameChannel;
import io.capybara.rack.RackSimulation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Step timing on a rack whose engines share one metrics instance (as in one process) with a
 * clock that ticks 1 us per read: every step of a migration is recorded once, the two halves'
 * CPU times are the sums of their own steps, the overhead is the sum of the halves, and the
 * origin reports one outcome.
 */
class MigrationTimingTest {
    static final long TICK = 1_000;

    final Map<MigrationStep, List<Long>> steps = new EnumMap<>(MigrationStep.class);
    final List<Long> overheads = new ArrayList<>();
    final List<String> halves = new ArrayList<>();
    final List<Long> halfCpu = new ArrayList<>();
    final List<String> outcomes = new ArrayList<>();
    final AtomicLong clock = new AtomicLong();
    final MigrationMetrics metrics = new MigrationMetrics(() -> clock.addAndGet(TICK));

    MigrationTimingTest() {
        metrics.observer(new MigrationMetrics.Observer() {
            @Override
            public void step(MigrationStep step, long nanos) {
                steps.computeIfAbsent(step, s -> new ArrayList<>()).add(nanos);
            }

            @Override
            public void overhead(long nanos) {
                overheads.add(nanos);
            }

            @Override
            public void half(int originIp, int id, boolean origin, long atNanos, long cpuNanos) {
                halves.add(originIp + "/" + id + (origin ? " origin" : " target"));
                halfCpu.add(cpuNanos);
            }

            @Override
            public void outcome(int clientIp, int clientPort, int targetIp, MigCounter outcome, long nanos) {
                outcomes.add(clientIp + ":" + clientPort + " to " + targetIp + " " + outcome + (nanos > 0 ? "" : " no time"));
            }
        });
    }

    MiniRack rack(long seed, UnaryOperator<MigrationConfig> config) {
        return new MiniRack(seed, 2, 1L << 20, MiniRack.link(), s -> s, (i, m) -> config.apply(m), null, 4096,
                FrameChannel.DEFAULT_MTU_FRAME, metrics).warm();
    }

    long sum(String side) {
        long s = 0;
        for (MigrationStep step : MigrationStep.values()) {
            if (step.name().startsWith(side)) {
                for (long v : steps.getOrDefault(step, List.of())) {
                    s += v;
                }
            }
        }
        return s;
    }

    @Test
    void aMigrationsStepsAddUpToItsHalvesAndTheHalvesToItsOverhead() {
        MiniRack r = rack(61, m -> m);
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        int id = r.engines[0].migrate(r.serverSide(c));
        assertTrue(id > 0);
        awaitQuiet(r);
        assertEquals(1, r.sum(MigCounter.COMPLETED));
        for (MigrationStep s : MigrationStep.values()) {
            assertEquals(1, steps.getOrDefault(s, List.of()).size(), s + " recorded once: " + steps);
            assertEquals(1, metrics.step(s).getTotalCount(), s + "'s histogram");
            if (s != MigrationStep.ORIGIN_QUIESCE && s != MigrationStep.TARGET_REPLAY) {
                assertTrue(steps.get(s).get(0) >= TICK, s + " took at least a tick: " + steps.get(s));
            }
        }
        assertEquals(0, steps.get(MigrationStep.ORIGIN_QUIESCE).get(0), "quiescing takes no time (synchronous transmit)");
        int origin = RackSimulation.ip(0);
        assertEquals(List.of(origin + "/" + id + " target", origin + "/" + id + " origin"), halves,
                "the target serves the connection before the origin hears of it");
        assertEquals(sum("TARGET"), halfCpu.get(0), "the target's CPU time is its steps'");
        assertEquals(sum("ORIGIN"), halfCpu.get(1), "the origin's CPU time is its steps'");
        assertEquals(List.of(sum("TARGET") + sum("ORIGIN")), overheads);
        assertEquals(1, metrics.overhead().getTotalCount());
        assertEquals(1, metrics.blackout().getTotalCount());
        assertTrue(metrics.blackout().getMaxValue() >= TICK);
        assertEquals(List.of(c.conn.localIp() + ":" + c.conn.localPort() + " to " + RackSimulation.ip(1) + " COMPLETED"),
                outcomes);
    }

    /** An aborted migration reports its outcome once, and neither half nor overhead: there is no migration to time. */
    @Test
    void anAbortedMigrationReportsItsOutcomeButNoOverhead() {
        MiniRack r = rack(62, OriginRulesTest.TINY_STATE);
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        awaitQuiet(r);
        assertEquals(List.of(c.conn.localIp() + ":" + c.conn.localPort() + " to " + RackSimulation.ip(1)
                + " ABORTED_SNAPSHOT_TOO_LARGE"), outcomes);
        assertEquals(List.of(), halves);
        assertEquals(List.of(), overheads);
        assertEquals(0, metrics.blackout().getTotalCount(), "the target never served it");
    }
}
