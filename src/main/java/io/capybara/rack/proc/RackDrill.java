package io.capybara.rack.proc;

import io.capybara.lab.Lab;
import io.capybara.lab.LabRack;
import io.capybara.wire.Ipv4Address;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code rack drill}: zero-downtime maintenance under load. The rack runs in load-balancer mode;
 * wrk keeps its keep-alive connections to the VIP for the whole run while, one server after the
 * other, the drill drains it ({@code ctl SERVER drain --rate N}: the switch places nothing new
 * there, the server migrates every connection away), waits until {@code status} says drained,
 * stops the process, starts it again and lets it rejoin by its heartbeats. The client kernel's
 * own counters say whether any connection was reset.
 */
public final class RackDrill {
    /** TCP counters of the client namespace's kernel that count connections ended abnormally. */
    static final String[] ABORTS = {"TCPAbortOnData", "TCPAbortOnClose", "TCPAbortOnMemory", "TCPAbortOnTimeout",
        "TCPAbortOnLinger", "TCPAbortFailed"};
    private static final long DRAIN_TIMEOUT_NANOS = 30_000_000_000L;

    private RackDrill() {
    }

    public static Map<String, Object> run(ProcessRackOptions o, int durationSeconds, int connections, double drainRate,
                                          PrintStream log) throws Exception {
        if (!io.capybara.io.linux.Topology.onPath("wrk")) {
            throw new IllegalStateException("wrk not found on PATH (apt-get install wrk)");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        try (ProcessRack rack = ProcessRack.up(o.withApp("http").withVip(true), log)) {
            ProcessRack.ClientInfo c = rack.clients().get(0);
            String ns = c.namespace();
            String vip = Ipv4Address.format(LabRack.VIP);
            long resets0 = resets(rack, ns);
            Map<String, Object> wrk = new LinkedHashMap<>();
            Throwable[] wrkFailure = new Throwable[1];
            Thread load = Thread.ofPlatform().name("drill-wrk").start(() -> {
                try {
                    Lab.wrk(rack.topology(), ns, vip, connections, 2, durationSeconds, log, wrk);
                } catch (Throwable t) {
                    wrkFailure[0] = t;
                }
            });
            long t0 = System.nanoTime();
            long end = t0 + durationSeconds * 1_000_000_000L;
            int servers = o.servers();
            // The client kernel's reset counters are read while wrk still holds every connection
            // (one second before its end): when wrk exits it closes them with responses in flight,
            // which the kernel counts as resets and aborts too. A reset after that point shows
            // as a wrk read error (connections_lost).
            long[] resetsUnderLoad = {-1};
            Thread sampler = Thread.ofPlatform().name("drill-nstat").start(() -> {
                try {
                    sleepUntil(end - 1_000_000_000L);
                    if (load.isAlive()) {
                        resetsUnderLoad[0] = resets(rack, ns) - resets0;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long migrationsOfStopped = 0;
            int restarted = 0;
            int underLoad = 0;
            List<Map<String, Object>> cycles = new ArrayList<>();
            for (int i = 0; i < servers; i++) {
                // back to back after a 2 s warm-up, a second between cycles for the restarted server
                // to rejoin the placement by its heartbeats
                Thread.sleep(i == 0 ? 2_000 : 1_000);
                String name = ProcessRack.serverName(i);
                Map<String, Object> cycle = new LinkedHashMap<>();
                cycle.put("server", name);
                long d0 = System.nanoTime();
                int before = Integer.parseInt(rack.status(name).getOrDefault("drain_remaining", "0").trim());
                rack.ctl(name, drainRate > 0 ? "drain --rate " + drainRate : "drain");
                Map<String, String> st;
                while (true) {
                    st = rack.status(name);
                    if ("true".equals(st.get("drained"))) {
                        break;
                    }
                    if (System.nanoTime() - d0 > DRAIN_TIMEOUT_NANOS) {
                        throw new IllegalStateException(name + " did not drain in 30 s: " + st.get("drain_remaining")
                                + " connections left");
                    }
                    Thread.sleep(20);
                }
                cycle.put("connections_drained", before);
                cycle.put("drain_s", Math.round((System.nanoTime() - d0) / 1e6) / 1000.0);
                migrationsOfStopped += RackRun.num(st, "completed");
                boolean loaded = System.nanoTime() < end && load.isAlive();
                long r0 = System.nanoTime();
                rack.restart(name);
                restarted++;
                cycle.put("restart_s", Math.round((System.nanoTime() - r0) / 1e6) / 1000.0);
                cycle.put("under_load", loaded);
                if (loaded) {
                    underLoad++;
                }
                cycles.add(cycle);
                log.printf("drill: %s drained %d connections in %s s, restarted in %s s%n", name, before,
                        cycle.get("drain_s"), cycle.get("restart_s"));
            }
            load.join();
            sampler.join();
            boolean sampledUnderLoad = resetsUnderLoad[0] >= 0;
            long resets = sampledUnderLoad ? resetsUnderLoad[0] : resets(rack, ns) - resets0;
            if (wrkFailure[0] != null) {
                throw new IllegalStateException("wrk failed: " + wrkFailure[0].getMessage(), wrkFailure[0]);
            }
            if (rack.failure() != null) {
                throw new IllegalStateException("the rack failed during the drill: " + rack.failure());
            }
            Map<String, Object> counters = RackRun.collect(rack);
            out.put("requests", wrk.get("requests"));
            out.put("errors", wrk.get("errors"));
            out.put("client_resets", resets);
            out.put("servers_restarted", restarted);
            out.put("restarts_under_load", underLoad);
            out.put("migrations", migrationsOfStopped + (Long) counters.get("migrations"));
            long lost = 0;
            for (String k : new String[] {"errors_connect", "errors_read", "errors_write", "errors_timeout"}) {
                Object v = wrk.get(k);
                lost += v == null ? 0 : ((Number) v).longValue();
            }
            out.put("connections_lost", lost);
            Map<String, Object> wrkErrors = new LinkedHashMap<>();
            for (String k : new String[] {"errors_connect", "errors_read", "errors_write", "errors_timeout"}) {
                wrkErrors.put(k.substring(7), wrk.get(k));
            }
            wrkErrors.put("non_2xx", wrk.get("non_2xx"));
            wrkErrors.put("bad_bodies", wrk.get("bad_bodies"));
            out.put("wrk_errors", wrkErrors);
            out.put("client_resets_sampled_under_load", sampledUnderLoad);
            out.put("connections", connections);
            out.put("duration_s", durationSeconds);
            out.put("drain_rate_per_s", drainRate);
            out.put("cycles", cycles);
            out.put("latency_p99_us", wrk.get("latency_p99_us"));
        }
        return out;
    }

    /** EstabResets plus the TCPAbortOn* counters of the client's kernel. */
    static long resets(ProcessRack rack, String ns) {
        long n = Lab.snmp(rack.topology(), ns, "/proc/net/snmp", "Tcp:", "EstabResets");
        for (String k : ABORTS) {
            n += Lab.snmp(rack.topology(), ns, "/proc/net/netstat", "TcpExt:", k);
        }
        return n;
    }

    private static void sleepUntil(long t) throws InterruptedException {
        long d = t - System.nanoTime();
        if (d > 0) {
            Thread.sleep(d / 1_000_000, (int) (d % 1_000_000));
        }
    }
}
