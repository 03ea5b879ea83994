package io.capybara.demo;

import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.ConnectionHandler;
import io.capybara.mig.MigratableApp;
import io.capybara.rack.MigratableHttpServer;
import io.capybara.tcp.TcpConnection;
import java.util.ArrayDeque;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;

/**
 * The HTTP server of one rack server ({@link HttpServerApp}, the racks' one adapter) served by
 * one {@link VirtualCpu}: its serving hook. Requests are served one at a time in the order
 * they were parsed, across connections (a run-to-completion core with one queue):
 * {@link #startNext()} takes the oldest request's service demand, the node charges it to the
 * CPU, and only when that time has passed does {@link #completeInService()} send the response.
 *
 * <p>It is also the {@link MigratableApp} of the migration engine, around
 * {@link MigratableHttpServer}: a session travels in CONN_STATE with its queued, unserved
 * requests, which rejoin the serving queue on the target. Serializing and restoring are charged
 * to the CPU (the modelled migration cost, plus the injected per-migration delay on the
 * origin), and the blackout ends when the target serves the connection again.
 */
final class CpuServing implements HttpServerApp.ServingHook, MigratableApp {
    private final HttpServerApp http;
    private final MigratableHttpServer migratable;
    private final VirtualCpu cpu;
    private final long originCpuNanos;
    private final long targetCpuNanos;
    /** One entry per parsed, unserved request, oldest first; entries of departed connections are skipped. */
    private final ArrayDeque<TcpConnection> ready = new ArrayDeque<>();
    private TcpConnection inService;
    /** Per connection key: when this server's PREPARE_MIG_ACK for it left (virtual ns). */
    private final Long2LongHashMap ackSentAt = new Long2LongHashMap(-1);
    private final Long2LongHashMap ackId = new Long2LongHashMap(0);
    private final Histogram blackout;
    private long served;

    /**
     * @param originCpuNanos CPU a migration costs its origin, injected delay included: charged
     *                       when the session is serialized, so CONN_STATE leaves after it
     * @param targetCpuNanos CPU a migration costs its target: charged when the session is restored
     */
    CpuServing(HttpServerConfig config, VirtualCpu cpu, long originCpuNanos, long targetCpuNanos, Histogram blackout) {
        this.http = new HttpServerApp(config, null, cpu::now).serving(this);
        this.migratable = new MigratableHttpServer(http);
        this.cpu = cpu;
        this.originCpuNanos = originCpuNanos;
        this.targetCpuNanos = targetCpuNanos;
        this.blackout = blackout;
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

    @Override
    public void waiting(TcpConnection conn, int n) {
        for (int i = 0; i < n; i++) {
            ready.add(conn);
        }
    }

    /**
     * Takes the service demand of the oldest waiting request, or -1 if none waits. The caller
     * charges it to the CPU and calls {@link #completeInService()} when the CPU is free again.
     */
    long startNext() {
        while (!ready.isEmpty()) {
            TcpConnection c = ready.poll();
            long demand = http.serveNext(c); // -1: the connection left or closed meanwhile
            if (demand >= 0) {
                inService = c;
                served++;
                return demand;
            }
        }
        return -1;
    }

    boolean inService() {
        return inService != null;
    }

    /** The request in service is done: its response goes out, and its connection may read more. */
    void completeInService() {
        TcpConnection c = inService;
        inService = null;
        if (c != null) {
            http.resume(c);
        }
    }

    /** Requests parsed and waiting for the CPU (an upper bound: departed connections' entries linger). */
    int waiting() {
        return ready.size();
    }

    // ------------------------------------------------------------------ migration

    @Override
    public ConnectionHandler handler() {
        return http;
    }

    @Override
    public int snapshotSize(TcpConnection conn) {
        return migratable.snapshotSize(conn);
    }

    @Override
    public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        if (http.sessionSnapshotSize(conn) < 0) {
            return 0;
        }
        cpu.charge(originCpuNanos);
        return migratable.snapshot(conn, dst, offset);
    }

    @Override
    public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
        if (!migratable.restore(conn, src, offset, length)) {
            return false;
        }
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
        migratable.resume(conn);
    }

    // ------------------------------------------------------------------ counters

    /** Requests whose service demand was taken (each request is served exactly once rack-wide). */
    long served() {
        return served;
    }

    long resets() {
        return http.resets();
    }
}
