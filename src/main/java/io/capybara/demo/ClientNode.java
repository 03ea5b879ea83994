package io.capybara.demo;

import io.capybara.app.HttpRequestWriter;
import io.capybara.app.LatencyRecorder;
import io.capybara.app.LoadConnection;
import io.capybara.app.ArrivalSchedule;
import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.io.Node;
import io.capybara.tcp.TcpConnection;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The load generator host: one {@link Host} with a {@link LoadConnection} per TCP connection,
 * driven by an open-loop {@link ArrivalSchedule}. Costs no virtual CPU (the paper's client is
 * a separate, unsaturated machine). Latency is recorded from each request's intended send time
 * (no coordinated omission); a request that cannot be queued is an error, never retried.
 */
final class ClientNode implements Node, ConnectionHandler {
    private static final int SCRATCH = 64 * 1024;

    private final Host host;
    private final LoadConnection[] loads;
    private final TcpConnection[] tcp;
    private final Int2IntHashMap byPort = new Int2IntHashMap(-1);
    private final LatencyRecorder recorder = new LatencyRecorder();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH]);
    private final long responseBytes;
    private final int[] dirty;
    private final boolean[] isDirty;
    private int dirtyCount;
    private ArrivalSchedule schedule;
    private long endNanos = Long.MIN_VALUE;
    private long now;
    private final PeekingChannel rx;
    /** Host.nextDeadline() as of the end of the last poll that did anything (it walks every connection). */
    private long hostDeadline = Long.MIN_VALUE;

    private long lastResponseNanos;
    private int established;
    private long issued;
    private long dropped;
    private long resets;
    private long closes;

    /**
     * @param maxOutstanding per connection: requests sent and unanswered, at most
     */
    ClientNode(Host host, PeekingChannel rx, String hostHeader, int[] maxOutstanding, long responseBytes) {
        this.host = host;
        this.rx = rx;
        int n = maxOutstanding.length;
        this.loads = new LoadConnection[n];
        this.tcp = new TcpConnection[n];
        HttpRequestWriter writer = new HttpRequestWriter(hostHeader);
        for (int i = 0; i < n; i++) {
            loads[i] = new LoadConnection(writer, maxOutstanding[i], true);
        }
        this.responseBytes = responseBytes;
        this.dirty = new int[n];
        this.isDirty = new boolean[n];
    }

    /** Opens connection {@code i} to {@code serverIp:port}. */
    void connect(int i, int serverIp, int port) {
        TcpConnection c = host.connect(serverIp, port, this);
        hostDeadline = Long.MIN_VALUE;
        if (c == null) {
            throw new IllegalStateException("no ephemeral port for connection " + i);
        }
        tcp[i] = c;
        byPort.put(c.localPort(), i);
    }

    /** Starts the schedule: requests are due from its start until {@code endNanos}. */
    void start(ArrivalSchedule s, long endNanos) {
        this.schedule = s;
        this.endNanos = endNanos;
    }

    @Override
    public int poll(long nowNanos) {
        now = nowNanos;
        int work = 0;
        if (nowNanos >= hostDeadline || rx.hasPending()) {
            work += host.poll(nowNanos);
        }
        if (schedule != null) {
            while (schedule.isDue(nowNanos) && schedule.nextSendTimeNanos() < endNanos) {
                int i = schedule.nextConnection();
                if (loads[i].enqueue(schedule.nextSendTimeNanos(), responseBytes)) {
                    issued++;
                    if (!isDirty[i]) {
                        isDirty[i] = true;
                        dirty[dirtyCount++] = i;
                    }
                } else {
                    dropped++;
                    recorder.recordError();
                }
                schedule.advance();
                work++;
            }
        }
        for (int k = 0; k < dirtyCount; k++) {
            int i = dirty[k];
            isDirty[i] = false;
            push(i);
        }
        dirtyCount = 0;
        if (work > 0) {
            hostDeadline = host.nextDeadline();
        }
        return work;
    }

    /** Moves queued request bytes into the TCP send buffer, as far as it has room. */
    private void push(int i) {
        LoadConnection l = loads[i];
        TcpConnection c = tcp[i];
        int len = Math.min(l.outboundLength(), c.writableBytes());
        if (len > 0) {
            int n = c.send(l.outbound(), l.outboundOffset(), len, now);
            if (n > 0) {
                l.outboundSent(n);
            }
        }
    }

    @Override
    public long nextDeadline() {
        long d = hostDeadline;
        if (schedule != null && schedule.nextSendTimeNanos() < endNanos) {
            d = Math.min(d, schedule.nextSendTimeNanos());
        }
        return d;
    }

    @Override
    public void onConnected(TcpConnection conn) {
        established++;
    }

    @Override
    public void onData(TcpConnection conn) {
        int i = byPort.get(conn.localPort());
        if (i < 0) {
            return;
        }
        long t = host.now();
        while (conn.readableBytes() > 0) {
            int n = conn.receive(scratch, 0, Math.min(conn.readableBytes(), SCRATCH), t);
            if (n <= 0) {
                break;
            }
            if (loads[i].onReceive(scratch, 0, n, t, recorder) > 0) {
                lastResponseNanos = t;
            }
        }
    }

    @Override
    public void onWritable(TcpConnection conn) {
        int i = byPort.get(conn.localPort());
        if (i >= 0) {
            push(i);
        }
    }

    @Override
    public void onClosed(TcpConnection conn, boolean reset) {
        int i = byPort.get(conn.localPort());
        if (reset) {
            resets++;
        } else {
            closes++;
        }
        if (i >= 0) {
            loads[i].fail(recorder);
        }
    }

    /** True once the schedule has ended and nothing is outstanding. */
    boolean isDone() {
        if (schedule == null || schedule.nextSendTimeNanos() < endNanos) {
            return false;
        }
        for (LoadConnection l : loads) {
            if (l.outstanding() > 0 && !l.failed()) {
                return false;
            }
        }
        return true;
    }

    /** Arrival time of the latest response. */
    long lastResponseNanos() {
        return lastResponseNanos;
    }

    int established() {
        return established;
    }

    long issued() {
        return issued;
    }

    long dropped() {
        return dropped;
    }

    long resets() {
        return resets;
    }

    long closes() {
        return closes;
    }

    LatencyRecorder recorder() {
        return recorder;
    }

    Host host() {
        return host;
    }

    LoadConnection load(int i) {
        return loads[i];
    }
}
