package io.capybara.eval;

import io.capybara.eval.RackWorkload.Params;
import io.capybara.eval.RackWorkload.Point;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rack figures: capacity first, then the paper's Figure 1 (p99 latency against injected
 * per-migration delay at fixed fractions of the measured capacity) and the skew sweep (static
 * placement against migration).
 */
public final class RackExperiments {
    /** Settings of the tail figure. */
    public record TailSettings(int connections, List<Double> loadFractions, List<Long> delaysMicros,
                               double migrationsPerSecond, double skew, long durationNanos, long seed) {
    }

    /** Settings of the skew figure. */
    public record SkewSettings(int connections, double loadFraction, List<Double> skews, long durationNanos, long seed) {
    }

    /** Capacity as measured: requests completed per second under overload, static, uniform. */
    public record Capacity(double rps, Point probe) {
    }

    private RackExperiments() {
    }

    public static Capacity capacity(RackWorkload w, int connections, long durationNanos, long seed,
                                    Progress.Factory progress) {
        Progress bar = progress.open("rack capacity (overload, static, uniform)", 1);
        Point p = w.run(new Params(connections, w.overloadRps(), 0, false, false, 0, 0, durationNanos, seed));
        bar.finish();
        return new Capacity(p.completedRps(), p);
    }

    /** Runs the tail figure; writes tail.csv, tail.png and the "tail" section. */
    public static List<Point> tail(Report report, RackWorkload w, Capacity cap, TailSettings s,
                                   Progress.Factory progress) throws IOException {
        MachineInfo machine = MachineInfo.probe();
        Progress bar = progress.open("tail latency vs migration delay", (long) s.loadFractions().size()
                * (s.delaysMicros().size() + 1));
        List<Point> points = new ArrayList<>();
        Map<Double, Point> noMigration = new LinkedHashMap<>();
        Map<Double, List<Point>> byLoad = new LinkedHashMap<>();
        for (double f : s.loadFractions()) {
            double rps = f * cap.rps();
            noMigration.put(f, w.run(new Params(s.connections(), rps, s.skew(), false, false, 0, 0, s.durationNanos(), s.seed())));
            bar.step();
            List<Point> curve = byLoad.computeIfAbsent(f, k -> new ArrayList<>());
            for (long d : s.delaysMicros()) {
                Point p = w.run(new Params(s.connections(), rps, s.skew(), true, false, s.migrationsPerSecond(), d,
                        s.durationNanos(), s.seed()));
                curve.add(p);
                points.add(p);
                bar.step();
            }
        }
        bar.finish();
        Csv csv = new Csv("load_fraction", "offered_rps", "migration", "extra_delay_us", "migrations", "completed",
                "errors", "completed_rps", "p50_us", "p99_us", "p999_us");
        Map<String, List<double[]>> lines = new LinkedHashMap<>();
        MarkdownTable t = MarkdownTable.of("load", "extra delay us", "migrations", "p50 us", "p99 us", "p99.9 us",
                "errors");
        for (double f : s.loadFractions()) {
            Point base = noMigration.get(f);
            row(csv, f, base);
            t.row(loadLabel(f, base.params().offeredRps()), "no migration", "0", MarkdownTable.num(base.p50Micros()),
                    MarkdownTable.num(base.p99Micros()), MarkdownTable.num(base.p999Micros()), Long.toString(base.errors()));
            List<double[]> line = new ArrayList<>();
            for (Point p : byLoad.get(f)) {
                row(csv, f, p);
                line.add(new double[] {p.params().extraDelayMicros(), p.p99Micros()});
                t.row(loadLabel(f, p.params().offeredRps()), Long.toString(p.params().extraDelayMicros()),
                        Long.toString(p.migrations()), MarkdownTable.num(p.p50Micros()), MarkdownTable.num(p.p99Micros()),
                        MarkdownTable.num(p.p999Micros()), Long.toString(p.errors()));
            }
            lines.put(loadLabel(f, f * cap.rps()), line);
        }
        csv.write(report.file("tail.csv"));
        Charts.lines(report.file("tail.png"), "p99 request latency vs. injected migration delay",
                "extra delay per migration (us)", "p99 latency (us, log scale)", lines, true);
        StringBuilder md = new StringBuilder("## Tail latency against migration overhead (paper Figure 1)\n\n");
        md.append("Ran ").append(machine.summary()).append(". Workload: ").append(w.describe()).append(".\n\n");
        md.append(String.format(Locale.ROOT, "Capacity measured first: %.0f requests/s completed under an offered "
                        + "%.0f requests/s (static placement, uniform load, %s virtual). Each curve is one offered load, "
                        + "a fixed fraction of that capacity; %d connections, Zipf skew %.2f, %.0f migrations/s "
                        + "triggered (a random connection of a random server each time; the load policy is off, so "
                        + "the delay does not change how many migrations happen), %s virtual per point, seed %d. The extra delay keeps "
                        + "the origin's CPU busy for that long in every migration before CONN_STATE leaves.%n%n",
                cap.rps(), cap.probe().params().offeredRps(), seconds(cap.probe().params().durationNanos()),
                s.connections(), s.skew(), s.migrationsPerSecond(), seconds(s.durationNanos()), s.seed()));
        md.append(Report.image("p99 latency vs. migration delay", "tail.png")).append('\n');
        md.append(t).append('\n').append("Files: `tail.csv`, `tail.png`.\n");
        report.section("tail", md.toString());
        return points;
    }

    private static void row(Csv csv, double f, Point p) {
        csv.add(f, p.params().offeredRps(), p.params().migration(), p.params().extraDelayMicros(), p.migrations(),
                p.completed(), p.errors(), p.completedRps(), p.p50Micros(), p.p99Micros(), p.p999Micros());
    }

    private static String loadLabel(double f, double rps) {
        return String.format(Locale.ROOT, "%.0f%% of capacity (%.0fK rps)", f * 100, rps / 1000);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    /** Runs the skew sweep; writes skew.csv, skew_latency.png, skew_throughput.png and the "skew" section. */
    public static List<Point> skew(Report report, RackWorkload w, Capacity cap, SkewSettings s,
                                   Progress.Factory progress) throws IOException {
        MachineInfo machine = MachineInfo.probe();
        Progress bar = progress.open("skew: static, least-work round robin, migration", 3L * s.skews().size());
        double rps = s.loadFraction() * cap.rps();
        List<Point> points = new ArrayList<>();
        for (double z : s.skews()) {
            points.add(w.run(new Params(s.connections(), rps, z, false, true, 0, 0, s.durationNanos(), s.seed(), false)));
            bar.step();
            points.add(w.run(new Params(s.connections(), rps, z, false, true, 0, 0, s.durationNanos(), s.seed(), true)));
            bar.step();
            points.add(w.run(new Params(s.connections(), rps, z, true, true, 0, 0, s.durationNanos(), s.seed(), false)));
            bar.step();
        }
        bar.finish();
        Csv csv = new Csv("skew", "migration", "offered_rps", "migrations", "completed", "errors", "completed_rps",
                "p50_us", "p99_us", "p999_us", "placement");
        MarkdownTable t = MarkdownTable.of("Zipf s", "placement", "p50 us", "p99 us", "p99.9 us", "completed rps",
                "migrations", "errors");
        Map<String, List<double[]>> latency = new LinkedHashMap<>();
        Map<String, List<double[]>> throughput = new LinkedHashMap<>();
        for (Point p : points) {
            String mode = p.params().placementLabel();
            csv.add(p.params().skew(), p.params().migration(), p.params().offeredRps(), p.migrations(), p.completed(),
                    p.errors(), p.completedRps(), p.p50Micros(), p.p99Micros(), p.p999Micros(), mode);
            t.row(String.format(Locale.ROOT, "%.2f", p.params().skew()), mode, MarkdownTable.num(p.p50Micros()),
                    MarkdownTable.num(p.p99Micros()), MarkdownTable.num(p.p999Micros()),
                    String.format(Locale.ROOT, "%.0f", p.completedRps()), Long.toString(p.migrations()),
                    Long.toString(p.errors()));
            double z = p.params().skew();
            latency.computeIfAbsent(mode + " p50", k -> new ArrayList<>()).add(new double[] {z, Math.max(1, p.p50Micros())});
            latency.computeIfAbsent(mode + " p99", k -> new ArrayList<>()).add(new double[] {z, Math.max(1, p.p99Micros())});
            latency.computeIfAbsent(mode + " p99.9", k -> new ArrayList<>()).add(new double[] {z, Math.max(1, p.p999Micros())});
            throughput.computeIfAbsent(mode, k -> new ArrayList<>()).add(new double[] {z, p.completedRps()});
        }
        throughput.put("offered", s.skews().stream().map(z -> new double[] {z, rps}).toList());
        csv.write(report.file("skew.csv"));
        Charts.lines(report.file("skew_latency.png"), "Request latency vs. skew: static, least-work round robin, migration",
                "Zipf exponent s", "latency (us, log scale)", latency, true);
        Charts.lines(report.file("skew_throughput.png"), "Throughput vs. skew", "Zipf exponent s",
                "requests completed per second", throughput, false);
        StringBuilder md = new StringBuilder("## Static placement, least-work round robin and migration under skew\n\n");
        md.append("Ran ").append(machine.summary()).append(". Workload: ").append(w.describe()).append(".\n\n");
        md.append(String.format(Locale.ROOT, "Offered load %.0f requests/s (%.0f%% of the measured capacity of %.0f), "
                        + "%d connections. `static`: placed in contiguous blocks of Zipf rank (the hottest on server 0). "
                        + "`lwrr`: least-work round robin, the SIGCOMM'26 baseline: each connection, opening in a random "
                        + "order on an idle rack, goes to the server with the least work, ties in turn (so in turn). "
                        + "`migration`: static placement, and the servers' load policy sheds connections to the "
                        + "least-loaded server. "
                        + "`completed rps` counts the drain after the schedule too, so it falls below the offered rate "
                        + "when a server cannot keep up. %s virtual per point, seed %d.%n%n",
                rps, s.loadFraction() * 100, cap.rps(), s.connections(), seconds(s.durationNanos()), s.seed()));
        md.append(Report.image("latency vs. skew", "skew_latency.png")).append('\n');
        md.append(Report.image("throughput vs. skew", "skew_throughput.png")).append('\n');
        md.append(t).append('\n').append("Files: `skew.csv`, `skew_latency.png`, `skew_throughput.png`.\n");
        report.section("skew", md.toString());
        return points;
    }
}
