package io.capybara.host;

import io.capybara.tcp.TcpConnection;
import java.util.ArrayDeque;
import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The Demikernel-style queue API over one {@link Host}: descriptors ({@code socket}, {@code bind},
 * {@code listen}, {@code accept}, {@code connect}, {@code push}, {@code pop}, {@code close}) whose
 * operations return tokens that complete inside the host's {@code poll} (or at once). Built on
 * the host's callback API: one {@link ConnectionHandler} for all its connections, which finds a
 * connection's descriptor through {@link TcpConnection#attachment()}.
 *
 * <p>Its connections stay in memory after they close (the host does not recycle them) because a
 * descriptor may still pop the bytes left in one.
 */
public final class QueueApi {
    /** Most operations of one kind pending on one descriptor. */
    private static final int MAX_PENDING = 64;

    private final Host host;
    private Socket[] sockets = new Socket[16];
    private final IntHashSet freeDescriptors = new IntHashSet();
    private int nextDescriptor = 1;
    private final OpTable ops = new OpTable(64);
    private final Events events = new Events();

    public QueueApi(Host host) {
        this.host = host;
    }

    /** A new, unbound TCP socket descriptor. */
    public int socket() {
        int qd;
        if (!freeDescriptors.isEmpty()) {
            qd = lowestFree();
            freeDescriptors.remove(qd);
        } else {
            qd = nextDescriptor++;
            if (qd >= sockets.length) {
                sockets = Arrays.copyOf(sockets, sockets.length * 2);
            }
        }
        sockets[qd] = new Socket(qd);
        return qd;
    }

    private int lowestFree() {
        int min = Integer.MAX_VALUE;
        IntHashSet.IntIterator it = freeDescriptors.iterator();
        while (it.hasNext()) {
            min = Math.min(min, it.nextValue());
        }
        return min;
    }

    private Socket socket(int qd) {
        return qd > 0 && qd < sockets.length ? sockets[qd] : null;
    }

    /** Binds a fresh socket to a local port; returns a {@link QueueError} code. */
    public int bind(int qd, int port) {
        Socket d = socket(qd);
        if (d == null) {
            return QueueError.BAD_DESCRIPTOR;
        }
        if (d.kind != Socket.UNBOUND || d.localPort != 0 || port <= 0 || port > 65535) {
            return QueueError.INVALID;
        }
        if (!host.reservePort(port)) {
            return QueueError.ADDRESS_IN_USE;
        }
        d.localPort = port;
        return QueueError.OK;
    }

    /** Turns a bound socket into a listener; returns a {@link QueueError} code. */
    public int listen(int qd, int backlog) {
        Socket d = socket(qd);
        if (d == null) {
            return QueueError.BAD_DESCRIPTOR;
        }
        if (d.kind != Socket.UNBOUND || d.localPort == 0 || backlog < 1) {
            return QueueError.INVALID;
        }
        host.releasePort(d.localPort);
        d.listener = host.listener(d.localPort, host.config().synBacklog(), backlog, events);
        d.listener.owner = d;
        d.acceptQueue = new ArrayDeque<>();
        d.kind = Socket.LISTENING;
        return QueueError.OK;
    }

    /** Completes with the descriptor of the next established connection on a listener. */
    public long accept(int qd) {
        Socket d = socket(qd);
        long token = ops.allocate(QueueOp.ACCEPT, qd);
        int s = OpTable.slot(token);
        if (d == null || d.kind != Socket.LISTENING) {
            ops.complete(s, d == null ? QueueError.BAD_DESCRIPTOR : QueueError.INVALID, 0);
        } else if (d.pendingAccepts.size() >= MAX_PENDING) {
            ops.complete(s, QueueError.BUSY, 0);
        } else {
            d.pendingAccepts.add(s);
            progressAccepts(d);
        }
        return token;
    }

    /** Opens a connection; completes when the handshake does (or fails). */
    public long connect(int qd, int remoteIp, int remotePort) {
        Socket d = socket(qd);
        long token = ops.allocate(QueueOp.CONNECT, qd);
        int s = OpTable.slot(token);
        if (d == null || d.kind != Socket.UNBOUND) {
            ops.complete(s, d == null ? QueueError.BAD_DESCRIPTOR : QueueError.INVALID, 0);
            return token;
        }
        int port = d.localPort;
        if (port == 0) {
            port = host.ephemeralPort(remoteIp, remotePort);
            if (port < 0) {
                ops.complete(s, QueueError.NO_PORTS, 0);
                return token;
            }
        } else if (host.connection(remoteIp, remotePort, port) != null) {
            ops.complete(s, QueueError.ADDRESS_IN_USE, 0);
            return token;
        } else {
            host.releasePort(port);
        }
        d.kind = Socket.CONNECTED;
        d.localPort = port;
        d.connectOp = s;
        d.conn = host.openActive(port, remoteIp, remotePort, events, d);
        return token;
    }

    /**
     * Queues {@code length} bytes; completes when all are in the connection's send buffer. The
     * caller must leave the bytes untouched until then.
     */
    public long push(int qd, DirectBuffer buffer, int offset, int length) {
        Socket d = socket(qd);
        long token = ops.allocate(QueueOp.PUSH, qd);
        int s = OpTable.slot(token);
        int err = checkConnected(d);
        if (err != QueueError.OK) {
            ops.complete(s, err, 0);
        } else if (d.pendingPushes.size() >= MAX_PENDING) {
            ops.complete(s, QueueError.BUSY, 0);
        } else {
            ops.src[s] = buffer;
            ops.srcOffset[s] = offset;
            ops.remaining[s] = length;
            ops.total[s] = length;
            d.pendingPushes.add(s);
            progressPushes(d);
        }
        return token;
    }

    /**
     * Completes with the next bytes received (0 bytes = the peer closed), in a buffer of the
     * descriptor's own; the view stays valid until the next pop on this descriptor is issued.
     * One pop may be pending per descriptor.
     */
    public long pop(int qd) {
        Socket d = socket(qd);
        if (d != null && d.popBuffer == null && d.kind == Socket.CONNECTED) {
            d.popBuffer = new UnsafeBuffer(new byte[host.config().popBufferBytes()]);
        }
        UnsafeBuffer buffer = d == null ? null : d.popBuffer;
        return pop(qd, buffer, 0, buffer == null ? 0 : buffer.capacity());
    }

    /** Completes with up to {@code maxLength} received bytes copied into {@code dst}. */
    public long pop(int qd, MutableDirectBuffer dst, int offset, int maxLength) {
        Socket d = socket(qd);
        long token = ops.allocate(QueueOp.POP, qd);
        int s = OpTable.slot(token);
        int err = checkConnected(d);
        if (err == QueueError.CLOSED && d != null && d.kind == Socket.CONNECTED && !d.reset) {
            err = QueueError.OK; // a cleanly closed connection pops end-of-stream
        }
        if (err != QueueError.OK) {
            ops.complete(s, err, 0);
        } else if (d.pendingPops.size() > 0 || maxLength <= 0) {
            ops.complete(s, maxLength <= 0 ? QueueError.INVALID : QueueError.BUSY, 0);
        } else {
            ops.dst[s] = dst;
            ops.dstOffset[s] = offset;
            ops.dstLength[s] = maxLength;
            d.pendingPops.add(s);
            progressPops(d);
        }
        return token;
    }

    /**
     * Closes a descriptor. A connection is closed gracefully (FIN after queued data) and stays in
     * the table, owned by the host, until it reaches CLOSED; a listener stops accepting and
     * resets connections not yet accepted. Completes at once; pending operations fail with
     * {@link QueueError#CLOSED}.
     */
    public long close(int qd) {
        Socket d = socket(qd);
        long token = ops.allocate(QueueOp.CLOSE, qd);
        int s = OpTable.slot(token);
        if (d == null) {
            ops.complete(s, QueueError.BAD_DESCRIPTOR, 0);
            return token;
        }
        failPending(d, QueueError.CLOSED, false);
        switch (d.kind) {
            case Socket.UNBOUND -> host.releasePort(d.localPort);
            case Socket.LISTENING -> {
                host.unlisten(d.localPort);
                while (!d.acceptQueue.isEmpty()) {
                    TcpConnection c = d.acceptQueue.poll();
                    d.listener.queued--;
                    host.abort(c);
                }
            }
            default -> {
                TcpConnection c = d.conn;
                if (c != null && !d.removed) {
                    c.attach(null);
                    host.close(c);
                }
            }
        }
        sockets[qd] = null;
        freeDescriptors.add(qd);
        ops.complete(s, QueueError.OK, 0);
        return token;
    }

    /** Takes the completion of {@code token} if it is done. */
    public boolean takeCompletion(long token, QResult out) {
        return ops.take(token, out);
    }

    /** Takes the oldest completion not yet taken. */
    public boolean nextCompletion(QResult out) {
        return ops.next(out);
    }

    /** The connection behind a connected descriptor (for inspection), or null. */
    public TcpConnection connectionOf(int qd) {
        Socket d = socket(qd);
        return d == null ? null : d.conn;
    }

    public Host host() {
        return host;
    }

    private static int checkConnected(Socket d) {
        if (d == null) {
            return QueueError.BAD_DESCRIPTOR;
        }
        if (d.kind != Socket.CONNECTED) {
            return QueueError.INVALID;
        }
        return d.closedError;
    }

    private void progressAccepts(Socket ld) {
        while (ld.pendingAccepts.size() > 0 && !ld.acceptQueue.isEmpty()) {
            TcpConnection c = ld.acceptQueue.poll();
            ld.listener.queued--;
            int qd = socket();
            Socket d = sockets[qd];
            d.kind = Socket.CONNECTED;
            d.localPort = ld.localPort;
            d.conn = c;
            d.established = true;
            c.attach(d);
            ops.complete(ld.pendingAccepts.poll(), QueueError.OK, qd);
        }
    }

    private void progressPushes(Socket d) {
        TcpConnection c = d.conn;
        while (d.pendingPushes.size() > 0) {
            int s = d.pendingPushes.peek();
            int n = c.send(ops.src[s], ops.srcOffset[s], ops.remaining[s], host.now());
            ops.srcOffset[s] += n;
            ops.remaining[s] -= n;
            if (ops.remaining[s] > 0) {
                return;
            }
            d.pendingPushes.poll();
            ops.complete(s, QueueError.OK, ops.total[s]);
        }
    }

    private void progressPops(Socket d) {
        TcpConnection c = d.conn;
        while (d.pendingPops.size() > 0) {
            int s = d.pendingPops.peek();
            int readable = c.readableBytes();
            if (readable > 0) {
                MutableDirectBuffer dst = ops.dst[s];
                int off = ops.dstOffset[s];
                int n = c.receive(dst, off, Math.min(readable, ops.dstLength[s]), host.now());
                d.pendingPops.poll();
                ops.complete(s, QueueError.OK, n, dst, off, n);
            } else if (c.isPeerClosed() || (d.removed && !d.reset)) {
                d.pendingPops.poll();
                ops.complete(s, QueueError.OK, 0);
            } else {
                return;
            }
        }
    }

    /** Fails every pending operation of {@code d}; pops on a cleanly closed connection see EOF. */
    private void failPending(Socket d, int error, boolean popsSeeEof) {
        if (d.connectOp >= 0) {
            ops.complete(d.connectOp, error, 0);
            d.connectOp = -1;
        }
        while (d.pendingAccepts.size() > 0) {
            ops.complete(d.pendingAccepts.poll(), error, 0);
        }
        while (d.pendingPushes.size() > 0) {
            int s = d.pendingPushes.poll();
            ops.complete(s, error, ops.total[s] - ops.remaining[s]);
        }
        if (popsSeeEof && error == QueueError.CLOSED && d.conn != null) {
            progressPops(d);
        }
        while (d.pendingPops.size() > 0) {
            ops.complete(d.pendingPops.poll(), error, 0);
        }
    }

    /** The host removed a connection silently (migration): its descriptor fails from now on. */
    void detached(TcpConnection c) {
        if (c.attachment() instanceof Socket d) {
            d.removed = true;
            d.closedError = QueueError.DETACHED;
            failPending(d, QueueError.DETACHED, false);
        } else {
            leaveAcceptQueue(c);
        }
    }

    /** A connection established but not accepted yet leaves its listener's queue. */
    private void leaveAcceptQueue(TcpConnection c) {
        Host.Listener l = host.listenerOf(c.localPort());
        if (l != null && l.owner instanceof Socket ld && ld.acceptQueue.remove(c)) {
            l.queued--;
        }
    }

    /** The host's events for this API's connections, routed to their descriptors. */
    final class Events implements ConnectionHandler {
        QueueApi api() {
            return QueueApi.this;
        }

        @Override
        public void onAccepted(TcpConnection conn) {
            Host.Listener l = host.listenerOf(conn.localPort());
            if (l == null || !(l.owner instanceof Socket ld) || ld.kind != Socket.LISTENING) {
                host.abort(conn);
                return;
            }
            ld.acceptQueue.add(conn);
            l.queued++;
            progressAccepts(ld);
        }

        @Override
        public void onConnected(TcpConnection conn) {
            if (conn.attachment() instanceof Socket d) {
                d.established = true;
                if (d.connectOp >= 0) {
                    int s = d.connectOp;
                    d.connectOp = -1;
                    ops.complete(s, QueueError.OK, 0);
                }
            }
        }

        @Override
        public void onData(TcpConnection conn) {
            if (conn.attachment() instanceof Socket d) {
                progressPops(d);
            }
        }

        @Override
        public void onWritable(TcpConnection conn) {
            if (conn.attachment() instanceof Socket d) {
                progressPushes(d);
            }
        }

        @Override
        public void onClosed(TcpConnection conn, boolean reset) {
            if (conn.attachment() instanceof Socket d) {
                d.removed = true;
                d.closedError = reset ? (d.established ? QueueError.CONNECTION_RESET : QueueError.CONNECTION_REFUSED)
                        : (d.established ? QueueError.CLOSED : QueueError.TIMED_OUT);
                d.reset = reset;
                failPending(d, d.closedError, true);
            } else {
                leaveAcceptQueue(conn);
            }
        }
    }

    /** One descriptor: an unbound or bound socket, a listener or a connection. */
    static final class Socket {
        static final int UNBOUND = 0;
        static final int LISTENING = 1;
        static final int CONNECTED = 2;

        final int qd;
        int kind = UNBOUND;
        int localPort;
        Host.Listener listener;
        ArrayDeque<TcpConnection> acceptQueue;
        TcpConnection conn;
        int connectOp = -1;
        final IntQueue pendingAccepts = new IntQueue();
        final IntQueue pendingPushes = new IntQueue();
        final IntQueue pendingPops = new IntQueue();
        UnsafeBuffer popBuffer;
        int closedError;
        boolean reset;
        boolean established;
        /** The connection left the host's table (closed or detached). */
        boolean removed;

        Socket(int qd) {
            this.qd = qd;
        }
    }

    /** A small FIFO of ints (operation slots), bounded by {@link #MAX_PENDING}. */
    static final class IntQueue {
        private final int[] items = new int[MAX_PENDING];
        private int head;
        private int size;

        int size() {
            return size;
        }

        void add(int v) {
            items[(head + size++) % items.length] = v;
        }

        int peek() {
            return items[head];
        }

        int poll() {
            int v = items[head];
            head = (head + 1) % items.length;
            size--;
            return v;
        }
    }
}
