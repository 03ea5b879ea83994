package io.capybara.rack.proc;

import io.capybara.io.linux.Topology;
import io.capybara.lab.LabRack;
import io.capybara.policy.PolicyKind;
import io.capybara.wire.Ipv4Address;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The SIGCOMM'26 Fig. 8 load step on the multi-process rack: two server processes of fixed
 * capacity ({@code --service-us}: a virtual CPU per response, see {@link ServiceGate}), a switch
 * process, and an open-loop HTTP client in the client namespace ({@code policy_client.py}: Zipf
 * connection rates alternating between the servers, Poisson arrivals scheduled in advance, latency
 * from the scheduled time). Each policy gets its own rack and the same arrivals (same seed). The
 * servers run the policy themselves: the proactive one learns the other server's load from the
 * switch's answer to its heartbeats.
 */
public final class RackPolicyRun {
    /** One HTTP request of the client: {@code GET / HTTP/1.1}, {@code Host: rack}. */
    static final int REQUEST_BYTES = 30;

    /**
     * @param serviceMicros each server's cost per response (capacity 1e6 / serviceMicros requests/s)
     * @param lowRps        each server's offered load before the step
     * @param highRps       server 0's offered load from the step on
     */
    public record Settings(int connections, double skew, long serviceMicros, double lowRps, double highRps,
                           double stepSeconds, double seconds, long seed, int windowMs) {
        /**
         * The paper's 90K -> 810K requests/s scaled like the simulated run: server 0 from 13% to
         * 116% of its capacity. 1 ms per request (1,000 requests/s a server) keeps the client, a
         * python process sharing two cores with the rack, well within what it can send on time.
         */
        public static Settings of(boolean quick, long seed) {
            long service = 1000;
            double scale = (1e6 / service) / 100_000 / 7;
            return new Settings(100, 1.2, service, 90_000 * scale, 810_000 * scale, quick ? 3 : 4, quick ? 8 : 12, seed,
                    250);
        }
    }

    /** One report window: the client's p99 and what each server answered, migrations so far. */
    public record Window(double timeMs, double p99Micros, long responses, double server0Rps, double server1Rps,
                         long migrations) {
    }

    public record Result(PolicyKind policy, long requests, double p99Micros, long errors, long sent, long migrations,
                         List<Window> windows) {
        public double maxWindowP99Micros() {
            return windows.stream().mapToDouble(Window::p99Micros).max().orElse(0);
        }
    }

    private RackPolicyRun() {
    }

    /** The server arguments that select {@code kind}. */
    static List<String> serverArgs(PolicyKind kind, Settings s) {
        List<String> a = new ArrayList<>(List.of("--policy", kind.label(), "--service-us", Long.toString(s.serviceMicros())));
        switch (kind) {
            // as the simulated run: shed above 20 requests of work waiting, stop below 5
            case REACTIVE -> a.addAll(List.of("--policy-interval-ms", "1", "--policy-high",
                    Integer.toString(20 * REQUEST_BYTES), "--policy-low", Integer.toString(5 * REQUEST_BYTES)));
            // connection rates here are ~100x lower than the simulated run's: looks 100x longer
            case PROACTIVE -> a.addAll(List.of("--policy-interval-ms", "50"));
            default -> { }
        }
        return a;
    }

    public static Result run(ProcessRackOptions base, Settings s, PolicyKind kind, PrintStream log) throws Exception {
        if (!Topology.onPath("python3")) {
            throw new IllegalStateException("python3 not found on PATH (apt-get install python3)");
        }
        ProcessRackOptions o = base.withServers(2).withApp("http").withVip(false).withMigrateEveryMs(0).withHeartbeatMs(10)
                .withServerArgs(serverArgs(kind, s));
        Path script = Files.createTempFile("policy_client", ".py");
        try (ProcessRack rack = ProcessRack.up(o, log); var in = RackPolicyRun.class.getResourceAsStream("policy_client.py")) {
            Files.write(script, in.readAllBytes());
            Thread.sleep(500); // heartbeats: each server knows the other's load
            Process client = rack.topology().start(rack.clients().get(0).namespace(), "python3", script.toString(),
                    Ipv4Address.format(LabRack.serverIp(0)), Ipv4Address.format(LabRack.serverIp(1)), "80",
                    Integer.toString(s.connections()), Double.toString(s.seconds()), Double.toString(s.stepSeconds()),
                    Double.toString(s.lowRps()), Double.toString(s.highRps()), Double.toString(s.skew()),
                    Long.toString(s.seed()), Integer.toString(s.windowMs()));
            try {
                BufferedReader lines = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                String ready = lines.readLine();
                if (!"ready".equals(ready)) {
                    throw new IllegalStateException("policy client did not start: " + ready + " "
                            + new String(client.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                }
                // The servers' side, sampled once a window from here while the client runs.
                List<long[]> samples = java.util.Collections.synchronizedList(new ArrayList<>());
                Thread sampler = Thread.ofPlatform().name("policy-sampler").start(() -> {
                    long t0 = System.nanoTime();
                    long period = s.windowMs() * 1_000_000L;
                    try {
                        for (int k = 1; client.isAlive(); k++) {
                            long wait = t0 + k * period - System.nanoTime();
                            if (wait > 0) {
                                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                            }
                            samples.add(new long[] {RackRun.num(rack.status("s0"), "http_responses"),
                                RackRun.num(rack.status("s1"), "http_responses"),
                                RackRun.num(rack.status("s0"), "completed") + RackRun.num(rack.status("s1"), "completed")});
                        }
                    } catch (Exception stop) {
                        // the rack went down or we were interrupted: keep what was sampled
                    }
                });
                List<double[]> clientWindows = new ArrayList<>();
                String total = null;
                for (String line; (line = lines.readLine()) != null; ) {
                    String[] f = line.split(" ");
                    if (f[0].equals("w")) {
                        clientWindows.add(new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[3]), Double.parseDouble(f[2])});
                    } else if (f[0].equals("total")) {
                        total = line;
                    }
                }
                if (!client.waitFor(30, TimeUnit.SECONDS) || total == null) {
                    throw new IllegalStateException("policy client failed: "
                            + new String(client.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                }
                sampler.join(5_000);
                List<Window> windows = new ArrayList<>();
                double dt = s.windowMs() / 1000.0;
                long[] prev = {0, 0, 0};
                synchronized (samples) {
                    for (int k = 0; k < clientWindows.size(); k++) {
                        long[] cur = k < samples.size() ? samples.get(k) : prev;
                        double[] w = clientWindows.get(k);
                        windows.add(new Window(w[0], w[1], (long) w[2], (cur[0] - prev[0]) / dt, (cur[1] - prev[1]) / dt, cur[2]));
                        prev = cur;
                    }
                }
                long migrations = RackRun.num(rack.status("s0"), "completed") + RackRun.num(rack.status("s1"), "completed");
                String[] t = total.split(" ");
                if (rack.failure() != null) {
                    throw new IllegalStateException("the rack failed during the run: " + rack.failure());
                }
                log.printf("policy %s: %s requests, p99 %s us, %s errors, %d migrations%n", kind.label(), t[1], t[2], t[3],
                        migrations);
                return new Result(kind, Long.parseLong(t[1]), Double.parseDouble(t[2]), Long.parseLong(t[3]),
                        Long.parseLong(t[4]), migrations, windows);
            } finally {
                client.destroyForcibly().waitFor();
            }
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
