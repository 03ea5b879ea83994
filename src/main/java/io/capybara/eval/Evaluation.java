package io.capybara.eval;

import io.capybara.eval.RackExperiments.Capacity;
import io.capybara.eval.RackExperiments.SkewSettings;
import io.capybara.eval.RackExperiments.TailSettings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One evaluation run: which experiments, with what settings, into which results directory.
 * The command line ({@code ./capybara eval ...}) and the tests drive it.
 */
public final class Evaluation {
    /** Every knob of a run; {@link #full()} and {@link #quick()} are the two presets. */
    public record Settings(int count, List<Integer> queueSizes, int linuxBatch, int jitWarmup, boolean cReference,
                           long capacityNanos, TailSettings tail, SkewSettings skew) {
        public Settings withCount(int n) {
            return new Settings(n, queueSizes, linuxBatch, jitWarmup, cReference, capacityNanos, tail, skew);
        }

        public Settings withQueueSizes(List<Integer> q) {
            return new Settings(count, List.copyOf(q), linuxBatch, jitWarmup, cReference, capacityNanos, tail, skew);
        }

        public Settings withCReference(boolean on) {
            return new Settings(count, queueSizes, linuxBatch, jitWarmup, on, capacityNanos, tail, skew);
        }

        public Settings withJitWarmup(int n) {
            return new Settings(count, queueSizes, linuxBatch, n, cReference, capacityNanos, tail, skew);
        }

        public Settings withSeed(long seed) {
            return new Settings(count, queueSizes, linuxBatch, jitWarmup, cReference, capacityNanos,
                    new TailSettings(tail.connections(), tail.loadFractions(), tail.delaysMicros(),
                            tail.migrationsPerSecond(), tail.skew(), tail.durationNanos(), seed),
                    new SkewSettings(skew.connections(), skew.loadFraction(), skew.skews(), skew.durationNanos(), seed));
        }
    }

    /** The full evaluation: 10,000 migrations per system and queue size and per tail point. */
    public static Settings full() {
        return new Settings(10_000, List.of(0, 1024), 250, 5_000, true, 500_000_000L,
                // 10 virtual seconds at 1,000 migrations/s: 10,000 migrations per point, as in the paper
                new TailSettings(150, List.of(0.75, 0.85), List.of(0L, 50L, 100L, 150L, 200L, 300L, 400L, 500L),
                        1_000, 0, 10_000_000_000L, 42),
                new SkewSettings(150, 0.65, List.of(0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5), 2_000_000_000L, 42));
    }

    /** A reduced run for a smoke test: same experiments, fewer points and migrations. */
    public static Settings quick() {
        return new Settings(1_000, List.of(0, 1024), 250, 2_000, true, 100_000_000L,
                new TailSettings(150, List.of(0.75, 0.85), List.of(0L, 250L, 500L), 1_000, 0, 150_000_000L, 42),
                new SkewSettings(150, 0.65, List.of(0.0, 0.75, 1.5), 150_000_000L, 42));
    }

    private final Report report;
    private final Settings settings;
    private final List<MigrationSystem> systems;
    private final RackWorkload rack;
    private final Progress.Factory progress;
    private Capacity capacity;

    public Evaluation(Path out, Settings settings, List<MigrationSystem> systems, RackWorkload rack,
                      Progress.Factory progress) throws IOException {
        this.report = new Report(out);
        this.settings = settings;
        this.systems = systems;
        this.rack = rack;
        this.progress = progress;
    }

    /** Capybara-J and the Linux baseline with the settings' batch and warm-up. */
    public static List<MigrationSystem> defaultSystems(Settings s) {
        return List.of(new CapybaraSystem(s.linuxBatch(), s.jitWarmup()), new LinuxRepairSystem(s.linuxBatch(), s.jitWarmup()));
    }

    public Report report() {
        return report;
    }

    public Settings settings() {
        return settings;
    }

    /** Measures every system; writes the sections named (overhead and/or cdf). */
    public OverheadExperiment.Measurements overhead(boolean writeOverhead, boolean writeCdf) throws Exception {
        boolean linux = systems.stream().anyMatch(x -> x.key().equals(LinuxRepairSystem.KEY));
        OverheadExperiment.Measurements m = OverheadExperiment.measure(systems, settings.count(), settings.queueSizes(),
                settings.cReference(), linux && settings.cReference() ? Math.min(200, settings.count()) : 0,
                settings.jitWarmup(), progress);
        if (writeOverhead) {
            OverheadExperiment.writeOverhead(report, m, LinuxRepairSystem.KEY, CapybaraSystem.KEY);
            report.section("baseline", BaselineLimits.markdown());
        }
        if (writeCdf) {
            OverheadExperiment.writeCdf(report, m);
        }
        return m;
    }

    private Capacity capacity() {
        if (capacity == null) {
            capacity = RackExperiments.capacity(rack, settings.tail().connections(), settings.capacityNanos(),
                    settings.tail().seed(), progress);
        }
        return capacity;
    }

    public List<RackWorkload.Point> tail() throws IOException {
        return RackExperiments.tail(report, rack, capacity(), settings.tail(), progress);
    }

    public List<RackWorkload.Point> skew() throws IOException {
        return RackExperiments.skew(report, rack, capacity(), settings.skew(), progress);
    }

    /** The load-step experiment (SIGCOMM'26 Fig. 8) for the three policies; writes the "policy" section. */
    public List<PolicyExperiment.Run> policy() throws IOException {
        PolicyExperiment.Settings p = settings.tail().durationNanos() < 1_000_000_000L
                ? PolicyExperiment.Settings.quick() : PolicyExperiment.Settings.full();
        return policy(p.withSeed(settings.tail().seed()));
    }

    public List<PolicyExperiment.Run> policy(PolicyExperiment.Settings s) throws IOException {
        return PolicyExperiment.run(report, s, progress);
    }

    /** Rewrites REPORT.md from every section present. */
    public Path writeReport(String command) throws IOException {
        return report.regenerate(MachineInfo.probe(), command);
    }
}
