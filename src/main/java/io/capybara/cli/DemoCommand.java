package io.capybara.cli;

import io.capybara.demo.DemoExperiment;
import io.capybara.demo.DemoOptions;
import io.capybara.demo.DemoRack;
import io.capybara.demo.PhaseResult;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./capybara demo}: the paper's 150-client HTTP experiment in one process, on the
 * simulator in virtual time: static placement versus live migration at the same skewed load.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
                "A switch, servers and 150 open-loop HTTP client connections with Zipf-skewed load, on in-memory links "
                        + "in virtual time. Runs the same load twice: static placement, then with TCPMig live "
                        + "migration, and prints both side by side.",
                "Each server is one core whose request service time is virtual busy time, so latencies do not "
                        + "depend on this machine's speed and a seed gives the same numbers every time."})
public final class DemoCommand implements Callable<Integer> {
    private static final DemoOptions D = DemoOptions.defaults();

    @Option(names = "--duration", description = "Virtual seconds of load per phase (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    double duration;
    @Option(names = "--rate", description = "Offered requests per second over the rack (default: ${DEFAULT-VALUE}).",
            defaultValue = "130000")
    double rate;
    @Option(names = "--servers", description = "Servers behind the switch (default: ${DEFAULT-VALUE}).",
            defaultValue = "2")
    int servers;
    @Option(names = "--connections", description = "Client connections (default: ${DEFAULT-VALUE}).",
            defaultValue = "150")
    int connections;
    @Option(names = "--skew", description = "Zipf exponent over the connections (default: ${DEFAULT-VALUE}).",
            defaultValue = "0.9")
    double skew;
    @Option(names = "--service-us", description = "Service time of one request in microseconds (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    long serviceMicros;
    @Option(names = "--migration-delay-us",
            description = "Extra delay injected into every migration (origin CPU busy time before CONN_STATE), "
                    + "microseconds (default: ${DEFAULT-VALUE}).", defaultValue = "0")
    long extraDelayMicros;
    @Option(names = "--manual-migrations",
            description = "Migrations per second of random connections triggered on top of the policy "
                    + "(default: ${DEFAULT-VALUE}).", defaultValue = "0")
    double manualPerSecond;
    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).", defaultValue = "42")
    long seed;
    @Mixin
    JsonFlag json;
    @Option(names = "--quiet", description = "No progress line on stderr.")
    boolean quiet;

    @Override
    public Integer call() {
        Args.positive("--duration", duration);
        Args.positive("--rate", rate);
        Args.between("--servers", servers, 1, 64);
        Args.between("--connections", connections, servers, 16_384);
        Args.atLeast("--skew", skew, 0);
        Args.atLeast("--service-us", serviceMicros, 0);
        Args.atLeast("--migration-delay-us", extraDelayMicros, 0);
        Args.atLeast("--manual-migrations", manualPerSecond, 0);
        DemoOptions o = D.withDuration(Math.round(duration * 1e9)).withRate(rate).withServers(servers)
                .withConnections(connections).withSkew(skew).withServiceMicros(serviceMicros)
                .withExtraMigrationDelayMicros(extraDelayMicros).withManualMigrations(manualPerSecond).withSeed(seed);
        long wall0 = System.nanoTime();
        ProgressLine line = quiet ? null : new ProgressLine(System.err, io.capybara.io.linux.Terminal.stderr());
        DemoExperiment.Result r = DemoExperiment.run(o, line);
        if (line != null) {
            line.finish();
        }
        double wall = (System.nanoTime() - wall0) / 1e9;
        if (json.on) {
            System.out.println(json(r, wall));
        } else {
            table(r, wall, System.out);
        }
        return r.errors() == 0 && r.clientResets() == 0 ? 0 : 1;
    }

    // ------------------------------------------------------------------ progress

    /**
     * Progress on stderr: one line redrawn in place at most every 200 ms on a terminal; into a
     * file or a pipe, plain lines, at most one a second and one per phase.
     */
    static final class ProgressLine implements DemoRack.ProgressListener {
        private final PrintStream out;
        private final boolean redraw;
        private long lastPrint;
        private Boolean phase;
        private String last = "";

        ProgressLine(PrintStream out, boolean redraw) {
            this.out = out;
            this.redraw = redraw;
        }

        @Override
        public void update(DemoRack.Progress p) {
            if (phase != null && phase != p.migrating()) {
                out.print((redraw ? "\r" : "") + last + "\n");
                lastPrint = 0;
            }
            phase = p.migrating();
            last = String.format(Locale.ROOT, "%-9s  t=%5.2f/%.2f s  requests %,9d  p99(last 10 ms) %,9d us  migrations %d",
                    p.migrating() ? "migrating" : "static", p.scheduleElapsedNanos() / 1e9, p.scheduleNanos() / 1e9,
                    p.completed(), p.windowP99Nanos() / 1000, p.migrations());
            long now = System.nanoTime();
            if (redraw && now - lastPrint > 200_000_000L) {
                lastPrint = now;
                out.print("\r" + last + "   ");
                out.flush();
            } else if (!redraw && (lastPrint == 0 || now - lastPrint > 1_000_000_000L)) {
                lastPrint = now;
                out.println(last);
            }
        }

        void finish() {
            if (!last.isEmpty()) {
                out.print(redraw ? "\r" + last + "   \n" : last + "\n");
                out.flush();
            }
        }
    }

    // ------------------------------------------------------------------ output

    private static double us(long nanos) {
        return nanos / 1000.0;
    }

    static Json json(DemoExperiment.Result r, double wallSeconds) {
        DemoOptions o = r.options();
        PhaseResult m = r.migratingPhase();
        Json j = new Json()
                .put("requests", r.requests())
                .put("errors", r.errors())
                .put("client_resets", r.clientResets())
                .put("migrations", r.migrations());
        phase(j.object("static"), r.staticPhase());
        phase(j.object("migrating"), m);
        percentiles(j.object("overhead_us"), m.overhead());
        percentiles(j.object("blackout_us"), m.blackout());
        j.put("p99_ratio", r.p99Ratio());
        j.object("warmup").put("rounds", r.warmUp().rounds()).put("migrations", r.warmUp().migrations())
                .put("jit_settled", r.warmUp().jitSettled());
        Json opts = j.object("options");
        opts.put("servers", o.servers()).put("connections", o.connections()).put("rate_rps", o.requestsPerSecond())
                .put("duration_s", o.durationNanos() / 1e9).put("skew", o.skew())
                .put("service_us", o.serviceMicros()).put("response_bytes", o.responseBytes())
                .put("link_delay_us", us(o.linkDelayNanos())).put("seed", o.seed())
                .put("migration_delay_us", o.extraMigrationDelayMicros())
                .put("manual_migrations_per_s", o.manualMigrationsPerSecond())
                .put("policy_high_backlog_us", o.highBacklogMicros()).put("policy_low_backlog_us", o.lowBacklogMicros())
                .put("rack_capacity_rps", o.rackCapacity());
        Json load = opts.object("static_offered_load");
        double[] l = DemoExperiment.staticServerLoad(o);
        for (int i = 0; i < l.length; i++) {
            load.put("server" + i, l[i]);
        }
        j.put("wall_seconds", wallSeconds);
        return j;
    }

    private static void phase(Json p, PhaseResult r) {
        p.put("requests", r.issued()).put("completed", r.completed()).put("errors", r.errors())
                .put("client_resets", r.clientResets()).put("throughput_rps", r.throughputRps())
                .put("p50_us", us(r.p50Nanos())).put("p99_us", us(r.p99Nanos())).put("p999_us", us(r.p999Nanos()))
                .put("max_us", us(r.maxNanos())).put("mean_us", r.meanNanos() / 1000)
                .put("migrations", r.migrations()).put("migrations_started", r.migrationsStarted())
                .put("migrations_aborted", r.migrationsAborted()).put("manual_migrations", r.manualTriggered());
        Json u = p.object("utilization");
        for (int i = 0; i < r.perServerServed().length; i++) {
            u.put("server" + i, r.utilization(i));
        }
        if (r.migrationEnabled()) {
            percentiles(p.object("overhead_us"), r.overhead());
            percentiles(p.object("blackout_us"), r.blackout());
        }
        p.put("virtual_seconds", r.virtualNanos() / 1e9).put("wall_seconds", r.wallNanos() / 1e9)
                .put("frames", r.frames()).put("trace_hash", String.format("%016x", r.traceHash()));
        Json c = p.object("counters");
        r.counters().forEach(c::put);
    }

    private static void percentiles(Json j, Histogram h) {
        j.put("count", h.getTotalCount()).put("p50", us(h.getValueAtPercentile(50)))
                .put("p99", us(h.getValueAtPercentile(99))).put("max", us(h.getMaxValue()));
    }

    static void table(DemoExperiment.Result r, double wallSeconds, PrintStream out) {
        DemoOptions o = r.options();
        PhaseResult s = r.staticPhase();
        PhaseResult m = r.migratingPhase();
        double[] load = DemoExperiment.staticServerLoad(o);
        double hottest = 0;
        for (double v : load) {
            hottest = Math.max(hottest, v);
        }
        out.printf(Locale.ROOT, "Capybara-J demo: %d servers x %d us per request, %d client connections (Zipf %.2f), "
                        + "links %.1f us, seed %d%n", o.servers(), o.serviceMicros(), o.connections(), o.skew(),
                us(o.linkDelayNanos()), o.seed());
        out.printf(Locale.ROOT, "offered %,.0f requests/s = %.0f%% of the rack; the hottest server gets %.0f%% of its "
                        + "capacity under static placement; %.2f virtual s per phase%n%n", o.requestsPerSecond(),
                100 * o.requestsPerSecond() / o.rackCapacity(), 100 * hottest, o.durationNanos() / 1e9);
        out.printf("%-34s %16s %16s%n", "", "static", "migrating");
        row(out, "requests", s, m, p -> String.format(Locale.ROOT, "%,d", p.issued()));
        row(out, "throughput (requests/s)", s, m, p -> String.format(Locale.ROOT, "%,.0f", p.throughputRps()));
        row(out, "latency p50 (us)", s, m, p -> String.format(Locale.ROOT, "%,.1f", us(p.p50Nanos())));
        row(out, "latency p99 (us)", s, m, p -> String.format(Locale.ROOT, "%,.1f", us(p.p99Nanos())));
        row(out, "latency p99.9 (us)", s, m, p -> String.format(Locale.ROOT, "%,.1f", us(p.p999Nanos())));
        row(out, "server utilization", s, m, DemoCommand::utilization);
        row(out, "migrations", s, m, p -> p.migrationEnabled() ? String.format(Locale.ROOT, "%,d", p.migrations()) : "-");
        row(out, "migration overhead p50/p99 (us)", s, m, p -> pair(p, p.overhead()));
        row(out, "blackout p50/p99 (us)", s, m, p -> pair(p, p.blackout()));
        row(out, "errors", s, m, p -> Long.toString(p.errors()));
        row(out, "client resets", s, m, p -> Long.toString(p.clientResets()));
        out.printf(Locale.ROOT, "%nmigrating p99 = %.4f x static p99. Latency runs from each request's intended send "
                + "time (no coordinated omission).%n", r.p99Ratio());
        DemoExperiment.WarmUp w = r.warmUp();
        out.printf(Locale.ROOT, "Overhead (%d migrations%s): server CPU of a migration's steps (origin + target), "
                + "measured with System.nanoTime on this JVM after %s, so it varies with this machine's load; "
                + "blackout: virtual time from the target's PREPARE_MIG_ACK until it serves the connection.%n",
                m.overhead().getTotalCount(), m.overhead().getTotalCount() < 100 ? ", too few for a stable p99" : "",
                w.rounds() == 0 ? "no warm-up (a cold JVM)"
                        : String.format(Locale.ROOT, "%,d warm-up migrations in %d rounds%s", w.migrations(), w.rounds(),
                                w.jitSettled() ? " until the JIT settled" : " (the JIT had not settled: a cold JVM's figures)"));
        out.printf(Locale.ROOT, "Wall time %.1f s (static %.1f s, migrating %.1f s).%n", wallSeconds,
                s.wallNanos() / 1e9, m.wallNanos() / 1e9);
    }

    private static String utilization(PhaseResult p) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < p.perServerServed().length; i++) {
            sb.append(i == 0 ? "" : " ").append(Math.round(100 * p.utilization(i))).append('%');
        }
        return sb.toString();
    }

    private static String pair(PhaseResult p, Histogram h) {
        if (!p.migrationEnabled() || h.getTotalCount() == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f / %.1f", us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(99)));
    }

    private static void row(PrintStream out, String name, PhaseResult s, PhaseResult m,
                            Function<PhaseResult, String> f) {
        out.printf("%-34s %16s %16s%n", name, f.apply(s), f.apply(m));
    }
}
