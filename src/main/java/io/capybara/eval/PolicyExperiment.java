package io.capybara.eval;

import io.capybara.app.ArrivalSchedule;
import io.capybara.app.MergedSchedule;
import io.capybara.app.OpenLoopSchedule;
import io.capybara.app.WeightedSkew;
import io.capybara.demo.DemoOptions;
import io.capybara.demo.DemoRack;
import io.capybara.demo.PhaseResult;
import io.capybara.policy.PolicyKind;
import io.capybara.policy.ProactiveConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The SIGCOMM'26 Fig. 8 experiment: a load step on two servers. 100 connections with Zipf 1.2
 * request rates alternate between the servers (rank 0 on server 0, rank 1 on server 1, ...);
 * each server is offered {@code lowRps}; at {@code stepNanos} server 0's connections all speed up
 * so that server 0 is offered {@code highRps} (server 1 stays at {@code lowRps}). Static
 * placement, the reactive policy and the proactive policy run the same arrivals (same seed).
 *
 * <p>The paper's servers take 90K to 810K requests/s; ours are virtual cores of
 * {@code serviceMicros} per request (100K requests/s at 10 us), so the paper's rates are
 * multiplied by {@code rateScale}: with 1/7 the step takes server 0 from 13% to 116% of its
 * capacity (overload: past it under static placement) and the rack from 13% to 64% (room for both
 * when balanced).
 */
public final class PolicyExperiment {
    public static final double PAPER_LOW_RPS = 90_000;
    public static final double PAPER_HIGH_RPS = 810_000;

    public record Settings(int connections, double skew, double rateScale, long serviceMicros, long stepNanos,
                           long durationNanos, long seed, ProactiveConfig proactive) {
        public double lowRps() {
            return PAPER_LOW_RPS * rateScale;
        }

        public double highRps() {
            return PAPER_HIGH_RPS * rateScale;
        }

        public static Settings full() {
            return new Settings(100, 1.2, 1.0 / 7, 10, 200_000_000L, 1_000_000_000L, 42, ProactiveConfig.defaults());
        }

        public static Settings quick() {
            return new Settings(100, 1.2, 1.0 / 7, 10, 100_000_000L, 400_000_000L, 42, ProactiveConfig.defaults());
        }

        public Settings withSeed(long s) {
            return new Settings(connections, skew, rateScale, serviceMicros, stepNanos, durationNanos, s, proactive);
        }
    }

    /** One report window of one run. */
    public record Window(double timeMs, double p99Micros, double[] servedRps, double[] utilization, long migrations) {
    }

    /** One policy's run. */
    public record Run(PolicyKind policy, PhaseResult result, List<Window> windows) {
        /** The worst window p99 from the step on. */
        public double maxWindowP99Micros() {
            return windows.stream().mapToDouble(Window::p99Micros).max().orElse(0);
        }

        public long migrations() {
            return result.migrations();
        }
    }

    private PolicyExperiment() {
    }

    /** The step's arrivals: a base schedule over all connections, plus server 0's extra from the step on. */
    static DemoRack.LoadShape stepLoad(Settings s) {
        int n = s.connections();
        double[] zipf = new double[n];
        double[] perServer = new double[2];
        for (int i = 0; i < n; i++) {
            zipf[i] = Math.pow(i + 1, -s.skew());
            perServer[i % 2] += zipf[i];
        }
        double[] base = new double[n];
        double[] extra = new double[n];
        for (int i = 0; i < n; i++) {
            base[i] = zipf[i] / perServer[i % 2] / 2; // each server offered lowRps
            extra[i] = i % 2 == 0 ? zipf[i] / perServer[0] : 0;
        }
        double seconds = s.durationNanos() / 1e9;
        double afterStep = (s.durationNanos() - s.stepNanos()) / 1e9;
        double extraRps = s.highRps() - s.lowRps();
        return new DemoRack.LoadShape() {
            @Override
            public ArrivalSchedule schedule(long startNanos, long seed) {
                return new MergedSchedule(
                        new OpenLoopSchedule(startNanos, 2 * s.lowRps(), new WeightedSkew(base), seed),
                        new OpenLoopSchedule(startNanos + s.stepNanos(), extraRps, new WeightedSkew(extra), seed * 31 + 1));
            }

            @Override
            public double expectedRequests(int i) {
                return base[i] * 2 * s.lowRps() * seconds + extra[i] * extraRps * afterStep;
            }
        };
    }

    static DemoOptions options(Settings s) {
        return DemoOptions.defaults().withServers(2).withConnections(s.connections()).withSkew(s.skew())
                .withRate(s.highRps() + s.lowRps()).withDuration(s.durationNanos()).withSeed(s.seed())
                .withServiceMicros(s.serviceMicros());
    }

    /** Runs one policy. */
    public static Run run(Settings s, PolicyKind policy) {
        DemoOptions o = options(s);
        List<Window> windows = new ArrayList<>();
        long[][] last = new long[2][];
        long[] lastTime = {-1};
        DemoRack.ProgressListener listener = p -> {
            long t = p.scheduleElapsedNanos();
            if (last[0] != null && p.virtualNanos() > lastTime[0]) {
                double dt = (p.virtualNanos() - lastTime[0]) / 1e9;
                int n = p.servedPerServer().length;
                double[] rps = new double[n];
                double[] util = new double[n];
                for (int i = 0; i < n; i++) {
                    rps[i] = (p.servedPerServer()[i] - last[0][i]) / dt;
                    util[i] = (p.busyNanosPerServer()[i] - last[1][i]) / (dt * 1e9);
                }
                windows.add(new Window(t / 1e6, p.windowP99Nanos() / 1000.0, rps, util, p.migrations()));
            }
            last[0] = p.servedPerServer().clone();
            last[1] = p.busyNanosPerServer().clone();
            lastTime[0] = p.virtualNanos();
        };
        DemoRack.Scenario scenario = new DemoRack.Scenario(i -> i % 2, stepLoad(s), policy, s.proactive());
        PhaseResult r = DemoRack.run(o, policy != PolicyKind.STATIC, listener, UnaryOperator.identity(), scenario);
        return new Run(policy, r, windows);
    }

    /** Runs the three policies; writes policy.csv, policy_p99.png, policy_load.png and the "policy" section. */
    public static List<Run> run(Report report, Settings s, Progress.Factory progress) throws IOException {
        Progress bar = progress.open("policy: load step on 2 servers (static, reactive, proactive)", 3);
        List<Run> runs = new ArrayList<>();
        for (PolicyKind k : PolicyKind.values()) {
            runs.add(run(s, k));
            bar.step();
        }
        bar.finish();
        write(report, s, runs);
        return runs;
    }

    static void write(Report report, Settings s, List<Run> runs) throws IOException {
        Csv csv = new Csv("policy", "time_ms", "p99_us", "server0_rps", "server1_rps", "server0_utilization",
                "server1_utilization", "migrations");
        MarkdownTable t = MarkdownTable.of("policy", "p99 before the step", "worst 10 ms p99 after it", "p99 overall",
                "migrations", "requests", "errors");
        double stepMs = s.stepNanos() / 1e6;
        LoadStepSeries series = new LoadStepSeries(stepMs);
        for (Run r : runs) {
            String name = r.policy().label();
            series.startRun(name);
            for (Window w : r.windows()) {
                csv.add(name, w.timeMs(), w.p99Micros(), w.servedRps()[0], w.servedRps()[1], w.utilization()[0],
                        w.utilization()[1], w.migrations());
                series.window(w.timeMs(), w.p99Micros(), true, w.servedRps()[0], w.servedRps()[1]);
            }
            t.row(name, MarkdownTable.num(series.worstBefore()) + " us", MarkdownTable.num(series.worstAfter()) + " us",
                    MarkdownTable.num(r.result().p99Nanos() / 1000.0) + " us", Long.toString(r.migrations()),
                    Long.toString(r.result().completed()), Long.toString(r.result().errors()));
        }
        csv.write(report.file("policy.csv"));
        series.draw(report.file("policy_p99.png"), "p99 latency per 10 ms window across a load step",
                report.file("policy_load.png"), "Requests served per server across a load step");
        StringBuilder md = new StringBuilder("## Migration policies across a load step (SIGCOMM'26 Fig. 8)\n\n");
        md.append("Ran ").append(MachineInfo.probe().summary()).append(".\n\n");
        md.append(String.format(Locale.ROOT, "Simulated rack, virtual time: 2 servers of %d us per request (%.0f "
                        + "requests/s each), %d connections with Zipf %.1f rates alternating between them. Each server "
                        + "is offered %.0f requests/s; at %.0f ms server 0's connections speed up %.0fx so that it is "
                        + "offered %.0f requests/s (the paper's 90K -> 810K times %.4f: %.0f%% of its capacity; the "
                        + "rack at %.0f%%). %s virtual in all, seed %d. Static: no migration. Reactive: each server "
                        + "sheds its busiest connection while its queue is above 200 us of work, until below 50 us. "
                        + "Proactive: each server compares its offered load (smoothed connection rates, %.0f ms looks) "
                        + "with the least loaded other server's (the switch's view from heartbeats) and moves the "
                        + "connection that best halves a gap above %.0f%% of their sum; each connection at most once "
                        + "per %.1f s, %.0f ms between moves, at most %d per %.1f s.%n%n",
                s.serviceMicros(), 1e6 / s.serviceMicros(), s.connections(), s.skew(), s.lowRps(), stepMs,
                s.highRps() / s.lowRps(), s.highRps(), s.rateScale(), 100 * s.highRps() * s.serviceMicros() / 1e6,
                100 * (s.highRps() + s.lowRps()) * s.serviceMicros() / 2e6, seconds(s.durationNanos()), s.seed(),
                s.proactive().intervalNanos() / 1e6, 100 * s.proactive().threshold(),
                s.proactive().connectionIntervalNanos() / 1e9, s.proactive().cooldownNanos() / 1e6,
                s.proactive().budget(), s.proactive().budgetWindowNanos() / 1e9));
        md.append("The paper (DPDK, Tofino): proactive keeps p99 at 10-100 us with about 4 migrations, reactive "
                + "spikes to about 1 ms with about 20, static goes past 20 ms.\n\n");
        md.append(Report.image("p99 over time", "policy_p99.png")).append('\n');
        md.append(Report.image("load per server over time", "policy_load.png")).append('\n');
        md.append(t).append('\n').append("Files: `policy.csv`, `policy_p99.png`, `policy_load.png`.\n");
        report.section("policy", md.toString());
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
