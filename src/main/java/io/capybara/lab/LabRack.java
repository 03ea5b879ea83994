package io.capybara.lab;

import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.MemoryLink;
import io.capybara.mig.MigCounter;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.rack.MigratableHttpServer;
import io.capybara.io.Node;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.SwitchCounter;
import io.capybara.tor.TorSwitch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.capybara.tls.TlsServerContext;
import java.util.function.IntFunction;
import org.agrona.collections.Long2LongHashMap;

/**
 * The Java side of the lab: a {@link TorSwitch} whose port 0 faces the Linux client (a TAP or
 * an AF_PACKET socket) and whose ports 1..n are {@link MemoryLink}s to n server {@link Host}s,
 * each with an {@link HttpServerApp} on port 80 and a {@link MigrationEngine}. Sans-IO: one
 * thread drives everything through {@link #poll(long)} with the real clock.
 *
 * <p>Addresses: the switch owns an address in the client link's subnet and is the client's
 * gateway to the servers' subnet (10.77.250.0/24), so the client kernel only ever ARPs for the
 * switch; servers reach the client through the same gateway. A response from a server that
 * holds a migrated connection leaves the switch with the original server's address.
 *
 * <p>Migrations: the load policy (load = the server's connections) sheds from crowded
 * servers, and a manual trigger moves, every {@code triggerIntervalNanos}, one live connection
 * from each server (round-robin over its table), so migrations happen at a known rate whatever
 * the load.
 */
public final class LabRack implements Node {
    public static final int HTTP_PORT = 80;
    public static final int HTTPS_PORT = 443;
    public static final int SERVER_SUBNET = 0x0A4DFA00; // 10.77.250.0/24
    /** The virtual address of {@code lab --vip}: 10.77.250.100. */
    public static final int VIP = SERVER_SUBNET + 100;
    public static final long SWITCH_MAC = 0x02CA_00FE_0000L;
    /** A connection the trigger moved is left alone this long (stale packets of the last move). */
    static final long TRIGGER_COOLDOWN_NANOS = 100_000_000L;

    private static final long NEVER = Long.MIN_VALUE;
    private final TorSwitch sw;
    private final Host[] servers;
    private final MigrationEngine[] engines;
    private final MigratableHttpServer[] apps;
    private final long triggerIntervalNanos;
    private final int[] cursor;
    private final Long2LongHashMap lastTriggered = new Long2LongHashMap(NEVER);
    private long nextTrigger;
    private boolean started;
    private long triggered;
    private long triggerRefused;

    /**
     * @param clientPort   the switch's port 0 (frames to and from the client kernel)
     * @param switchIp     the switch's address on the client link (the client's gateway)
     * @param clientIp     the client kernel's address
     * @param clientMac    the client kernel's MAC
     * @param serverCount  servers behind the switch
     * @param expectedConnections sizes tables and sets the load policy's marks
     * @param triggerIntervalNanos manual trigger period; 0 = manual trigger off
     * @param tls          server i -> its TLS context (HTTPS on port 443), or null for HTTP on 80
     * @param vip          clients connect to {@link #VIP} (the service's port) and the switch places them
     * @param serverSide   wraps each server's switch port (a pcap recorder, say)
     */
    LabRack(FrameChannel clientPort, int switchIp, int clientIp, long clientMac, int serverCount,
            int expectedConnections, long triggerIntervalNanos, IntFunction<TlsServerContext> tls, boolean vip,
            java.util.function.UnaryOperator<FrameChannel> serverSide) {
        if (serverCount < 2 || serverCount > 200) {
            throw new IllegalArgumentException("servers must be 2..200, got " + serverCount);
        }
        this.triggerIntervalNanos = triggerIntervalNanos;
        FrameChannel[] ports = new FrameChannel[serverCount + 1];
        ports[0] = clientPort;
        List<SwitchConfig.Host> hosts = new ArrayList<>();
        Map<Integer, Long> arp = new HashMap<>();
        arp.put(switchIp, SWITCH_MAC);
        MemoryLink[] links = new MemoryLink[serverCount];
        for (int i = 0; i < serverCount; i++) {
            links[i] = MemoryLink.pair("server" + i, 4096);
            ports[i + 1] = serverSide.apply(links[i].b());
            hosts.add(new SwitchConfig.Host(serverIp(i), serverMac(i), i + 1, true));
            arp.put(serverIp(i), serverMac(i));
        }
        hosts.add(new SwitchConfig.Host(clientIp, clientMac, 0, false));
        SwitchConfig swc = SwitchConfig.of(switchIp, SWITCH_MAC, hosts).withHeartbeatStale(200_000_000L);
        if (vip) {
            swc = swc.withVips(List.of(new SwitchConfig.Vip(VIP, tls == null ? HTTP_PORT : HTTPS_PORT))).withLevels(4);
        }
        sw = new TorSwitch(swc, ports);
        int perServer = Math.max(1, expectedConnections / serverCount);
        MigrationConfig mc = MigrationConfig.defaults(switchIp)
                .withPools(16, 64, 128, 256 * 1024, 1 << 20)
                // the loop shares two cores with wrk and the kernel: be patient (ms, not us)
                .withTimeouts(2_000_000L, 8, 2_000_000L, 10, 2_000_000L, 8, 1_000_000_000L)
                .withHeartbeat(1_000_000L)
                .withPolicy(2_000_000L, perServer + 4, perServer, TRIGGER_COOLDOWN_NANOS);
        servers = new Host[serverCount];
        engines = new MigrationEngine[serverCount];
        apps = new MigratableHttpServer[serverCount];
        cursor = new int[serverCount];
        for (int i = 0; i < serverCount; i++) {
            Map<Integer, Long> a = new HashMap<>(arp);
            a.remove(serverIp(i));
            servers[i] = new Host(HostConfig.of("server" + i, serverMac(i), serverIp(i), 24)
                    .withGateway(switchIp).withStaticArp(a).withTcp(tcpConfig()).withIsnSeed(0x1AB + i)
                    .withMaxConnections(Math.max(1024, expectedConnections * 2)), links[i].a());
            apps[i] = new MigratableHttpServer(new HttpServerApp(servers[i], HttpServerConfig.defaults(),
                    tls == null ? null : tls.apply(i)));
            servers[i].listen(tls == null ? HTTP_PORT : HTTPS_PORT, Math.max(1024, expectedConnections * 2), apps[i].http());
            engines[i] = new MigrationEngine(servers[i], mc, apps[i], MigrationMetrics.constant());
            Host h = servers[i];
            engines[i].loadMetric(() -> liveConnections(h));
        }
    }

    public static int serverIp(int i) {
        return SERVER_SUBNET + 10 + i;
    }

    public static long serverMac(int i) {
        return 0x02CA_FA00_0000L + 10 + i;
    }

    /**
     * TCP toward a Linux client: 64 KiB buffers (the state moves with every migration), SACK
     * (the Linux clients recover faster from loss with our SACK and D-SACK blocks), timers in
     * milliseconds (the link is a real kernel's).
     */
    public static TcpConfig tcpConfig() {
        TcpConfig d = TcpConfig.defaults();
        return new TcpConfig(1460, 64 * 1024, 64 * 1024, 2, true, true, false, 1_000_000L, 200_000_000L,
                20_000_000L, 2_000_000_000L, 15, 1_000_000_000L, d.maxOutOfOrderSegments());
    }

    private static long liveConnections(Host h) {
        return h.liveConnections();
    }

    @Override
    public int poll(long nowNanos) {
        int work = sw.poll(nowNanos);
        for (int i = 0; i < servers.length; i++) {
            work += servers[i].poll(nowNanos);
            work += engines[i].poll(nowNanos);
        }
        if (!started) {
            started = true;
            nextTrigger = nowNanos + triggerIntervalNanos;
        }
        if (triggerIntervalNanos > 0 && nowNanos - nextTrigger >= 0) {
            nextTrigger = nowNanos + triggerIntervalNanos;
            for (int s = 0; s < servers.length; s++) {
                triggerOne(s, nowNanos);
            }
        }
        return work;
    }

    @Override
    public long nextDeadline() {
        return Long.MIN_VALUE; // busy-polled
    }

    /** Starts migrating the next eligible connection of server {@code s} (round-robin). */
    private void triggerOne(int s, long now) {
        Host h = servers[s];
        int n = h.connectionCount();
        for (int k = 0; k < n; k++) {
            int idx = (cursor[s] + k) % n;
            TcpConnection c = h.connectionAt(idx);
            long key = (c.remoteIp() & 0xFFFF_FFFFL) << 32 | (long) c.remotePort() << 16 | c.localPort();
            long last = lastTriggered.get(key);
            if (!MigrationEngine.eligible(c) || (last != NEVER && now - last < TRIGGER_COOLDOWN_NANOS)
                    || engines[s].isMigrating(c.remoteIp(), c.remotePort(), c.localPort())) {
                continue;
            }
            cursor[s] = idx + 1;
            if (engines[s].migrate(c) >= 0) {
                lastTriggered.put(key, now);
                triggered++;
            } else {
                triggerRefused++;
            }
            return;
        }
    }

    // ------------------------------------------------------------------ results (read after the loop stopped)

    long migrationCounter(MigCounter c) {
        long n = 0;
        for (MigrationEngine e : engines) {
            n += e.counter(c);
        }
        return n;
    }

    long completed() {
        return migrationCounter(MigCounter.COMPLETED);
    }

    long aborted() {
        return migrationCounter(MigCounter.ABORTED_PREPARE_TIMEOUT) + migrationCounter(MigCounter.ABORTED_TARGET_DEAD)
                + migrationCounter(MigCounter.ABORTED_STATE_REFUSED)
                + migrationCounter(MigCounter.ABORTED_CONNECTION_GONE)
                + migrationCounter(MigCounter.ABORTED_SNAPSHOT_TOO_LARGE);
    }

    long rejected() {
        return migrationCounter(MigCounter.REJECTED_NO_TARGET) + migrationCounter(MigCounter.REJECTED_DIRECTORY_FULL)
                + migrationCounter(MigCounter.REJECTED_TARGET_BUSY);
    }

    long responses() {
        long n = 0;
        for (MigratableHttpServer a : apps) {
            n += a.http().responses();
        }
        return n;
    }

    long serverResets() {
        long n = 0;
        for (MigratableHttpServer a : apps) {
            n += a.http().resets();
        }
        return n;
    }

    long accepted() {
        long n = 0;
        for (MigratableHttpServer a : apps) {
            n += a.http().accepted();
        }
        return n;
    }

    /** TLS counters summed over the servers (empty for HTTP). */
    Map<String, Long> tlsCounters() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (MigratableHttpServer a : apps) {
            TlsServerContext t = a.http().tlsContext();
            if (t == null) {
                continue;
            }
            t.counterMap().forEach((k, v) -> m.merge(k, v, Long::sum));
        }
        return m;
    }

    long restoreFailures() {
        long n = 0;
        for (MigratableHttpServer a : apps) {
            n += a.restoreFailures();
        }
        return n;
    }

    /** One progress line (read on the rack's own thread). */
    String progress(long seconds) {
        return "lab: t=" + seconds + "s responses=" + responses() + " migrations=" + completed() + " aborted="
                + aborted() + " server_resets=" + serverResets() + " connections=" + connectionsPerServer();
    }

    long triggered() {
        return triggered;
    }

    long triggerRefused() {
        return triggerRefused;
    }

    int serverCount() {
        return servers.length;
    }

    TorSwitch torSwitch() {
        return sw;
    }

    Host server(int i) {
        return servers[i];
    }

    /** Live connections per server (to see where the policy and the trigger put them). */
    List<Long> connectionsPerServer() {
        List<Long> l = new ArrayList<>();
        for (Host h : servers) {
            l.add(liveConnections(h));
        }
        return l;
    }

    /** Every nonzero engine counter summed over the servers, then the switch's. */
    Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (MigCounter c : MigCounter.values()) {
            long v = migrationCounter(c);
            if (v != 0) {
                m.put(c.name().toLowerCase(java.util.Locale.ROOT), v);
            }
        }
        for (SwitchCounter c : SwitchCounter.values()) {
            long v = sw.counter(c);
            if (v != 0) {
                m.put("switch_" + c.name().toLowerCase(java.util.Locale.ROOT), v);
            }
        }
        return m;
    }
}
