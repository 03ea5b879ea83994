package io.capybara.rack.proc;

import io.capybara.lab.Lab;
import io.capybara.lab.LabRack;
import io.capybara.io.linux.Topology;
import io.capybara.wire.Ipv4Address;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code rack run}: up, load, down in one command, the multi-process successor of the lab. An
 * unmodified client (wrk or curl) in its namespace talks HTTP to server s0 through the switch
 * process while every server's trigger migrates its connections to the others; the results
 * join the client's report, the servers' counters and the migrations' end-to-end times.
 */
public final class RackRun {
    private RackRun() {
    }

    /**
     * @param client      wrk or curl
     * @param connections wrk's connections
     */
    public static Map<String, Object> run(ProcessRackOptions o, String client, int durationSeconds, int connections,
                                          PrintStream log) throws Exception {
        return run(o, client, durationSeconds, connections, false, log);
    }

    /** @param tls HTTPS: the servers speak TLS 1.3 on 443 and the client uses https:// (curl --insecure) */
    public static Map<String, Object> run(ProcessRackOptions o, String client, int durationSeconds, int connections,
                                          boolean tls, PrintStream log) throws Exception {
        if (!client.equals("wrk") && !client.equals("curl")) {
            throw new IllegalArgumentException("--client " + client + ": expected wrk or curl");
        }
        if (!Topology.onPath(client)) {
            throw new IllegalStateException(client + " not found on PATH (apt-get install " + client + ")");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        try (ProcessRack rack = ProcessRack.up(o.withApp(tls ? "https" : "http"), log)) {
            out.put("processes", rack.pids());
            ProcessRack.ClientInfo c = rack.clients().get(0);
            String target = Ipv4Address.format(LabRack.serverIp(0));
            String base = tls ? "https://" + target + ":" + LabRack.HTTPS_PORT : "http://" + target + ":" + LabRack.HTTP_PORT;
            Map<String, Object> client0 = new LinkedHashMap<>();
            long t0 = System.nanoTime();
            if (client.equals("wrk")) {
                Lab.wrkAt(rack.topology(), c.namespace(), base + "/", connections, 2, durationSeconds, log, client0);
            } else {
                int rate = 20;
                Lab.curlAt(rack.topology(), c.namespace(), base, Math.max(2, durationSeconds * rate), rate, log,
                        client0);
            }
            if (rack.failure() != null) {
                throw new IllegalStateException("the rack failed during the run: " + rack.failure());
            }
            out.put("client", client);
            out.put("tls", tls);
            out.put("duration_s", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
            out.put("requests", client0.get("requests"));
            out.put("errors", client0.get("errors"));
            out.putAll(collect(rack));
            out.put("client_tcp_retransmitted_segments",
                    Lab.snmp(rack.topology(), c.namespace(), "/proc/net/snmp", "Tcp:", "RetransSegs"));
            client0.remove("output");
            out.put("client_report", client0);
        }
        return out;
    }

    /** Migration counters summed over the servers, and the joined end-to-end times. */
    static Map<String, Object> collect(ProcessRack rack) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        long completed = 0;
        long aborted = 0;
        long rejected = 0;
        long started = 0;
        List<String> dumps = new ArrayList<>();
        Map<String, Long> app = new LinkedHashMap<>(); // HTTP(S) counters summed: tls_* with --tls
        for (ProcessRack.NodeInfo n : rack.nodes()) {
            if (!n.role().equals("server") || !n.process().isAlive()) {
                continue;
            }
            Map<String, String> s = rack.status(n.name());
            completed += num(s, "completed");
            started += num(s, "started");
            aborted += num(s, "aborted_prepare_timeout") + num(s, "aborted_target_dead")
                    + num(s, "aborted_state_refused") + num(s, "aborted_connection_gone")
                    + num(s, "aborted_snapshot_too_large");
            rejected += num(s, "rejected_no_target") + num(s, "rejected_directory_full")
                    + num(s, "rejected_target_busy");
            dumps.add(rack.ctl(n.name(), "migrations"));
            for (Map.Entry<String, String> e : s.entrySet()) {
                if (e.getKey().startsWith("tls_") || e.getKey().equals("http_header_timeouts")) {
                    app.merge(e.getKey(), num(s, e.getKey()), Long::sum);
                }
            }
        }
        MigrationSamples joined = MigrationSamples.join(dumps);
        out.put("migrations", completed);
        out.put("migrations_started", started);
        out.put("migrations_aborted", aborted);
        out.put("migrations_rejected", rejected);
        out.put("migrations_timed", joined.count());
        out.put("migration_e2e_us", joined.e2eMicros());
        out.put("migration_cpu_us", joined.cpuMicros());
        out.putAll(app);
        return out;
    }

    static long num(Map<String, String> status, String key) {
        String v = status.get(key);
        return v == null ? 0 : Long.parseLong(v.trim());
    }
}
