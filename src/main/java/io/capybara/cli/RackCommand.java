package io.capybara.cli;

import io.capybara.rack.proc.ControlServer;
import io.capybara.rack.proc.ProcessRack;
import io.capybara.rack.proc.RackBench;
import io.capybara.rack.proc.ProcessRackOptions;
import io.capybara.rack.proc.RackRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./capybara rack up|down|status|run|bench}: the rack as separate processes
 * ({@link ProcessRack}). {@code up} starts a detached supervisor ({@code rack supervise}, its
 * own session) and returns once every node answers; {@code down} asks that supervisor to take
 * everything down (or cleans up after it if it was killed).
 */
@Command(name = "rack", mixinStandardHelpOptions = true,
        description = "The rack as separate processes: a switch and N servers, each its own JVM in its own network"
                + " namespace over veth links (needs root).",
        subcommands = {RackCommand.Up.class, RackCommand.Down.class, RackCommand.Status.class, RackCommand.Run.class,
                RackCommand.Bench.class, RackCommand.Idle.class, RackCommand.Wakeup.class,
                RackCommand.Supervise.class, RackCommand.Drill.class})
public final class RackCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Where a rack lives: --name and --dir. */
    static final class Where {
        @Option(names = "--name", defaultValue = "rack", description = "Rack name (default: ${DEFAULT-VALUE}).")
        String name;
        @Option(names = "--dir", description = "Run directory (default: /run/capybara/NAME).")
        Path dir;

        Path dir() {
            return dir != null ? dir : ProcessRackOptions.RUN_ROOT.resolve(name);
        }

        /**
         * A one-shot command (run, drill, idle, bench) left at the default name builds a rack of
         * its own, named {@code prefix} + this process's pid, so it never meets one that is up.
         */
        Where ownRack(String prefix) {
            if (dir == null && name.equals("rack")) {
                name = prefix + ProcessHandle.current().pid();
            }
            return this;
        }
    }

    /** A result map as one JSON object (--json) or as 'key: value' lines. */
    static void print(Map<String, Object> r, boolean json) {
        if (json) {
            System.out.println(Json.write(r));
        } else {
            r.forEach((k, v) -> System.out.println(k + ": " + v));
        }
    }

    /** How a rack is built. */
    static final class Shape {
        @Option(names = "--servers", defaultValue = "3", description = "Server processes (default: ${DEFAULT-VALUE}).")
        int servers;
        @Option(names = "--app", defaultValue = "http", description = "http or echo (default: ${DEFAULT-VALUE}).")
        String app;
        @Option(names = "--migrate-every-ms", defaultValue = "20",
                description = "Each server migrates one of its connections this often (0 = off; default: ${DEFAULT-VALUE}).")
        double migrateEveryMs;
        @Option(names = "--spin-us", defaultValue = "50",
                description = "Nodes busy-poll this long after work, then block in epoll (default: ${DEFAULT-VALUE}).")
        long spinUs;
        @Option(names = "--keep-going", description = "A node that dies leaves the others running (default: the rack comes down).")
        boolean keepGoing;
        @Option(names = "--policy", paramLabel = "KIND", description = "The servers' load policy: static, reactive or"
                + " proactive (proactive servers learn each other's load from the switch; default: none, only the"
                + " --migrate-every-ms trigger).")
        String policy;

        ProcessRackOptions options(Where w) {
            ProcessRackOptions o = ProcessRackOptions.defaults(w.name, w.dir()).withServers(servers).withApp(app)
                    .withMigrateEveryMs(migrateEveryMs).withSpinMicros(spinUs).withKeepGoing(keepGoing);
            if (policy != null) {
                String kind = ServerCommand.option("--policy", policy, () -> io.capybara.policy.PolicyKind.parse(policy))
                        .label();
                o = o.withServerArgs(List.of("--policy", kind));
            }
            return o;
        }
    }

    /** How many migrations a rack benchmark times per state size, after how many untimed ones. */
    static final class BenchCounts {
        @Option(names = "--count", defaultValue = "200", description = "Migrations per size (default: ${DEFAULT-VALUE}).")
        int count;
        @Option(names = "--warmup", defaultValue = "200", description = "Untimed migrations first (default: ${DEFAULT-VALUE}).")
        int warmup;

        BenchCounts check() {
            Args.between("--count", count, 1, 1_000_000);
            Args.between("--warmup", warmup, 0, 1_000_000);
            return this;
        }
    }

    static void requireRoot() {
        String p = ProcessRack.problem();
        if (p != null) {
            throw new IllegalArgumentException("rack needs root: " + p);
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Build the rack and start its processes; returns when every node answers (--foreground: stay"
                    + " and supervise until Ctrl-C).")
    static final class Up implements Callable<Integer> {
        @Mixin
        Where where = new Where();
        @Mixin
        Shape shape = new Shape();
        @Option(names = "--foreground", description = "Supervise in this process until Ctrl-C or 'rack down'.")
        boolean foreground;

        @Override
        public Integer call() throws Exception {
            requireRoot();
            ProcessRackOptions o = shape.options(where);
            if (foreground) {
                return Supervise.supervise(o);
            }
            Files.createDirectories(o.dir());
            Path log = o.dir().resolve("supervisor.log");
            List<String> cmd = new ArrayList<>(List.of("setsid"));
            cmd.addAll(ProcessRack.javaCommand(""));
            cmd.addAll(List.of("rack", "supervise", "--name", o.name(), "--dir", o.dir().toString(), "--servers",
                    Integer.toString(o.servers()), "--app", o.app(), "--migrate-every-ms",
                    Double.toString(o.migrateEveryMs()), "--spin-us", Long.toString(o.spinMicros())));
            if (o.keepGoing()) {
                cmd.add("--keep-going");
            }
            if (shape.policy != null) {
                cmd.addAll(List.of("--policy", shape.policy));
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            Path state = o.dir().resolve("rack.state");
            long deadline = System.nanoTime() + 180_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (Files.exists(state) && Files.readString(state).contains("status ready")) {
                    System.out.print(Status.describe(o.dir()));
                    return 0;
                }
                if (!p.isAlive()) {
                    throw new IllegalStateException("the supervisor exited (" + p.exitValue() + "): "
                            + String.join(" | ", Files.readAllLines(log)));
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("the rack did not come up within 180 s; see " + log);
        }
    }

    @Command(name = "supervise", hidden = true, mixinStandardHelpOptions = true,
            description = "Build the rack and supervise it until SIGTERM (what 'rack up' starts in the background).")
    static final class Supervise implements Callable<Integer> {
        @Mixin
        Where where = new Where();
        @Mixin
        Shape shape = new Shape();

        @Override
        public Integer call() throws Exception {
            return supervise(shape.options(where));
        }

        static int supervise(ProcessRackOptions o) throws Exception {
            CountDownLatch done = new CountDownLatch(1);
            try (ProcessRack rack = ProcessRack.up(o, System.out)) {
                Runtime.getRuntime().addShutdownHook(new Thread(done::countDown));
                System.out.println("rack " + o.name() + " up; 'rack down --name " + o.name() + "' or Ctrl-C stops it");
                while (!done.await(500, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    if (rack.failure() != null) {
                        System.out.println("rack " + o.name() + " down: " + rack.failure());
                        return 1;
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop every node and remove the rack's namespaces, links and state.")
    static final class Down implements Callable<Integer> {
        @Mixin
        Where where = new Where();

        @Override
        public Integer call() throws Exception {
            requireRoot();
            System.out.println(ProcessRack.down(where.dir()));
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Nodes, PIDs and their counters.")
    static final class Status implements Callable<Integer> {
        @Mixin
        Where where = new Where();

        @Override
        public Integer call() throws Exception {
            System.out.print(describe(where.dir()));
            return 0;
        }

        static String describe(Path dir) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (String[] s : ProcessRack.stateLines(dir, "status")) {
                sb.append("rack ").append(dir).append(": ").append(s[0]).append('\n');
            }
            sb.append(String.format("%-8s %-7s %-15s %-8s %-6s %-6s %-11s %-16s %s%n", "node", "role", "ip", "pid",
                    "alive", "conns", "migrations", "namespace", "metrics (in its namespace)"));
            Map<String, String> metrics = new java.util.HashMap<>();
            for (String[] m : ProcessRack.stateLines(dir, "metrics")) {
                metrics.put(m[0], m[2]);
            }
            for (String[] n : ProcessRack.stateLines(dir, "node")) {
                boolean alive = ProcessHandle.of(Long.parseLong(n[4])).map(ProcessHandle::isAlive).orElse(false);
                String conns = "-";
                String migrations = "-";
                if (alive) {
                    try {
                        String reply = ControlServer.request(dir.resolve(n[0] + ".sock"), "status");
                        Map<String, String> st = ProcessRack.keyValues(reply);
                        conns = st.getOrDefault("connections", st.getOrDefault("directory", "-"));
                        migrations = st.getOrDefault("completed", "0");
                    } catch (IOException e) {
                        conns = "?";
                    }
                }
                sb.append(String.format("%-8s %-7s %-15s %-8s %-6s %-6s %-11s %-16s %s%n", n[0], n[1], n[3], n[4],
                        alive ? "yes" : "NO", conns, migrations, n[2], metrics.getOrDefault(n[0], "-")));
            }
            for (String[] c : ProcessRack.stateLines(dir, "client")) {
                sb.append(String.format("%-8s %-7s %-15s %-8s %-6s %-6s %-11s %-16s %s%n", c[0], "client", c[2], "-",
                        "-", "-", "-", c[1], "-"));
            }
            return sb.toString();
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Up, load with an unmodified client (wrk or curl) while servers migrate connections, down.")
    static final class Run implements Callable<Integer> {
        @Mixin
        Where where = new Where();
        @Mixin
        Shape shape = new Shape();
        @Option(names = "--client", defaultValue = "wrk", description = "wrk or curl (default: ${DEFAULT-VALUE}).")
        String client;
        @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "10",
                description = "Seconds of load; wrk takes whole seconds (default: ${DEFAULT-VALUE}).")
        double duration;
        @Option(names = "--connections", defaultValue = "32", description = "wrk connections (default: ${DEFAULT-VALUE}).")
        int connections;
        @Option(names = "--tls", description = "HTTPS: the servers speak TLS 1.3 (one self-signed certificate) and "
                + "migrate the TLS sessions with the connections; the client uses https:// (curl --insecure).")
        boolean tls;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            requireRoot();
            Args.wholeSeconds("--duration", duration, 1);
            where.ownRack("run");
            Map<String, Object> r = RackRun.run(shape.options(where), client, (int) duration, connections, tls, System.err);
            print(r, json.on);
            return ((Number) r.get("errors")).longValue() == 0 ? 0 : 1;
        }
    }

    @Command(name = "wakeup", mixinStandardHelpOptions = true,
            description = "What a wake-up costs: a thread ping-pong through epoll + eventfd (as a blocked node) against"
                    + " one through a spun-on counter (as a spinning node).")
    static final class Wakeup implements Callable<Integer> {
        @Option(names = "--rounds", defaultValue = "20000", description = "Round trips each way (default: ${DEFAULT-VALUE}).")
        int rounds;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            Args.between("--rounds", rounds, 100, 10_000_000);
            Map<String, Object> r = io.capybara.rack.proc.WakeupCost.measure(rounds);
            print(r, json.on);
            return 0;
        }
    }

    @Command(name = "drill", mixinStandardHelpOptions = true,
            description = {"Zero-downtime maintenance under load: wrk keeps keep-alive connections to the VIP while each "
                    + "server in turn is drained (its connections migrated away), stopped and restarted.",
                    "JSON keys: requests, errors, client_resets (the client kernel's EstabResets and TCPAbortOn*), "
                            + "servers_restarted, migrations, connections_lost (wrk's socket errors), cycles."})
    static final class Drill implements Callable<Integer> {
        @Mixin
        Where where = new Where();
        @Mixin
        Shape shape = new Shape();
        @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "40",
                description = "Seconds of load (default: ${DEFAULT-VALUE}).")
        double duration;
        @Option(names = "--connections", defaultValue = "32", description = "wrk connections (default: ${DEFAULT-VALUE}).")
        int connections;
        @Option(names = "--drain-rate", paramLabel = "N", defaultValue = "200",
                description = "Migrations per second while draining (default: ${DEFAULT-VALUE}).")
        double drainRate;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            requireRoot();
            Args.wholeSeconds("--duration", duration, 4);
            Args.atLeast("--connections", connections, 1);
            Args.positive("--drain-rate", drainRate);
            where.ownRack("drill");
            Map<String, Object> r = io.capybara.rack.proc.RackDrill.run(shape.options(where), (int) duration, connections,
                    drainRate, System.err);
            print(r, json.on);
            boolean clean = ((Number) r.get("errors")).longValue() == 0 && ((Number) r.get("client_resets")).longValue() == 0
                    && ((Number) r.get("connections_lost")).longValue() == 0;
            return clean ? 0 : 1;
        }
    }

    @Command(name = "idle", mixinStandardHelpOptions = true,
            description = "Up with no traffic, measure the nodes' CPU from /proc/PID/stat, down.")
    static final class Idle implements Callable<Integer> {
        @Mixin
        Where where = new Where();
        @Mixin
        Shape shape = new Shape();
        @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
        double seconds;
        @Option(names = "--settle", defaultValue = "5", description = "Seconds to wait after start-up (default: ${DEFAULT-VALUE}).")
        double settle;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            requireRoot();
            where.ownRack("idle");
            Map<String, Object> r = new java.util.LinkedHashMap<>();
            try (ProcessRack rack = ProcessRack.up(shape.options(where), System.err)) {
                Thread.sleep((long) (settle * 1000));
                double share = rack.idleCoreShare(seconds);
                r.put("processes", rack.pids());
                r.put("seconds", seconds);
                r.put("spin_us", shape.spinUs);
                r.put("core_share_pct", Math.round(share * 10000) / 100.0);
                r.put("limit_pct", 5.0);
            }
            print(r, json.on);
            return (double) r.get("core_share_pct") < 5.0 ? 0 : 1;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Migrate connections one at a time on an idle multi-process rack; per state size the CPU time"
                    + " in migration code (both servers) and the end-to-end time (origin's decision to target serving).")
    static final class Bench implements Callable<Integer> {
        @Mixin
        Where where = new Where();
        @Option(names = "--state-bytes", split = ",", defaultValue = "0,16384,65536,131072",
                description = "Application state sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> stateBytes;
        @Mixin
        BenchCounts counts = new BenchCounts();
        @Option(names = "--spin-us", defaultValue = "50",
                description = "Nodes busy-poll this long after work, then block in epoll (default: ${DEFAULT-VALUE}).")
        long spinUs;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            requireRoot();
            counts.check();
            where.ownRack("bench");
            Map<String, Object> r = RackBench.run(ProcessRackOptions.defaults(where.name, where.dir()).withSpinMicros(spinUs),
                    stateBytes, counts.count, counts.warmup, System.err);
            if (json.on) {
                System.out.println(Json.write(r));
            } else {
                System.out.print(RackBench.table(r));
            }
            return 0;
        }
    }
}
