package io.capybara.cli;

import io.capybara.eval.CapybaraSystem;
import io.capybara.eval.Evaluation;
import io.capybara.eval.Evaluation.Settings;
import io.capybara.eval.LinuxRepairSystem;
import io.capybara.eval.MigrationSystem;
import io.capybara.eval.OverheadExperiment.Measurements;
import io.capybara.eval.OverheadRun;
import io.capybara.eval.Progress;
import io.capybara.eval.RackWorkload;
import io.capybara.eval.SimulatedRack;
import io.capybara.eval.Stats;
import io.capybara.eval.linux.CReference;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./capybara eval ...}: the paper's figures, as CSV and PNG files under a results
 * directory plus REPORT.md. Progress bars go to stderr; {@code --json} output to stdout.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run the evaluation (the paper's Figures 1, 4, 5 and a skew sweep); writes CSV, PNG and REPORT.md.",
        subcommands = {EvalCommand.Overhead.class, EvalCommand.Cdf.class, EvalCommand.Tail.class,
                EvalCommand.Skew.class, EvalCommand.Policy.class, EvalCommand.All.class, EvalCommand.RackFigure.class,
                EvalCommand.Scale.class})
public final class EvalCommand implements Runnable {
    /** Where systems and the rack come from; tests replace it. */
    static Function<Settings, List<MigrationSystem>> systems = Evaluation::defaultSystems;
    static java.util.function.Supplier<RackWorkload> rack = SimulatedRack::new;
    static Progress.Factory progress = Progress.Factory.stderr();

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Options every subcommand takes. */
    static final class Common {
        @Option(names = "--out", defaultValue = "results", description = "Results directory (default ${DEFAULT-VALUE}).")
        Path out;
        @Option(names = "--quick", description = "A reduced run (fewer migrations and points).")
        boolean quick;

        /** Values of the optional mixins, for the subcommands that take them (null: not taken). */
        Integer count;
        List<Integer> queueBytes;
        boolean noCReference;
        Long seed;

        /** Adds the overhead experiments' options. */
        Common with(MigrationOptions m) {
            count = m.count;
            queueBytes = m.queueBytes;
            noCReference = m.noCReference;
            return this;
        }

        /** Adds the rack experiments' seed. */
        Common with(SeedOption s) {
            seed = s.seed;
            return this;
        }

        Settings settings() {
            Settings s = quick ? Evaluation.quick() : Evaluation.full();
            if (count != null) {
                Args.atLeast("--count", count, 1);
                s = s.withCount(count).withJitWarmup(Math.min(s.jitWarmup(), Math.max(200, count)));
            }
            if (queueBytes != null) {
                queueBytes.forEach(q -> Args.between("--queue-bytes", q, 0, 1 << 20));
                s = s.withQueueSizes(queueBytes);
            }
            if (noCReference) {
                s = s.withCReference(false);
            }
            if (seed != null) {
                s = s.withSeed(seed);
            }
            return s;
        }

        Evaluation evaluation() throws Exception {
            Settings s = settings();
            return new Evaluation(out, s, systems.apply(s), rack.get(), progress);
        }
    }

    /** The options of the experiments that migrate on real servers (overhead, cdf, all). */
    static final class MigrationOptions {
        @Option(names = "--count", description = "Migrations per system and queue size (default 10000, quick 1000).")
        Integer count;
        @Option(names = "--queue-bytes", split = ",", description = "Bytes queued each way, e.g. 0,1024 (the default).")
        List<Integer> queueBytes;
        @Option(names = "--no-c-reference", description = "Skip the C reference of the TCP_REPAIR calls.")
        boolean noCReference;
    }

    /** The seed of the rack experiments (tail, skew, policy, all). */
    static final class SeedOption {
        @Option(names = "--seed", description = "Seed of the rack experiments (default 42).")
        Long seed;
    }

    static void finish(Evaluation e, String command) throws Exception {
        Path report = e.writeReport(command);
        System.err.println("wrote " + report.toAbsolutePath());
    }

    static void skipped(Measurements m) {
        for (Map.Entry<String, String> s : m.unavailable().entrySet()) {
            System.err.println("eval: skipped " + s.getKey() + ": " + s.getValue());
        }
    }

    @Command(name = "rack", mixinStandardHelpOptions = true,
            description = "Migration cost across processes by state size (rack bench), with the SIGCOMM'26 authors'"
                    + " figures beside ours: rack_migration.png and rack_migration.csv (needs root).")
    static final class RackFigure implements Callable<Integer> {
        @Option(names = "--out", defaultValue = "results", description = "Results directory (default ${DEFAULT-VALUE}).")
        Path out;
        @Mixin
        RackCommand.BenchCounts counts = new RackCommand.BenchCounts();
        @Mixin
        JsonFlag json;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() throws Exception {
            RackCommand.requireRoot();
            counts.check();
            java.util.List<Integer> sizes = java.util.List.of(0, 16384, 65536, 131072);
            Map<String, Object> r = io.capybara.rack.proc.RackBench.run(io.capybara.rack.proc.ProcessRackOptions
                    .defaults("evalrack" + ProcessHandle.current().pid(), null), sizes, counts.count, counts.warmup, System.err);
            java.nio.file.Files.createDirectories(out);
            Map<String, java.util.List<double[]>> series = new java.util.LinkedHashMap<>();
            StringBuilder csv = new StringBuilder("state_bytes,cpu_p50_us,cpu_p99_us,e2e_p50_us,e2e_p99_us,paper_cpu_us,"
                    + "paper_e2e_us\n");
            for (String name : new String[] {"Capybara-J end to end p50", "Capybara-J CPU p50",
                    "paper (DPDK+Tofino) end to end", "paper CPU"}) {
                series.put(name, new java.util.ArrayList<>());
            }
            Map<String, Object> bySize = (Map<String, Object>) r.get("sizes");
            for (int size : sizes) {
                Map<String, Object> m = (Map<String, Object>) bySize.get(Integer.toString(size));
                Map<String, Object> cpu = (Map<String, Object>) m.get("cpu_us");
                Map<String, Object> e2e = (Map<String, Object>) m.get("e2e_us");
                double kb = size / 1024.0;
                double[] paper = io.capybara.rack.proc.RackBench.PAPER.get(size);
                series.get("Capybara-J end to end p50").add(new double[] {kb, ((Number) e2e.get("p50")).doubleValue()});
                series.get("Capybara-J CPU p50").add(new double[] {kb, ((Number) cpu.get("p50")).doubleValue()});
                series.get("paper (DPDK+Tofino) end to end").add(new double[] {kb, paper[1]});
                series.get("paper CPU").add(new double[] {kb, paper[0]});
                csv.append(size).append(',').append(cpu.get("p50")).append(',').append(cpu.get("p99")).append(',')
                        .append(e2e.get("p50")).append(',').append(e2e.get("p99")).append(',').append(paper[0])
                        .append(',').append(paper[1]).append('\n');
            }
            io.capybara.eval.Charts.lines(out.resolve("rack_migration.png"),
                    "Migration across processes (rack bench) vs the paper", "application state (KiB)",
                    "microseconds (log)", series, true);
            java.nio.file.Files.writeString(out.resolve("rack_migration.csv"), csv.toString());
            System.err.println("wrote " + out.resolve("rack_migration.png").toAbsolutePath());
            if (json.on) {
                System.out.println(Json.write(r));
            } else {
                System.out.print(io.capybara.rack.proc.RackBench.table(r));
            }
            return 0;
        }
    }

    @Command(name = "overhead", mixinStandardHelpOptions = true,
            description = "Per-step server overhead of a migration, Capybara-J and Linux TCP_REPAIR (Figure 4).")
    static final class Overhead implements Callable<Integer> {
        @Mixin
        Common common;
        @Mixin
        MigrationOptions migration;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            common.with(migration);
            Evaluation e = common.evaluation();
            Measurements m = e.overhead(true, false);
            skipped(m);
            finish(e, "./capybara eval overhead" + (common.quick ? " --quick" : ""));
            if (json.on) {
                System.out.println(json(m));
            } else {
                printSummary(m);
            }
            return m.runs().isEmpty() ? 2 : 0;
        }
    }

    @Command(name = "cdf", mixinStandardHelpOptions = true,
            description = "Distribution of per-migration overhead over many migrations (Figure 5).")
    static final class Cdf implements Callable<Integer> {
        @Mixin
        Common common;
        @Mixin
        MigrationOptions migration;

        @Override
        public Integer call() throws Exception {
            common.with(migration);
            if (common.queueBytes == null) {
                common.queueBytes = List.of(1024);
            }
            Evaluation e = common.evaluation();
            Measurements m = e.overhead(false, true);
            skipped(m);
            finish(e, "./capybara eval cdf" + (common.quick ? " --quick" : ""));
            printSummary(m);
            return m.runs().isEmpty() ? 2 : 0;
        }
    }

    /**
     * A rack experiment (tail, skew, policy): the common options and the seed, one run of the
     * evaluation, the report written under the command's own name.
     */
    abstract static class RackExperiment implements Callable<Integer> {
        @Mixin
        Common common;
        @Mixin
        SeedOption seed;
        @Spec
        CommandSpec spec;

        abstract void run(Evaluation e) throws Exception;

        /** Options beyond --quick that the report's command line names. */
        String extraOptions() {
            return "";
        }

        @Override
        public Integer call() throws Exception {
            common.with(seed);
            Evaluation e = common.evaluation();
            run(e);
            finish(e, "./capybara eval " + spec.name() + extraOptions() + (common.quick ? " --quick" : ""));
            return 0;
        }
    }

    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = "p99 request latency vs. injected per-migration delay at two loads (Figure 1).")
    static final class Tail extends RackExperiment {
        @Override
        void run(Evaluation e) throws Exception {
            e.tail();
        }
    }

    @Command(name = "skew", mixinStandardHelpOptions = true,
            description = "Static placement vs. migration over Zipf skews: p50, p99, p99.9, throughput.")
    static final class Skew extends RackExperiment {
        @Override
        void run(Evaluation e) throws Exception {
            e.skew();
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = "Throughput and p99 against concurrent connections, 144 to a million, in the in-memory "
                    + "rack (the load-balancer paper's Figure 12); writes scale.csv, scale.png, scale_p99.png.")
    static final class Scale implements Callable<Integer> {
        @Option(names = "--out", defaultValue = "results", description = "Results directory (default ${DEFAULT-VALUE}).")
        Path out;
        @Option(names = "--quick", description = "144, 1,000 and 10,000 connections, 20,000 requests each.")
        boolean quick;
        @Option(names = "--connections", split = ",", description = "Connection counts "
                + "(default 144,1000,10000,100000,1000000).")
        int[] connections;
        @Option(names = "--in-flight", defaultValue = "144", description = "Requests outstanding at once, each on "
                + "another connection (default ${DEFAULT-VALUE}).")
        int inFlight;
        @Option(names = "--requests", description = "Requests measured per count (default 200000, quick 20000).")
        Integer requests;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            int[] counts = connections != null ? connections
                    : quick ? new int[] {144, 1000, 10000} : new int[] {144, 1000, 10000, 100000, 1000000};
            int n = requests != null ? requests : quick ? 20_000 : 200_000;
            Args.between("--in-flight", inFlight, 1, 100_000);
            Args.between("--requests", n, 1, 100_000_000);
            for (int c : counts) {
                Args.between("--connections", c, 1, 4_000_000);
            }
            java.nio.file.Files.createDirectories(out);
            io.capybara.eval.Csv csv = new io.capybara.eval.Csv("connections", "in_flight", "requests",
                    "throughput_rps", "p50_us", "p99_us");
            List<double[]> rps = new java.util.ArrayList<>();
            List<double[]> p99 = new java.util.ArrayList<>();
            Json rows = new Json();
            // one small round first, thrown away, so that the first count is not measured cold
            io.capybara.bench.ScaleBenchmark.load(Math.min(1000, counts[0]), inFlight, Math.min(n, 20_000));
            for (int c : counts) {
                // connections opened, then requests: a million take a minute to open
                io.capybara.eval.Progress bar = io.capybara.eval.Progress.bar(String.format("eval scale %,d connections", c),
                        io.capybara.bench.ScaleBenchmark.loadSteps(c, n));
                io.capybara.bench.ScaleBenchmark.LoadRow r = io.capybara.bench.ScaleBenchmark.load(c, inFlight, n,
                        bar::set);
                bar.finish();
                csv.add(c, r.inFlight(), r.requests(), Math.round(r.throughputRps()), r.p50Us(), r.p99Us());
                rps.add(new double[] {c, r.throughputRps() / 1000.0});
                p99.add(new double[] {c, r.p99Us()});
                rows.object(Integer.toString(c)).put("throughput_rps", Math.round(r.throughputRps()))
                        .put("p50_us", r.p50Us()).put("p99_us", r.p99Us()).put("in_flight", r.inFlight());
                System.gc(); // the previous rack's memory goes before the next one is built
            }
            csv.write(out.resolve("scale.csv"));
            io.capybara.eval.Charts.linesLogX(out.resolve("scale.png"), "Throughput against concurrent connections",
                    "concurrent connections", "thousand requests/s (one thread)", Map.of("Capybara-J", rps));
            io.capybara.eval.Charts.linesLogX(out.resolve("scale_p99.png"), "p99 latency against concurrent connections",
                    "concurrent connections", "p99 round trip (us)", Map.of("Capybara-J", p99));
            System.err.println("wrote " + out.resolve("scale.csv").toAbsolutePath() + ", scale.png, scale_p99.png");
            if (json.on) {
                System.out.println(new Json().put("counts", rows));
            } else {
                System.out.print(java.nio.file.Files.readString(out.resolve("scale.csv")));
            }
            return 0;
        }
    }

    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = "A load step on 2 servers (SIGCOMM'26 Fig. 8): p99 and load per server over time, migrations, "
                    + "for static, reactive and proactive policies.")
    static final class Policy extends RackExperiment {
        @Option(names = "--json", description = "Print one JSON object on stdout: per policy p99 and migrations.")
        boolean json;
        @Option(names = "--processes", description = "Run it on the multi-process rack instead (root; shorter, real "
                + "time, servers of fixed capacity, the policies inside the server processes).")
        boolean processes;
        private List<io.capybara.eval.PolicyExperiment.Run> runs;
        private List<io.capybara.rack.proc.RackPolicyRun.Result> processRuns;
        private io.capybara.rack.proc.RackPolicyRun.Settings processSettings;

        @Override
        String extraOptions() {
            return processes ? " --processes" : "";
        }

        @Override
        void run(Evaluation e) throws Exception {
            if (processes) {
                processSettings = io.capybara.rack.proc.RackPolicyRun.Settings.of(common.quick,
                        seed.seed == null ? 42 : seed.seed);
                processRuns = io.capybara.eval.ProcessPolicyExperiment.run(e.report(), processSettings,
                        "pol" + ProcessHandle.current().pid() % 10000, System.err, progress);
            } else {
                runs = e.policy();
            }
        }

        @Override
        public Integer call() throws Exception {
            super.call();
            if (processes) {
                return printProcesses();
            }
            Json out = new Json();
            for (io.capybara.eval.PolicyExperiment.Run r : runs) {
                out.object(r.policy().label()).put("p99_us", r.result().p99Nanos() / 1000.0)
                        .put("max_window_p99_us", r.maxWindowP99Micros()).put("migrations", r.migrations())
                        .put("requests", r.result().completed()).put("errors", r.result().errors());
            }
            if (json) {
                System.out.println(out);
            } else {
                for (io.capybara.eval.PolicyExperiment.Run r : runs) {
                    System.out.printf(java.util.Locale.ROOT, "%-10s p99 %10.1f us, worst 10 ms window %10.1f us, %3d migrations%n",
                            r.policy().label(), r.result().p99Nanos() / 1000.0, r.maxWindowP99Micros(), r.migrations());
                }
            }
            return 0;
        }

        /** {@code --processes}: the same keys per policy as the simulated run, and {@code rack: processes}. */
        private Integer printProcesses() {
            io.capybara.rack.proc.RackPolicyRun.Settings s = processSettings;
            List<io.capybara.rack.proc.RackPolicyRun.Result> runs = processRuns;
            Json out = new Json().put("rack", "processes");
            for (io.capybara.rack.proc.RackPolicyRun.Result r : runs) {
                out.object(r.policy().label()).put("p99_us", r.p99Micros()).put("max_window_p99_us", r.maxWindowP99Micros())
                        .put("migrations", r.migrations()).put("requests", r.requests()).put("errors", r.errors());
            }
            if (json) {
                System.out.println(out);
            } else {
                for (io.capybara.rack.proc.RackPolicyRun.Result r : runs) {
                    System.out.printf(java.util.Locale.ROOT, "%-10s p99 %10.1f us, worst %d ms window %10.1f us, %3d migrations"
                            + ", %d requests, %d errors%n", r.policy().label(), r.p99Micros(), s.windowMs(),
                            r.maxWindowP99Micros(), r.migrations(), r.requests(), r.errors());
                }
            }
            return 0;
        }
    }

    @Command(name = "all", mixinStandardHelpOptions = true,
            description = "Every experiment and the report; --quick finishes in a few minutes.")
    static final class All implements Callable<Integer> {
        @Mixin
        Common common;
        @Mixin
        MigrationOptions migration;
        @Mixin
        SeedOption seed;

        @Override
        public Integer call() throws Exception {
            common.with(migration).with(seed);
            long t0 = System.nanoTime();
            Evaluation e = common.evaluation();
            Measurements m = e.overhead(true, true);
            skipped(m);
            e.tail();
            e.skew();
            e.policy();
            finish(e, "./capybara eval all" + (common.quick ? " --quick" : ""));
            printSummary(m);
            System.err.printf("eval: done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }

    static void printSummary(Measurements m) {
        int q = m.queueSizes().getLast();
        for (MigrationSystem s : m.systems()) {
            OverheadRun r = m.run(s.key(), q);
            if (r != null) {
                System.out.printf(java.util.Locale.ROOT, "%-18s %s: mean %.1f us, p50 %.1f us, p99 %.1f us (%d migrations, %d verified)%n",
                        s.label(), queueText(q), r.meanMicros(), r.percentileMicros(50), r.percentileMicros(99),
                        r.count(), r.verified());
            }
        }
        double ratio = m.ratioMean(LinuxRepairSystem.KEY, CapybaraSystem.KEY, q);
        if (!Double.isNaN(ratio)) {
            System.out.printf(java.util.Locale.ROOT, "mean ratio Linux / Capybara-J: %.1f%n", ratio);
        }
    }

    private static String queueText(int q) {
        return q + " B each way";
    }

    /**
     * The JSON of {@code eval overhead --json}. Stable keys: {@code capybara} and
     * {@code linux_tcp_repair}, each with {@code mean_us}, {@code p50_us}, {@code p99_us} and
     * {@code steps} (per step {@code p50_us}), and {@code ratio_mean} (Linux mean / Capybara-J
     * mean), all at the largest queue size run; {@code by_queue} holds every size.
     * {@code trimmed_mean_us} leaves out each run's largest 0.1 % of samples.
     */
    static Json json(Measurements m) {
        int q = m.queueSizes().getLast();
        Json out = new Json();
        out.put("count", m.count()).put("queue_bytes", q);
        for (MigrationSystem s : m.systems()) {
            system(out.object(s.key()), m, s, q);
        }
        out.put("ratio_mean", m.ratioMean(LinuxRepairSystem.KEY, CapybaraSystem.KEY, q));
        out.put("ratio_trimmed_mean", m.ratioTrimmedMean(LinuxRepairSystem.KEY, CapybaraSystem.KEY, q));
        out.put("ratio_p50", m.ratioPercentile(LinuxRepairSystem.KEY, CapybaraSystem.KEY, q, 50));
        out.put("ratio_p99", m.ratioPercentile(LinuxRepairSystem.KEY, CapybaraSystem.KEY, q, 99));
        Json c = out.object("c_reference");
        CReference.Result cr = m.cReference().get(q);
        c.put("available", cr != null);
        if (cr != null) {
            c.put("mean_us", cr.meanNanos() / 1000).put("p50_us", cr.p50Nanos() / 1000.0).put("p99_us", cr.p99Nanos() / 1000.0);
        } else {
            c.put("reason", m.cReferenceProblem());
        }
        Json byQueue = out.object("by_queue");
        for (int size : m.queueSizes()) {
            Json b = byQueue.object(Integer.toString(size));
            for (MigrationSystem s : m.systems()) {
                system(b.object(s.key()), m, s, size);
            }
            b.put("ratio_mean", m.ratioMean(LinuxRepairSystem.KEY, CapybaraSystem.KEY, size));
        }
        Json machine = out.object("machine");
        machine.put("cpu", m.machine().cpuModel()).put("cores", m.machine().cores())
                .put("memory_kib", m.machine().memoryKiB()).put("kernel", m.machine().kernel())
                .put("jdk", m.machine().jdk()).put("load", m.machine().loadAverage())
                .put("when", m.machine().when().toString());
        return out;
    }

    private static void system(Json j, Measurements m, MigrationSystem s, int q) {
        OverheadRun r = m.run(s.key(), q);
        j.put("available", r != null);
        if (r == null) {
            j.put("reason", m.unavailable().getOrDefault(s.key(), "not run"));
            j.put("mean_us", Double.NaN).put("p50_us", Double.NaN).put("p99_us", Double.NaN);
            j.object("steps");
            return;
        }
        io.capybara.eval.GcPauses gc = m.gc().getOrDefault(s.key() + "@" + q, io.capybara.eval.GcPauses.NONE);
        j.put("gc_pauses", gc.count()).put("gc_millis", gc.millis());
        j.put("migrations", r.count()).put("verified", r.verified()).put("mean_us", r.meanMicros())
                .put("trimmed_mean_us", r.trimmedMeanMicros())
                .put("p50_us", r.percentileMicros(50)).put("p99_us", r.percentileMicros(99))
                .put("p999_us", r.percentileMicros(99.9));
        Json steps = j.object("steps");
        for (Map.Entry<String, long[]> e : r.steps().entrySet()) {
            steps.object(e.getKey().replace(' ', '_')).put("p50_us", Stats.percentileMicros(e.getValue(), 50))
                    .put("mean_us", Stats.meanMicros(e.getValue()));
        }
    }
}
