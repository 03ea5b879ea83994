package io.capybara.rack.proc;

import io.capybara.host.ConnectionHandler;
import io.capybara.tcp.TcpConnection;
import java.util.ArrayDeque;
import org.agrona.collections.ObjectHashSet;

/**
 * A server of fixed capacity on real links: each response costs {@code serviceNanos} of a
 * virtual CPU, and while that CPU is busy the application reads nothing new. Requests then wait
 * in their connections' receive buffers: a real queue, which the reactive policy can measure
 * ({@link #queuedInputBytes}) and which moves with a migrated connection (its unread bytes are part
 * of the TCP state). Used by {@code eval policy --processes}, where a load step must overload one
 * server whatever the machine: capacity is {@code 1 / serviceNanos}, not how fast this host is.
 *
 * <p>The time is charged after the fact (a burst of pipelined requests on one connection is served
 * at once, then the CPU is busy for all of them), which shifts a response by at most one burst's
 * service time: small against the queueing delay the experiment measures.
 */
final class ServiceGate implements ConnectionHandler {
    private final ConnectionHandler inner;
    private final long serviceNanos;
    private final ArrayDeque<TcpConnection> waiting = new ArrayDeque<>();
    private final ObjectHashSet<TcpConnection> waitingSet = new ObjectHashSet<>();
    private long busyUntil;
    private long now;

    ServiceGate(ConnectionHandler inner, long serviceNanos) {
        this.inner = inner;
        this.serviceNanos = serviceNanos;
    }

    /** Charges {@code responses} new responses to the virtual CPU at {@code nowNanos}. */
    void charge(long responses, long nowNanos) {
        now = nowNanos;
        if (responses > 0) {
            busyUntil = Math.max(busyUntil, nowNanos) + responses * serviceNanos;
        }
    }

    boolean busy(long nowNanos) {
        return nowNanos < busyUntil;
    }

    long busyUntil() {
        return busyUntil;
    }

    /** Whether connections wait for the CPU. */
    boolean hasWaiting() {
        return !waiting.isEmpty();
    }

    /**
     * While the CPU is free, hands the next waiting connection its data; returns whether one was
     * served (the caller charges what it answered, then asks again).
     */
    boolean serveNext(long nowNanos) {
        now = nowNanos;
        if (busy(nowNanos) || waiting.isEmpty()) {
            return false;
        }
        TcpConnection c = waiting.poll();
        waitingSet.remove(c);
        if (c.readableBytes() > 0 || c.isPeerClosed()) {
            inner.onData(c);
        }
        return true;
    }

    /** Bytes received and not yet read by the application, over the given connections. */
    static long queuedInputBytes(io.capybara.host.Host host) {
        long sum = 0;
        for (int i = 0; i < host.connectionCount(); i++) {
            sum += host.connectionAt(i).readableBytes();
        }
        return sum;
    }

    @Override
    public void onAccepted(TcpConnection conn) {
        inner.onAccepted(conn);
    }

    @Override
    public void onConnected(TcpConnection conn) {
        inner.onConnected(conn);
    }

    @Override
    public void onData(TcpConnection conn) {
        if (busy(now) || !waiting.isEmpty()) {
            if (waitingSet.add(conn)) {
                waiting.add(conn);
            }
            return;
        }
        inner.onData(conn);
    }

    @Override
    public void onWritable(TcpConnection conn) {
        inner.onWritable(conn);
    }

    @Override
    public void onClosed(TcpConnection conn, boolean reset) {
        if (waitingSet.remove(conn)) {
            waiting.remove(conn);
        }
        inner.onClosed(conn, reset);
    }
}
