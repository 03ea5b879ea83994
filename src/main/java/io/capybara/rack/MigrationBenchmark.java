package io.capybara.rack;

import io.capybara.host.ConnectionHandler;
import io.capybara.mig.MigratableApp;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationMetrics;
import io.capybara.mig.MigrationStep;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import io.capybara.tls.KeyLog;
import io.capybara.tls.LoopbackClient;
import io.capybara.tls.TlsIdentity;
import io.capybara.tls.TlsServerContext;
import io.capybara.tls.TlsServerSession;
import io.capybara.tls.TlsSuite;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.bouncycastle.tls.crypto.TlsCrypto;

/**
 * Migration cost in an in-memory rack on one thread ({@link MemoryRack}: a switch, two servers
 * and a client host). {@code count} live connections, each with up to 4 KiB the
 * server application has not read and 4 KiB the client has not acknowledged (the client host
 * is not polled while migrating), are migrated back and forth between the servers; every step
 * is timed with the injected clock (System.nanoTime by default).
 *
 * <p>Server overhead = sum of a migration's step durations on origin and target (CPU time in
 * migration code); blackout = the target sending PREPARE_MIG_ACK (the switch redirects the
 * connection when it forwards it) until the target has restored, replayed and resumed.
 */
public final class MigrationBenchmark {
    static final int DATA = 4096;
    /**
     * Frames per link direction, like a NIC ring: a migration's burst is about ten frames and
     * every loop drains the links. A ring far larger than that (it was 1024 frames, 2 MB) only
     * cycles the benchmark through cold memory.
     */
    static final int LINK_FRAMES = 128;
    private static final int SETUP_BATCH = 8;
    /** Longest wait for the JIT to settle before measuring. */
    private static final long WARMUP_LIMIT_NANOS = 20_000_000_000L;

    /**
     * @param count          migrations measured
     * @param overheadP50Us  and the rest: microseconds
     * @param steps          per step: {p50_us, mean_us, p99_us}
     * @param stateBytes     mean size of the TCP snapshot in CONN_STATE
     * @param appStateBytes  mean size of the application state beside it (16 B; with TLS the session too)
     */
    public record Result(int count, int connections, double overheadP50Us, double overheadP99Us,
                         double overheadMeanUs, double blackoutP50Us, double blackoutP99Us, double blackoutMeanUs,
                         Map<String, double[]> steps, double stateBytes, long completed, long failed,
                         double appStateBytes) {

        public Result(int count, int connections, double overheadP50Us, double overheadP99Us, double overheadMeanUs,
                      double blackoutP50Us, double blackoutP99Us, double blackoutMeanUs, Map<String, double[]> steps,
                      double stateBytes, long completed, long failed) {
            this(count, connections, overheadP50Us, overheadP99Us, overheadMeanUs, blackoutP50Us, blackoutP99Us,
                    blackoutMeanUs, steps, stateBytes, completed, failed, 16);
        }

        /**
         * JSON-ready: overhead_us and blackout_us {p50, p99, mean}, steps_us {name: {p50, mean, p99}}
         * (and the same as steps {name: {p50_us, mean_us}}).
         */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("count", count);
            m.put("connections", connections);
            m.put("completed", completed);
            m.put("failed", failed);
            m.put("state_bytes_mean", stateBytes);
            m.put("app_state_bytes_mean", appStateBytes);
            m.put("overhead_us", Map.of("p50", overheadP50Us, "p99", overheadP99Us, "mean", overheadMeanUs));
            m.put("blackout_us", Map.of("p50", blackoutP50Us, "p99", blackoutP99Us, "mean", blackoutMeanUs));
            Map<String, Object> st = new LinkedHashMap<>();
            steps.forEach((k, v) -> st.put(k, Map.of("p50_us", v[0], "mean_us", v[1])));
            m.put("steps", st);
            Map<String, Object> us = new LinkedHashMap<>(); // the key: microseconds, {p50, mean}
            steps.forEach((k, v) -> us.put(k, Map.of("p50", v[0], "mean", v[1], "p99", v[2])));
            m.put("steps_us", us);
            return m;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("migrations=%d connections=%d completed=%d failed=%d state=%.0fB%n", count,
                    connections, completed, failed, stateBytes));
            sb.append(String.format("overhead us: p50=%.2f p99=%.2f mean=%.2f%n", overheadP50Us, overheadP99Us,
                    overheadMeanUs));
            sb.append(String.format("blackout us: p50=%.2f p99=%.2f mean=%.2f%n", blackoutP50Us, blackoutP99Us,
                    blackoutMeanUs));
            steps.forEach((k, v) -> sb.append(String.format("  %-26s p50=%.3f mean=%.3f%n", k, v[0], v[1])));
            return sb.toString();
        }
    }

    private final MemoryRack rack;
    private final BenchApp[] apps = new BenchApp[2];
    private final MigrationMetrics metrics;
    private final TcpConnection[] serverConn;
    private final int[] at;
    /** Connection index by client address and port, for the application's per-connection state. */
    private final Long2LongHashMap index = new Long2LongHashMap(-1);
    private long stateBytes;
    private long completed;
    private long failed;

    private final int unread;
    private final int unacked;
    /** TLS: each server's context, each connection's session (null: plain TCP). */
    private final TlsServerContext[] tlsCtx;
    private final TlsServerSession[] tls;
    private long tlsStateBytes;

    private MigrationBenchmark(int connections, int unread, int unacked, int mtu, LongSupplier clock, TlsSuite suite) {
        if (suite != null) {
            SecureRandom random = new SecureRandom();
            TlsIdentity id = TlsIdentity.selfSigned("capybara.bench", java.time.Instant.now(), random);
            tlsCtx = new TlsServerContext[2];
            for (int i = 0; i < 2; i++) {
                tlsCtx[i] = new TlsServerContext(id, EnumSet.of(suite), random, KeyLog.NONE);
            }
            tls = new TlsServerSession[connections];
        } else {
            tlsCtx = null;
            tls = null;
        }
        this.unread = unread;
        this.unacked = unacked;
        this.metrics = new MigrationMetrics(clock);
        serverConn = new TcpConnection[connections];
        at = new int[connections];
        rack = new MemoryRack("bench", LINK_FRAMES, LINK_FRAMES, mtu, connections * 2, metrics,
                i -> apps[i] = new BenchApp(this, i));
    }

    /** Runs {@code count} measured migrations (after as many warm-up ones) over {@code connections} connections. */
    public static Result run(int count, int connections, LongSupplier clock) {
        return run(count, connections, DATA, DATA, clock);
    }

    /**
     * @param unread  bytes the client sent that the server application leaves unread (<= 16 KiB)
     * @param unacked bytes the server sent that the client does not acknowledge (<= 16 KiB)
     */
    public static Result run(int count, int connections, int unread, int unacked, LongSupplier clock) {
        return run(count, connections, unread, unacked, MigrationConfig.MTU, clock);
    }

    /** @param mtu the links' IPv4 MTU (1500, or up to 9000 for jumbo frames) */
    public static Result run(int count, int connections, int unread, int unacked, int mtu, LongSupplier clock) {
        return run(count, connections, unread, unacked, mtu, clock, null);
    }

    /**
     * @param tlsSuite null: plain TCP connections; else each connection also carries an
     *                 established TLS 1.3 session of this suite (a real handshake with a loopback
     *                 client, one record each way), which migrates with it through the
     *                 application hook
     */
    public static Result run(int count, int connections, int unread, int unacked, int mtu, LongSupplier clock,
                             TlsSuite tlsSuite) {
        MigrationBenchmark b = new MigrationBenchmark(Math.max(1, connections), unread, unacked, mtu, clock, tlsSuite);
        b.setUp();
        if (tlsSuite != null) {
            TlsCrypto crypto = LoopbackClient.crypto(new SecureRandom());
            for (int i = 0; i < b.tls.length; i++) {
                b.tls[i] = LoopbackClient.establish(b.tlsCtx[0], tlsSuite, crypto, null);
            }
        }
        b.migrateMany(Math.max(count, 2_000));
        JitWarmup.untilSettled(() -> b.migrateMany(2_000), WARMUP_LIMIT_NANOS);
        b.metrics.reset();
        b.stateBytes = 0;
        b.tlsStateBytes = 0;
        b.completed = 0;
        b.failed = 0;
        b.migrateMany(count);
        return b.result(count);
    }

    /** The CLI's entry point: System.nanoTime as the step clock, 64 connections. */
    public static Result run(int count) {
        return run(count, 64, System::nanoTime);
    }

    private void setUp() {
        ConnectionHandler clientSide = new ConnectionHandler() {
            final UnsafeBuffer data = new UnsafeBuffer(new byte[Math.max(1, unread)]);

            @Override
            public void onConnected(TcpConnection c) {
                c.send(data, 0, unread, rack.client().now()); // the server application never reads it
            }
        };
        // a few connections at a time, so that no burst overflows the small link rings
        for (int first = 0; first < serverConn.length; first += SETUP_BATCH) {
            int upTo = Math.min(serverConn.length, first + SETUP_BATCH);
            for (int i = first; i < upTo; i++) {
                rack.client().connect(rack.server(0).config().ip(), MemoryRack.PORT, clientSide);
            }
            // handshakes, then the client's data in (the server application never reads it)
            rack.pollUntil(() -> apps[0].accepted >= upTo, 10_000);
            for (int round = 0; round < 100; round++) {
                rack.pollAll();
            }
            if (apps[0].accepted < upTo) {
                throw new IllegalStateException("benchmark setup: " + apps[0].accepted + " connections accepted");
            }
        }
        // then the servers' data out; the client host is not polled from here on: nothing gets acknowledged
        UnsafeBuffer data = new UnsafeBuffer(new byte[Math.max(1, unacked)]);
        for (int first = 0; first < serverConn.length; first += SETUP_BATCH) {
            for (int i = first; i < Math.min(serverConn.length, first + SETUP_BATCH); i++) {
                serverConn[i].send(data, 0, unacked, rack.now());
            }
            for (int round = 0; round < 10; round++) {
                rack.pollServers();
            }
        }
    }

    private void migrateMany(int n) {
        for (int k = 0; k < n; k++) {
            int i = k % serverConn.length;
            int from = at[i];
            TcpConnection c = serverConn[i];
            stateBytes += c.snapshotSize();
            if (!rack.migrate(from, c)) {
                failed++;
                continue;
            }
            if (at[i] != from && rack.engine(from).outgoing() == 0) {
                completed++;
            } else {
                failed++;
            }
        }
    }

    private Result result(int count) {
        Map<String, double[]> steps = new LinkedHashMap<>();
        for (MigrationStep s : MigrationStep.values()) {
            Histogram h = metrics.step(s);
            steps.put(s.jsonName(), new double[] {h.getValueAtPercentile(50) / 1000.0, h.getMean() / 1000.0,
                h.getValueAtPercentile(99) / 1000.0});
        }
        Histogram o = metrics.overhead();
        Histogram b = metrics.blackout();
        return new Result(count, serverConn.length, o.getValueAtPercentile(50) / 1000.0,
                o.getValueAtPercentile(99) / 1000.0, o.getMean() / 1000.0, b.getValueAtPercentile(50) / 1000.0,
                b.getValueAtPercentile(99) / 1000.0, b.getMean() / 1000.0, steps,
                count == 0 ? 0 : (double) stateBytes / count, completed, failed,
                16 + (tls == null || completed == 0 ? 0 : (double) tlsStateBytes / completed));
    }

    /** The benchmark's server application: 16 bytes of state per connection (its index and a counter). */
    static final class BenchApp implements MigratableApp, ConnectionHandler {
        final MigrationBenchmark bench;
        final int server;
        int accepted;
        private int restoredIndex = -1;

        BenchApp(MigrationBenchmark bench, int server) {
            this.bench = bench;
            this.server = server;
        }

        @Override
        public void onAccepted(TcpConnection c) {
            bench.index.put(key(c), accepted);
            bench.serverConn[accepted++] = c;
        }

        /** The client's address and port name a connection in this rack (one client host). */
        private static long key(TcpConnection c) {
            return (c.remoteIp() & 0xFFFF_FFFFL) << 16 | c.remotePort();
        }

        @Override
        public ConnectionHandler handler() {
            return this;
        }

        @Override
        public int snapshotSize(TcpConnection conn) {
            return bench.tls == null ? 16 : 16 + bench.tls[indexOf(conn)].snapshotSize();
        }

        @Override
        public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
            int index = indexOf(conn);
            dst.putInt(offset, index, ByteOrder.BIG_ENDIAN);
            dst.putInt(offset + 4, server, ByteOrder.BIG_ENDIAN);
            dst.putLong(offset + 8, conn.stats().bytesIn(), ByteOrder.BIG_ENDIAN);
            if (bench.tls == null) {
                return 16;
            }
            TlsServerSession t = bench.tls[index];
            int n = t.snapshot(dst, offset + 16);
            t.release(); // its ciphers go back to this server's pool
            bench.tls[index] = null;
            bench.tlsStateBytes += n;
            return 16 + n;
        }

        private int indexOf(TcpConnection conn) {
            return (int) bench.index.get(key(conn));
        }

        @Override
        public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
            int index = src.getInt(offset, ByteOrder.BIG_ENDIAN);
            if ((bench.tls == null ? length != 16 : length < 16) || index < 0 || index >= bench.serverConn.length) {
                return false;
            }
            if (bench.tls != null) {
                try {
                    bench.tls[index] = TlsServerSession.restore(bench.tlsCtx[server], src, offset + 16, length - 16);
                } catch (SnapshotException e) {
                    return false;
                }
                restoredIndex = index;
            }
            bench.serverConn[index] = conn;
            bench.at[index] = server;
            return true;
        }

        @Override
        public void resume(TcpConnection conn) {
            // nothing to serve: the benchmark's application leaves the data unread; a TLS
            // session opens the records that came with it (none here)
            if (restoredIndex >= 0) {
                bench.tls[restoredIndex].resume();
                restoredIndex = -1;
            }
        }
    }
}
