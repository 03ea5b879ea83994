package io.capybara.lab;

import java.nio.file.Path;

/**
 * One lab run.
 *
 * @param client          "wrk" (load with keep-alive connections) or "curl" (a few keep-alive
 *                        requests on one connection, bodies verified)
 * @param durationSeconds wrk's run time (curl: ignored)
 * @param connections     wrk connections (curl: 1)
 * @param threads         wrk threads
 * @param servers         Java servers behind the switch
 * @param netem           tc netem arguments for the client's interface (egress), or null
 * @param packet          the switch reaches the client through AF_PACKET on a veth, not a TAP
 * @param migrateEveryMicros manual trigger period: each server moves one connection per period;
 *                        0 = only the load policy migrates
 * @param curlRequests    curl: requests on the one connection
 * @param curlRatePerSecond curl: request rate (spaced so migrations fall between them)
 * @param pcap            record the client port's frames here, or null
 * @param tls             HTTPS (TLS 1.3 on port 443) instead of HTTP
 * @param keylog          with tls: write the NSS key log here (tshark decrypts the pcap), or null
 * @param vip             clients connect to {@link LabRack#VIP}; the switch places each connection
 *                        (with pcap, the servers' side goes to FILE.servers.pcap)
 */
public record LabOptions(String client, int durationSeconds, int connections, int threads, int servers,
                         String netem, boolean packet, long migrateEveryMicros, int curlRequests,
                         int curlRatePerSecond, Path pcap, boolean tls, Path keylog, boolean vip) {

    public static final long DEFAULT_MIGRATE_EVERY_MICROS = 20_000;

    public LabOptions {
        if (!client.equals("wrk") && !client.equals("curl") && !client.equals("openssl")) {
            throw new IllegalArgumentException("client must be wrk, curl or openssl, got " + client);
        }
        if (client.equals("openssl") && !tls) {
            throw new IllegalArgumentException("--client openssl (s_client) needs --tls");
        }
        if (keylog != null && !tls) {
            throw new IllegalArgumentException("--keylog needs --tls");
        }
        if (durationSeconds < 1 || connections < 1 || threads < 1 || servers < 2 || migrateEveryMicros < 0
                || curlRequests < 1 || curlRatePerSecond < 1) {
            throw new IllegalArgumentException("bad lab options " + this);
        }
    }

    /** wrk, 20 s, 128 connections, 2 threads, 3 servers, TAP, trigger every 20 ms per server. */
    public static LabOptions defaults() {
        return new LabOptions("wrk", 20, 128, 2, 3, null, false, DEFAULT_MIGRATE_EVERY_MICROS, 12, 4, null, false, null, false);
    }

    public LabOptions withClient(String c) {
        return new LabOptions(c, durationSeconds, connections, threads, servers, netem, packet, migrateEveryMicros,
                curlRequests, curlRatePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withDuration(int s) {
        return new LabOptions(client, s, connections, threads, servers, netem, packet, migrateEveryMicros,
                curlRequests, curlRatePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withConnections(int n) {
        return new LabOptions(client, durationSeconds, n, Math.min(threads, n), servers, netem, packet,
                migrateEveryMicros, curlRequests, curlRatePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withServers(int n) {
        return new LabOptions(client, durationSeconds, connections, threads, n, netem, packet, migrateEveryMicros,
                curlRequests, curlRatePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withNetem(String n) {
        return new LabOptions(client, durationSeconds, connections, threads, servers, n, packet, migrateEveryMicros,
                curlRequests, curlRatePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withPacket(boolean p) {
        return new LabOptions(client, durationSeconds, connections, threads, servers, netem, p, migrateEveryMicros,
                curlRequests, curlRatePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withMigrateEveryMicros(long us) {
        return new LabOptions(client, durationSeconds, connections, threads, servers, netem, packet, us,
                curlRequests, curlRatePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withCurl(int requests, int ratePerSecond) {
        return new LabOptions(client, durationSeconds, connections, threads, servers, netem, packet,
                migrateEveryMicros, requests, ratePerSecond, pcap, tls, keylog, vip);
    }

    public LabOptions withPcap(Path p) {
        return new LabOptions(client, durationSeconds, connections, threads, servers, netem, packet,
                migrateEveryMicros, curlRequests, curlRatePerSecond, p, tls, keylog, vip);
    }

    /** HTTPS through TLS 1.3; {@code keylog} (or null) gets the NSS key log. */
    public LabOptions withTls(boolean t, Path k) {
        return new LabOptions(client, durationSeconds, connections, threads, servers, netem, packet,
                migrateEveryMicros, curlRequests, curlRatePerSecond, pcap, t, k, vip);
    }

    /** Clients connect to the VIP ({@link LabRack#VIP}) and the switch places them. */
    public LabOptions withVip(boolean on) {
        return new LabOptions(client, durationSeconds, connections, threads, servers, netem, packet, migrateEveryMicros,
                curlRequests, curlRatePerSecond, pcap, tls, keylog, on);
    }
}
