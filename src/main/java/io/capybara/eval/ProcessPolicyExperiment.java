package io.capybara.eval;

import io.capybara.policy.PolicyKind;
import io.capybara.rack.proc.ProcessRackOptions;
import io.capybara.rack.proc.RackPolicyRun;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The load step of {@link PolicyExperiment} on the multi-process rack ({@code eval policy
 * --processes}, root): real links, one JVM per node, the policies running inside the server
 * processes, an open-loop client in its namespace ({@link RackPolicyRun}). Shorter and coarser
 * than the simulated run (real time on a shared machine), at 1/100 of its rates.
 */
public final class ProcessPolicyExperiment {
    private ProcessPolicyExperiment() {
    }

    /** Runs the three policies, each on a fresh rack; writes policy_processes.csv, two figures and the section. */
    public static List<RackPolicyRun.Result> run(Report report, RackPolicyRun.Settings s, String rackName, PrintStream log,
                                                 Progress.Factory progress) throws Exception {
        Progress bar = progress.open("policy on the multi-process rack (static, reactive, proactive)", 3);
        List<RackPolicyRun.Result> runs = new ArrayList<>();
        for (PolicyKind k : PolicyKind.values()) {
            ProcessRackOptions o = ProcessRackOptions.defaults(rackName + k.label().charAt(0), null);
            runs.add(RackPolicyRun.run(o, s, k, log));
            bar.step();
        }
        bar.finish();
        write(report, s, runs);
        return runs;
    }

    static void write(Report report, RackPolicyRun.Settings s, List<RackPolicyRun.Result> runs) throws IOException {
        Csv csv = new Csv("policy", "time_ms", "p99_us", "responses", "server0_rps", "server1_rps", "migrations");
        MarkdownTable t = MarkdownTable.of("policy", "worst window p99 before the step", "worst window p99 after it",
                "p99 overall", "migrations", "requests", "errors");
        LoadStepSeries series = new LoadStepSeries(s.stepSeconds() * 1000);
        for (RackPolicyRun.Result r : runs) {
            String name = r.policy().label();
            series.startRun(name);
            for (RackPolicyRun.Window w : r.windows()) {
                csv.add(name, w.timeMs(), w.p99Micros(), w.responses(), w.server0Rps(), w.server1Rps(), w.migrations());
                // a window with no response has no p99
                series.window(w.timeMs(), w.p99Micros(), w.responses() > 0, w.server0Rps(), w.server1Rps());
            }
            t.row(name, MarkdownTable.num(series.worstBefore() / 1000) + " ms",
                    MarkdownTable.num(series.worstAfter() / 1000) + " ms",
                    MarkdownTable.num(r.p99Micros() / 1000) + " ms", Long.toString(r.migrations()),
                    Long.toString(r.requests()), Long.toString(r.errors()));
        }
        csv.write(report.file("policy_processes.csv"));
        series.draw(report.file("policy_processes_p99.png"), "p99 latency per window across a load step (processes)",
                report.file("policy_processes_load.png"), "Requests served per server across a load step (processes)");
        StringBuilder md = new StringBuilder("## Migration policies across a load step, multi-process rack\n\n");
        md.append("Ran ").append(MachineInfo.probe().summary()).append(".\n\n");
        md.append(String.format(Locale.ROOT, "The load step of the simulated run above on the multi-process rack: a switch "
                        + "process and 2 server processes on veths, AF_PACKET, real time. Each server has a fixed capacity "
                        + "of %.0f requests/s (`server --service-us %d`: a virtual CPU per response; requests wait in "
                        + "their connections meanwhile). An open-loop client in its namespace (`policy_client.py`) "
                        + "sends on %d keep-alive connections with Zipf %.1f rates alternating between the servers, "
                        + "%.0f requests/s to each; at %.1f s server 0's connections speed up so that it is offered "
                        + "%.0f requests/s (%.0f%% of its capacity). %.1f s per policy, each on a fresh rack, same "
                        + "arrivals (seed %d); latency from each request's scheduled time, p99 per %d ms window. The "
                        + "servers run the policy themselves: reactive sheds its busiest connection while more than 20 "
                        + "requests wait, until fewer than 5; proactive (50 ms looks: these rates are 1/100 of the "
                        + "simulated run's) compares its offered load with the least loaded other server's, which "
                        + "the switch reports in answer to each heartbeat (every 10 ms).%n%n",
                1e6 / s.serviceMicros(), s.serviceMicros(), s.connections(), s.skew(), s.lowRps(), s.stepSeconds(),
                s.highRps(), 100 * s.highRps() * s.serviceMicros() / 1e6, s.seconds(), s.seed(), s.windowMs()));
        md.append(Report.image("p99 over time (processes)", "policy_processes_p99.png")).append('\n');
        md.append(Report.image("load per server over time (processes)", "policy_processes_load.png")).append('\n');
        md.append(t).append('\n').append("Files: `policy_processes.csv`, `policy_processes_p99.png`, "
                + "`policy_processes_load.png`. Reproduce: `sudo ./capybara eval policy --processes`.\n");
        report.section("policy_processes", md.toString());
    }
}
