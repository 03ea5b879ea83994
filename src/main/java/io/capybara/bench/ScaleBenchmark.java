package io.capybara.bench;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.MemoryLink;
import io.capybara.mig.MigratableApp;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.TorSwitch;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What idle connections cost a host ({@code ./capybara bench scale}): a client host opens
 * {@code n} connections to a server host (plus one probe connection) through the switch, in
 * memory on one thread, and leaves them idle. Then, per count:
 * <ul>
 *   <li>heap per connection: live heap after a full GC, with the connections minus before
 *       them, divided by the connection ends (2 per connection: the client host runs the same
 *       stack, so each end is one idle established connection on a host);</li>
 *   <li>a server poll with nothing due, in nanoseconds;</li>
 *   <li>the probe's echo round trip (64 bytes), wall-clock microseconds;</li>
 *   <li>the probe migrated back and forth between two servers: server CPU time in migration
 *       code (TCPMig step clock), microseconds.</li>
 * </ul>
 * Here the migration engines send no heartbeat and run no policy (what is measured is the
 * host); the load experiment ({@link #load}) runs both as a rack server does: a heartbeat each
 * millisecond with the default load metric and a policy look each millisecond (that never
 * sheds), which the host's kept counters and busy list make O(1) in idle connections.
 */
public final class ScaleBenchmark {
    static final int SWITCH_IP = 0x0A0000FE;
    static final long SWITCH_MAC = 0x0200000000FEL;
    static final int FIRST_PORT = 1000;
    /** Connections per server port: the client host has 16,384 ephemeral ports per remote port. */
    static final int PER_PORT = 16_000;
    private static final int BATCH = 512;
    private static final int LINK_FRAMES = 2048;
    private static final int ECHO_BYTES = 64;

    /** One count's figures. */
    public record Row(int connections, double heapBytesPerConnection, double pollNsIdle, double echoP50Us,
                      double echoP99Us, double migrationP50Us, double migrationP99Us, int migrations,
                      double setupSeconds) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("connections", connections);
            m.put("heap_bytes_per_connection", Math.round(heapBytesPerConnection));
            m.put("poll_ns_idle", round(pollNsIdle));
            m.put("echo_rtt_us", Map.of("p50", round(echoP50Us), "p99", round(echoP99Us)));
            m.put("migration_overhead_us", Map.of("p50", round(migrationP50Us), "p99", round(migrationP99Us)));
            m.put("migrations", migrations);
            m.put("setup_seconds", round(setupSeconds));
            return m;
        }
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static int ip(int i) {
        return 0x0A000001 + i;
    }

    private static long mac(int i) {
        return 0x020000000001L + i;
    }

    private final int count;
    private final TorSwitch sw;
    private final Host[] servers = new Host[2];
    private final MigrationEngine[] engines = new MigrationEngine[2];
    private final App[] apps = new App[2];
    private final Host client;
    private final MigrationMetrics metrics = new MigrationMetrics(System::nanoTime);
    private long now;
    private int accepted;
    private final UnsafeBuffer sink = new UnsafeBuffer(new byte[64 * 1024]);
    private final UnsafeBuffer payload = new UnsafeBuffer(new byte[ECHO_BYTES]);
    private TcpConnection probeServer;
    private TcpConnection probeClient;
    private int probeAt;
    private int echoed;

    private ScaleBenchmark(int count) {
        this(count, false);
    }

    /** @param engineDuties heartbeats with the default load metric and policy looks, as a rack server */
    private ScaleBenchmark(int count, boolean engineDuties) {
        this.count = count;
        List<SwitchConfig.Host> hosts = new ArrayList<>();
        Map<Integer, Long> arp = new HashMap<>();
        arp.put(SWITCH_IP, SWITCH_MAC);
        FrameChannel[] ports = new FrameChannel[3];
        FrameChannel[] ends = new FrameChannel[3];
        for (int i = 0; i < 3; i++) {
            MemoryLink link = MemoryLink.pair("scale" + i, LINK_FRAMES);
            ports[i] = link.b();
            ends[i] = link.a();
            hosts.add(new SwitchConfig.Host(ip(i), mac(i), i, i < 2));
            arp.put(ip(i), mac(i));
        }
        sw = new TorSwitch(SwitchConfig.of(SWITCH_IP, SWITCH_MAC, hosts).withHeartbeatStale(Long.MAX_VALUE / 4), ports);
        TcpConfig tcp = TcpConfig.defaults();
        MigrationConfig mc = engineDuties
                ? MigrationConfig.defaults(SWITCH_IP).withPolicy(1_000_000L, Long.MAX_VALUE, Long.MAX_VALUE, 2_000_000L)
                : MigrationConfig.defaults(SWITCH_IP).withHeartbeat(Long.MAX_VALUE / 4);
        for (int i = 0; i < 2; i++) {
            // default table sizes: their growth is part of what the connections cost
            servers[i] = new Host(HostConfig.of("server" + i, mac(i), ip(i), 16).withTcp(tcp)
                    .withStaticArp(without(arp, ip(i))).withIsnSeed(11 + i), ends[i]);
            apps[i] = new App(this, i);
            engines[i] = new MigrationEngine(servers[i], mc, apps[i], metrics);
            if (!engineDuties) {
                engines[i].loadMetric(() -> 0);
            }
        }
        for (int p = 0; p <= count / PER_PORT; p++) {
            servers[0].listen(FIRST_PORT + p, BATCH * 2, apps[0]);
        }
        client = new Host(HostConfig.of("client", mac(2), ip(2), 16).withTcp(tcp)
                .withStaticArp(without(arp, ip(2))).withIsnSeed(13), ends[2]);
    }

    private static Map<Integer, Long> without(Map<Integer, Long> m, int ip) {
        Map<Integer, Long> copy = new HashMap<>(m);
        copy.remove(ip);
        return copy;
    }

    /**
     * Measures each count in turn, each in a rack of its own.
     *
     * @param progress told each count as it starts (for a progress line)
     */
    public static List<Row> run(int[] counts, int echoes, int migrations, IntConsumer progress) {
        List<Row> rows = new ArrayList<>();
        // one small round first, thrown away, so that the first count is not measured cold
        runOne(Math.min(1000, counts[0]), Math.max(1000, echoes / 4), Math.max(200, migrations / 4));
        for (int n : counts) {
            progress.accept(n);
            rows.add(runOne(n, echoes, migrations));
        }
        return rows;
    }

    static Row runOne(int n, int echoes, int migrations) {
        ScaleBenchmark b = new ScaleBenchmark(n);
        long baseline = liveHeap();
        long t0 = System.nanoTime();
        b.openIdle();
        double setup = (System.nanoTime() - t0) / 1e9;
        long loaded = liveHeap();
        double perConnection = (double) (loaded - baseline) / (2.0 * n);
        b.openProbe();
        double pollNs = b.idlePoll();
        Histogram echo = b.echo(echoes);
        b.migrate(Math.max(200, migrations / 2)); // warm-up
        b.metrics.reset();
        int done = b.migrate(migrations);
        Histogram o = b.metrics.overhead();
        Row row = new Row(n, perConnection, pollNs, echo.getValueAtPercentile(50) / 1000.0,
                echo.getValueAtPercentile(99) / 1000.0, o.getValueAtPercentile(50) / 1000.0,
                o.getValueAtPercentile(99) / 1000.0, done, setup);
        return row;
    }

    /** Used heap after full collections (System.gc is a full, stop-the-world collection in G1). */
    static long liveHeap() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private long tick() {
        now += 1_000; // 1 us of protocol time per loop
        return now;
    }

    private int pollAll() {
        long t = tick();
        int work = sw.poll(t);
        for (int i = 0; i < 2; i++) {
            work += servers[i].poll(t);
            work += engines[i].poll(t);
        }
        work += client.poll(t);
        return work;
    }

    /** One count under load: throughput and latency of 64-byte requests spread over every connection. */
    public record LoadRow(int connections, int inFlight, long requests, double seconds, double throughputRps,
                          double p50Us, double p99Us) {
    }

    /**
     * The scalability experiment of the load-balancer paper (its Figure 12) in this rack:
     * {@code n} connections, all of them used in turn, {@code inFlight} requests outstanding at
     * any time (each on a different connection, round-robin over all of them, so every
     * connection's state is touched), {@code requests} measured after a warm-up of a tenth.
     * Throughput and latency are wall-clock on this one thread.
     */
    public static LoadRow load(int n, int inFlight, int requests) {
        return load(n, inFlight, requests, done -> { });
    }

    /**
     * {@link #load(int, int, int)} telling {@code progress} how far it is, out of {@link #loadSteps}:
     * connections opened, then requests completed (warm-up included).
     */
    public static LoadRow load(int n, int inFlight, int requests, java.util.function.LongConsumer progress) {
        ScaleBenchmark b = new ScaleBenchmark(n, true);
        b.clientConns = new TcpConnection[n];
        b.progress = progress;
        b.openIdle();
        return b.runLoad(inFlight, requests);
    }

    /** The steps a {@link #load} run reports: the connections, then warm-up and measured requests. */
    public static long loadSteps(int n, int requests) {
        return (long) n + warmRequests(requests) + requests;
    }

    private static int warmRequests(int requests) {
        return Math.max(1000, requests / 10);
    }

    private java.util.function.LongConsumer progress = done -> { };
    private long reported;

    private TcpConnection[] clientConns;
    /** Per connection: when its request was sent, whether one is outstanding, response bytes so far. */
    private long[] sentAt;
    private boolean[] waiting;
    private int[] echoBytes;
    private Histogram latency;
    private long completed;
    private int nextConn;

    /** The client connections' events: idle ones get none; under load, responses. */
    private final ConnectionHandler clientEvents = new ConnectionHandler() {
        @Override
        public void onData(TcpConnection c) {
            int got = c.receive(sink, 0, sink.capacity(), client.now());
            if (got > 0 && sentAt != null && c.attachment() instanceof Integer idx) {
                echoBytes[idx] += got;
                if (echoBytes[idx] < ECHO_BYTES) {
                    return; // a response in pieces: complete when it is whole
                }
                echoBytes[idx] -= ECHO_BYTES;
                waiting[idx] = false;
                if (latency != null) {
                    latency.recordValue(Math.max(1, System.nanoTime() - sentAt[idx]));
                }
                completed++;
                request();
            }
        }
    };

    private LoadRow runLoad(int inFlight, int requests) {
        int n = clientConns.length;
        int window = Math.min(inFlight, n);
        for (int i = 0; i < n; i++) {
            clientConns[i].attach(i);
        }
        sentAt = new long[n];
        waiting = new boolean[n];
        echoBytes = new int[n];
        int warm = warmRequests(requests);
        for (int i = 0; i < window; i++) {
            request();
        }
        while (completed < warm) {
            pollAll();
            if (completed - reported >= 1024) { // a poll completes several: report each block passed
                reported = completed;
                progress.accept(n + completed);
            }
        }
        latency = new Histogram(3);
        long start = System.nanoTime();
        long target = completed + requests;
        while (completed < target) {
            pollAll();
            if (completed - reported >= 1024) { // a poll completes several: report each block passed
                reported = completed;
                progress.accept(n + completed);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new LoadRow(n, window, requests, seconds, requests / seconds, latency.getValueAtPercentile(50) / 1000.0,
                latency.getValueAtPercentile(99) / 1000.0);
    }

    /**
     * The next request, on the next connection in turn with none outstanding (one always is:
     * the one whose response just came), so the window stays {@code inFlight} even when it is
     * as large as the connection count, and no request is pipelined behind another.
     */
    private void request() {
        int idx = nextConn;
        while (waiting[idx]) {
            idx = idx + 1 == clientConns.length ? 0 : idx + 1;
        }
        nextConn = idx + 1 == clientConns.length ? 0 : idx + 1;
        waiting[idx] = true;
        sentAt[idx] = System.nanoTime();
        clientConns[idx].send(payload, 0, ECHO_BYTES, client.now());
    }

    private void openIdle() {
        ConnectionHandler idle = clientEvents;
        int opened = 0;
        while (opened < count) {
            int upTo = Math.min(count, opened + BATCH);
            for (int i = opened; i < upTo; i++) {
                TcpConnection c = client.connect(ip(0), FIRST_PORT + i / PER_PORT, idle);
                if (c == null) {
                    throw new IllegalStateException("no ephemeral port for connection " + i);
                }
                if (clientConns != null) {
                    clientConns[i] = c;
                }
            }
            for (int round = 0; round < 100_000 && accepted < upTo; round++) {
                pollAll();
            }
            while (pollAll() > 0) {
                // drain the last ACKs
            }
            if (accepted < upTo) {
                throw new IllegalStateException("setup: " + accepted + " of " + upTo + " connections accepted");
            }
            opened = upTo;
            progress.accept(opened);
        }
    }

    private void openProbe() {
        int before = accepted;
        probeClient = client.connect(ip(0), FIRST_PORT, new ConnectionHandler() {
            @Override
            public void onData(TcpConnection c) {
                echoed += c.receive(sink, 0, sink.capacity(), client.now());
            }
        });
        for (int round = 0; round < 100_000 && accepted == before; round++) {
            pollAll();
        }
        probeServer = apps[0].last;
        probeAt = 0;
        while (pollAll() > 0) {
            // settle
        }
    }


    /**
     * Nanoseconds per server poll with nothing to do (no frames, no timer due): the best of 20
     * rounds of 100,000 polls, since on a shared machine a round can lose the core to others.
     */
    private double idlePoll() {
        Host h = servers[0];
        long t = now;
        for (int i = 0; i < 200_000; i++) {
            h.poll(t++); // warm-up
        }
        int rounds = 20;
        int polls = 100_000;
        double best = Double.MAX_VALUE;
        int work = 0;
        for (int r = 0; r < rounds; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < polls; i++) {
                work += h.poll(t++);
            }
            best = Math.min(best, (double) (System.nanoTime() - start) / polls);
        }
        if (work != 0) {
            throw new IllegalStateException("an idle poll did work: " + work);
        }
        now = t;
        return best;
    }

    private Histogram echo(int n) {
        Histogram h = new Histogram(3);
        for (int i = 0; i < n + n / 2; i++) {
            int want = echoed + ECHO_BYTES;
            long start = System.nanoTime();
            probeClient.send(payload, 0, ECHO_BYTES, client.now());
            for (int round = 0; round < 10_000 && echoed < want; round++) {
                pollAll();
            }
            long took = System.nanoTime() - start;
            if (echoed < want) {
                throw new IllegalStateException("echo " + i + " never came back");
            }
            if (i >= n / 2) { // the first third warms the JIT up
                h.recordValue(took);
            }
        }
        while (pollAll() > 0) {
            // the last ACKs
        }
        return h;
    }

    /** Migrates the probe back and forth {@code n} times; returns how many completed. */
    private int migrate(int n) {
        int done = 0;
        for (int k = 0; k < n; k++) {
            int from = probeAt;
            MigrationEngine e = engines[from];
            if (e.migrate(probeServer) < 0) {
                continue;
            }
            for (int round = 0; round < 10_000 && (e.outgoing() > 0 || engines[1 - from].preparedSlots() > 0); round++) {
                pollAll();
            }
            if (probeAt != from) {
                done++;
            }
            // between migrations the connection is in use: one echo each time
            int want = echoed + ECHO_BYTES;
            probeClient.send(payload, 0, ECHO_BYTES, client.now());
            for (int round = 0; round < 10_000 && echoed < want; round++) {
                pollAll();
            }
        }
        return done;
    }

    /** Echo server whose only per-connection state is the TCP connection itself. */
    static final class App implements MigratableApp, ConnectionHandler {
        final ScaleBenchmark bench;
        final int server;
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64 * 1024]);
        TcpConnection last;

        App(ScaleBenchmark bench, int server) {
            this.bench = bench;
            this.server = server;
        }

        @Override
        public void onAccepted(TcpConnection c) {
            bench.accepted++;
            last = c;
        }

        @Override
        public void onData(TcpConnection c) {
            Host h = bench.servers[server];
            int n;
            while ((n = Math.min(c.readableBytes(), c.writableBytes())) > 0) {
                int got = c.receive(scratch, 0, Math.min(n, scratch.capacity()), h.now());
                c.send(scratch, 0, got, h.now());
            }
        }

        @Override
        public ConnectionHandler handler() {
            return this;
        }

        @Override
        public int snapshotSize(TcpConnection conn) {
            return 4;
        }

        @Override
        public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
            dst.putInt(offset, server);
            return 4;
        }

        @Override
        public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
            if (length != 4) {
                return false;
            }
            bench.probeServer = conn;
            bench.probeAt = server;
            return true;
        }

        @Override
        public void resume(TcpConnection conn) {
            onData(conn);
        }
    }
}
