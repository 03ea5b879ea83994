package io.capybara.demo;

import io.capybara.app.HttpServerConfig;
import io.capybara.app.HttpServerSession;
import io.capybara.host.ConnectionHandler;
import io.capybara.mig.MigratableApp;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import java.util.ArrayDeque;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.HdrHistogram.Histogram;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The HTTP server of one rack server: an {@link HttpServerSession} per connection on the
 * host's callback API, served by one {@link VirtualCpu}. Requests are served one at a time in
 * the order they were parsed, across connections (a run-to-completion core with one queue):
 * {@link #startNext()} takes the oldest request's service demand, the node charges it to the
 * CPU, and only when that time has passed does {@link #completeInService()} send the response.
 *
 * <p>It is also the {@link MigratableApp} of the migration engine: a session travels in
 * CONN_STATE with its queued, unserved requests, which rejoin the serving queue on the target.
 * Serializing and restoring are charged to the CPU (the modelled migration cost, plus the
 * injected per-migration delay on the origin).
 *
 * <p>Demo-specific on purpose (the general adapter is {@code app.HttpServerApp}): it defers
 * each response until its service time has passed in virtual time.
 */
final class RackHttpServer implements ConnectionHandler, MigratableApp {
    private static final int SCRATCH = 64 * 1024;

    private final HttpServerConfig config;
    private final VirtualCpu cpu;
    private final long originCpuNanos;
    private final long targetCpuNanos;
    private final Long2ObjectHashMap<Session> sessions = new Long2ObjectHashMap<>();
    /** One entry per parsed, unserved request, oldest first; entries of departed sessions are skipped. */
    private final ArrayDeque<Session> ready = new ArrayDeque<>();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH]);
    private Session inService;
    /** Per connection key: when this server's PREPARE_MIG_ACK for it left (virtual ns). */
    private final Long2LongHashMap ackSentAt = new Long2LongHashMap(-1);
    private final Long2LongHashMap ackId = new Long2LongHashMap(0);
    private final Histogram blackout;

    private long served;
    private long accepted;
    private long resets;
    private long migratedOut;
    private long migratedIn;
    private long restoreFailures;

    /**
     * @param originCpuNanos CPU a migration costs its origin, injected delay included: charged
     *                       when the session is serialized, so CONN_STATE leaves after it
     * @param targetCpuNanos CPU a migration costs its target: charged when the session is restored
     */
    RackHttpServer(HttpServerConfig config, VirtualCpu cpu, long originCpuNanos, long targetCpuNanos,
                   Histogram blackout) {
        this.blackout = blackout;
        this.config = config;
        this.cpu = cpu;
        this.originCpuNanos = originCpuNanos;
        this.targetCpuNanos = targetCpuNanos;
    }

    /** One connection's HTTP state. */
    private static final class Session {
        final TcpConnection conn;
        final HttpServerSession http;
        boolean gone;
        boolean closeSent;

        Session(TcpConnection conn, HttpServerSession http) {
            this.conn = conn;
            this.http = http;
        }
    }

    private static long key(TcpConnection c) {
        return key(c.remoteIp(), c.remotePort(), c.localPort());
    }

    private static long key(int remoteIp, int remotePort, int localPort) {
        return (remoteIp & 0xFFFF_FFFFL) << 32 | (long) (remotePort & 0xFFFF) << 16 | (localPort & 0xFFFF);
    }

    /** This server, as a target, told the switch to redirect the connection: its blackout begins. */
    void prepareAckSent(int clientIp, int clientPort, int serverPort, int originIp, int migrationId, long atNanos) {
        long k = key(clientIp, clientPort, serverPort);
        long id = (long) originIp << 32 | (migrationId & 0xFFFF_FFFFL);
        if (ackId.get(k) != id) { // a resent ACK of the same migration does not restart it
            ackId.put(k, id);
            ackSentAt.put(k, atNanos);
        }
    }

    // ------------------------------------------------------------------ serving

    /**
     * Takes the service demand of the oldest waiting request, or -1 if none waits. The caller
     * charges it to the CPU and calls {@link #completeInService()} when the CPU is free again.
     */
    long startNext() {
        while (!ready.isEmpty()) {
            Session s = ready.poll();
            if (s.gone || s.http.unservedRequests() == 0) {
                continue;
            }
            inService = s;
            served++;
            return s.http.serveNext();
        }
        return -1;
    }

    boolean inService() {
        return inService != null;
    }

    /** The request in service is done: its response goes out, and its connection may read more. */
    void completeInService() {
        Session s = inService;
        inService = null;
        if (s != null && !s.gone) {
            pumpOutput(s);
            pumpInput(s);
        }
    }

    /** Requests parsed and waiting for the CPU (an upper bound: departed sessions' entries linger). */
    int waiting() {
        return ready.size();
    }

    private void pumpInput(Session s) {
        TcpConnection c = s.conn;
        HttpServerSession h = s.http;
        int before = h.unservedRequests();
        while (true) {
            int n = Math.min(Math.min(c.readableBytes(), h.receiveWindow()), SCRATCH);
            if (n <= 0) {
                break;
            }
            int got = c.receive(scratch, 0, n, cpu.now());
            if (got <= 0) {
                break;
            }
            h.onReceive(scratch, 0, got);
        }
        if (c.isPeerClosed() && c.readableBytes() == 0) {
            h.onPeerClosed();
        }
        for (int added = h.unservedRequests() - before; added > 0; added--) {
            ready.add(s);
        }
        finishIfDone(s);
    }

    private void pumpOutput(Session s) {
        TcpConnection c = s.conn;
        while (s.http.hasOutput()) {
            int room = Math.min(c.writableBytes(), SCRATCH);
            if (room <= 0) {
                break;
            }
            int m = s.http.produce(scratch, 0, room);
            if (m == 0) {
                break;
            }
            c.send(scratch, 0, m, cpu.now());
        }
        finishIfDone(s);
    }

    private void finishIfDone(Session s) {
        if (!s.closeSent && s.http.isFinished()) {
            s.closeSent = true;
            s.conn.close(cpu.now());
        }
    }

    // ------------------------------------------------------------------ host callbacks

    @Override
    public void onAccepted(TcpConnection conn) {
        Session s = new Session(conn, new HttpServerSession(config));
        sessions.put(key(conn), s);
        accepted++;
        pumpInput(s);
    }

    @Override
    public void onData(TcpConnection conn) {
        Session s = sessions.get(key(conn));
        if (s != null) {
            pumpInput(s);
            pumpOutput(s);
        }
    }

    @Override
    public void onWritable(TcpConnection conn) {
        Session s = sessions.get(key(conn));
        if (s != null) {
            pumpOutput(s);
        }
    }

    @Override
    public void onClosed(TcpConnection conn, boolean reset) {
        Session s = sessions.remove(key(conn));
        if (s != null) {
            s.gone = true;
        }
        if (reset) {
            resets++;
        }
    }

    // ------------------------------------------------------------------ migration

    @Override
    public ConnectionHandler handler() {
        return this;
    }

    @Override
    public int snapshotSize(TcpConnection conn) {
        Session s = sessions.get(key(conn));
        return s == null ? 0 : s.http.snapshotSize();
    }

    @Override
    public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        Session s = sessions.remove(key(conn));
        if (s == null) {
            return 0;
        }
        s.gone = true;
        migratedOut++;
        cpu.charge(originCpuNanos);
        return s.http.snapshot(dst, offset);
    }

    @Override
    public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
        HttpServerSession h;
        try {
            h = HttpServerSession.restore(config, src, offset, length);
        } catch (SnapshotException e) {
            restoreFailures++;
            return false;
        }
        Session s = new Session(conn, h);
        sessions.put(key(conn), s);
        for (int i = h.unservedRequests(); i > 0; i--) {
            ready.add(s);
        }
        migratedIn++;
        cpu.charge(targetCpuNanos);
        return true;
    }

    @Override
    public void resume(TcpConnection conn) {
        long start = ackSentAt.remove(key(conn));
        ackId.remove(key(conn));
        if (start >= 0) {
            // served again once the CPU has done the restore: the end of the blackout
            blackout.recordValue(Math.max(0, cpu.cursor() - start));
        }
        Session s = sessions.get(key(conn));
        if (s != null) {
            pumpInput(s);
            pumpOutput(s);
        }
    }

    // ------------------------------------------------------------------ counters

    /** Requests whose service demand was taken (each request is served exactly once rack-wide). */
    long served() {
        return served;
    }

    long accepted() {
        return accepted;
    }

    long resets() {
        return resets;
    }

    long migratedOut() {
        return migratedOut;
    }

    long migratedIn() {
        return migratedIn;
    }

    long restoreFailures() {
        return restoreFailures;
    }

    int sessions() {
        return sessions.size();
    }
}
