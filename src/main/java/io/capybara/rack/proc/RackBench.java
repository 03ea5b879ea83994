package io.capybara.rack.proc;

import io.capybara.io.linux.Topology;
import io.capybara.lab.LabRack;
import io.capybara.wire.Ipv4Address;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code rack bench}: on an otherwise idle rack of two server processes and a switch process,
 * moves one live client connection back and forth, one migration at a time, with a given
 * amount of application state ({@link StatePadding}), and reports per state size both servers'
 * CPU time in migration code and the end-to-end time from the origin's decision to the target
 * serving, each side timed in its own process on CLOCK_MONOTONIC and joined by migration id.
 * The client is a python3 socket in its namespace; the connection's echo is checked after each
 * size.
 *
 * <p>Each migration starts with a control request to the origin ({@code migrate ... --to}),
 * which wakes it; what is timed starts at its decision, inside the node.
 */
public final class RackBench {
    /** The SIGCOMM'26 authors' figures (DPDK, Tofino): state bytes to {CPU us, end-to-end us}. */
    public static final Map<Integer, double[]> PAPER = Map.of(
            0, new double[] {2.29, 11.28},
            16384, new double[] {2.67, 19.71},
            65536, new double[] {3.50, 36.71},
            131072, new double[] {4.62, 58.04});

    private RackBench() {
    }

    public static Map<String, Object> run(ProcessRackOptions base, List<Integer> sizes, int count, int warmup, PrintStream log)
            throws Exception {
        for (int s : sizes) {
            if (s < 0 || s > StatePadding.MAX_PAD) {
                throw new IllegalArgumentException("--state-bytes " + s + ": expected 0.." + StatePadding.MAX_PAD);
            }
        }
        if (!Topology.onPath("python3")) {
            throw new IllegalStateException("python3 not found on PATH (apt-get install python3)");
        }
        ProcessRackOptions o = base.withServers(2).withApp("echo").withMigrateEveryMs(0).withJitWarmup(true);
        Map<String, Object> out = new LinkedHashMap<>();
        try (ProcessRack rack = ProcessRack.up(o, log)) {
            out.put("processes", rack.pids());
            out.put("spin_us", o.spinMicros());
            ProcessRack.ClientInfo c = rack.clients().get(0);
            EchoHolder holder = EchoHolder.open(rack, c, LabRack.serverIp(0));
            String client = holder.client();
            ping(holder);
            int[] holderIndex = {0};
            String[] servers = {"s0", "s1"};
            log.printf("rack bench: connection %s; %d warm-up migrations%n", client, warmup);
            for (int i = 0; i < warmup; i++) {
                int size = sizes.get(i % sizes.size());
                setState(rack, size);
                migrateOnce(rack, servers, holderIndex, client);
            }
            ping(holder);
            Map<String, Object> bySize = new LinkedHashMap<>();
            for (int size : sizes) {
                setState(rack, size);
                long[] since = {logged(rack, "s0"), logged(rack, "s1")};
                for (int i = 0; i < count; i++) {
                    migrateOnce(rack, servers, holderIndex, client);
                }
                ping(holder); // the connection still works, whole
                MigrationSamples joined = MigrationSamples.join(List.of(rack.ctl("s0", "migrations " + since[0]),
                        rack.ctl("s1", "migrations " + since[1])));
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("count", joined.count());
                r.put("cpu_us", joined.cpuMicros());
                r.put("e2e_us", joined.e2eMicros());
                double[] paper = PAPER.get(size);
                if (paper != null) {
                    r.put("paper_cpu_us", paper[0]);
                    r.put("paper_e2e_us", paper[1]);
                }
                bySize.put(Integer.toString(size), r);
                log.printf("rack bench: %d bytes: %s%n", size, r);
            }
            out.put("sizes", bySize);
            out.put("wakeup", wakeup(rack, holder, o.spinMicros()));
            holder.close();
        }
        return out;
    }

    /**
     * What a wake-up costs: echo round trips through the rack (client, switch, server, switch,
     * client) 5 ms apart, so that every node on the path is blocked in epoll when the frame
     * arrives (the switch is woken twice, the server once), and the in-process ping-pong of
     * {@link WakeupCost} (blocked against spinning) for the price of one wake-up.
     */
    static Map<String, Object> wakeup(ProcessRack rack, EchoHolder holder, long spinMicros)
            throws IOException, InterruptedException {
        int n = 400;
        holder.rtt(50, 5); // warm
        double[] blocked = holder.rtt(n, 5);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rack_round_trips", n);
        m.put("rack_rtt_blocked_us", WakeupCost.percentileMap(blocked));
        m.put("wakeups_per_rack_round_trip", 3);
        m.putAll(WakeupCost.measure(20_000));
        return m;
    }

    private static void ping(EchoHolder holder) throws IOException {
        String r = holder.ping();
        if (!"ok".equals(r)) {
            throw new IllegalStateException("the migrated connection does not echo correctly: " + r);
        }
    }

    private static void setState(ProcessRack rack, int size) throws IOException {
        for (String s : new String[] {"s0", "s1"}) {
            String r = rack.ctl(s, "set state-bytes " + size);
            if (r.startsWith("error")) {
                throw new IllegalStateException(s + ": " + r);
            }
        }
    }

    private static long logged(ProcessRack rack, String node) throws IOException {
        return Long.parseLong(rack.status(node).get("migrations_logged").trim());
    }

    /** Asks the holder to migrate the connection to the other server, waits until the target logs it. */
    private static void migrateOnce(ProcessRack rack, String[] servers, int[] holder, String client)
            throws IOException, InterruptedException {
        String from = servers[holder[0]];
        String to = servers[1 - holder[0]];
        String toIp = Ipv4Address.format(rack.node(to).ip());
        long before = logged(rack, to);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            String r = rack.ctl(from, "migrate " + client + " --to " + toIp);
            if (r.startsWith("migration ")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(from + " would not migrate " + client + ": " + r.strip());
            }
            Thread.sleep(2); // e.g. still in the quiet time after an abort
        }
        while (logged(rack, to) == before) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("migration of " + client + " from " + from + " to " + to
                        + " did not complete within 5 s");
            }
            Thread.sleep(1);
        }
        holder[0] = 1 - holder[0];
    }

    /** A text table of a result, ours beside the paper's. */
    @SuppressWarnings("unchecked")
    public static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-12s %6s %12s %12s %12s %12s %12s %12s%n", "state_bytes", "count", "cpu_p50_us",
                "cpu_p99_us", "paper_cpu", "e2e_p50_us", "e2e_p99_us", "paper_e2e"));
        for (Map.Entry<String, Object> e : ((Map<String, Object>) r.get("sizes")).entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            Map<String, Object> cpu = (Map<String, Object>) m.get("cpu_us");
            Map<String, Object> e2e = (Map<String, Object>) m.get("e2e_us");
            sb.append(String.format("%-12s %6s %12s %12s %12s %12s %12s %12s%n", e.getKey(), m.get("count"),
                    cpu.get("p50"), cpu.get("p99"), m.getOrDefault("paper_cpu_us", "-"), e2e.get("p50"), e2e.get("p99"),
                    m.getOrDefault("paper_e2e_us", "-")));
        }
        Map<String, Object> w = (Map<String, Object>) r.get("wakeup");
        if (w != null) {
            sb.append("wake-up: ").append(w).append('\n');
        }
        return sb.toString();
    }
}
