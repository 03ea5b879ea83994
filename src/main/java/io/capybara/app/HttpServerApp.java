package io.capybara.app;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.tls.TlsServerContext;
import io.capybara.tls.TlsServerSession;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The HTTP server on a {@link Host}: one {@link HttpServerSession} per connection, driven from
 * the host's callbacks. Received bytes go from the connection into the session through one
 * reusable scratch buffer; response bytes come out of the session into the connection as far
 * as its send buffer allows, the rest when {@link #onWritable} says there is room again.
 *
 * <p>Service time is not spent here: requests are served as soon as they are parsed (a server
 * loop that models service demand takes it before calling in). Allocation happens once per
 * connection (the session), never per request or segment.
 *
 * <p>Limits: a request head must arrive within {@link HttpServerConfig#headerTimeoutNanos()}
 * (408, then close; checked in {@link #poll}, with the time the loop passes in), and at most
 * {@link HttpServerConfig#maxConnections()} connections are served at once (beyond, reset and
 * counted). The head clocks wait in one FIFO: the timeout is the same for all, so the FIFO is
 * in deadline order and a poll looks at its front only.
 *
 * <p>For migration, the per-connection application state moves with the connection:
 * {@link #snapshotSession} on the origin, {@link #restoreSession} on the target, before the
 * restored connection is attached with this app as its handler.
 *
 * <p>With a {@link TlsServerContext} it is the HTTPS server: a {@link TlsServerSession} sits
 * between each connection and its HTTP session (records in, plaintext to the session; the
 * session's responses sealed in place, one record per send), and the TLS state travels in the
 * snapshot before the HTTP state. A connection still in its TLS handshake cannot move
 * ({@link #movable}).
 */
public final class HttpServerApp implements ConnectionHandler {
    /** Largest chunk moved between a connection and a session per call. */
    static final int SCRATCH_BYTES = 64 * 1024;

    /** The loop's time, for the connection calls made here (the host's last poll, by default). */
    private final LongSupplier clock;
    private final HttpServerConfig config;
    private final TlsServerContext tls;
    /** When parsed requests are served: null = at once. */
    private ServingHook serving;
    /** Connections with a session here; each finds its session through its attachment. */
    private int sessions;
    /** Sessions whose connection this app is closing (they no longer count against the limit). */
    private int closing;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH_BYTES]);

    private long accepted;
    private long closed;
    private long resets;
    private long responses;
    private long bytesReceived;
    private long bytesSent;
    private long headerTimeouts;
    private long refusedAtLimit;

    // head clocks: connections and their deadlines, in deadline order (a ring)
    private TcpConnection[] clockConn = new TcpConnection[64];
    private long[] clockAt = new long[64];
    private int clockHead;
    private int clockCount;
    private static final byte[] TIMEOUT_RESPONSE = Ascii.bytes(
            "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    private final UnsafeBuffer timeoutResponse = new UnsafeBuffer(TIMEOUT_RESPONSE);

    // TLS handshake pacing (see handshakesPerPoll): ClientHellos left for this poll pass, and
    // the connections whose ClientHello waits, in arrival order
    private int handshakesPerPoll;
    private int handshakeBudget = Integer.MAX_VALUE;
    private final ArrayDeque<TcpConnection> helloQueue = new ArrayDeque<>();
    private long handshakesDeferred;

    /** Per-connection state beyond the session: guards against re-entrant pumping. */
    private static final class Conn {
        HttpServerSession session;
        TlsServerSession tls;
        boolean peerCloseSeen;
        boolean closeRequested;
        boolean pumping;
        boolean pumpAgain;
        /** When the head now awaited must have arrived; 0 = no head awaited. */
        long headDeadline;
        /** In the queue of ClientHellos held back for a later poll pass. */
        boolean helloQueued;
        /** Requests told to the serving hook and not yet served. */
        int announced;

        Conn(HttpServerSession session) {
            this.session = session;
        }
    }

    public HttpServerApp(Host host, HttpServerConfig config) {
        this(host, config, null);
    }

    /** @param tls the TLS server's context (HTTPS), or null for plain HTTP */
    public HttpServerApp(Host host, HttpServerConfig config, TlsServerContext tls) {
        this(config, tls, host::now);
    }

    /**
     * @param tls   the TLS server's context (HTTPS), or null for plain HTTP
     * @param clock the time to pass to connection calls made from callbacks and
     *              {@link #serveNext}/{@link #resume}: a loop that does not poll its host on
     *              every turn (the demo's busy core) gives its own
     */
    public HttpServerApp(HttpServerConfig config, TlsServerContext tls, LongSupplier clock) {
        this.clock = clock;
        this.config = config;
        this.tls = tls;
    }

    /**
     * HTTPS: runs at most {@code n} TLS ClientHellos per {@link #poll} pass (0, the default: no
     * limit); the others wait in arrival order for the next passes, their bytes in TCP's receive
     * buffer. A ClientHello costs the server a key exchange and a signature, milliseconds of CPU
     * each on a loaded or cold JVM, and the loop has one thread: a burst of new connections (wrk
     * opening 128 at once) otherwise holds it for seconds, while the requests of established
     * connections, heartbeats and migrations wait behind it (wrk then counts responses later
     * than 2 s as timeouts, the switch marks the server stale). Only for a loop that calls
     * {@link #poll} on every pass and sleeps no longer than {@link #nextDeadline}.
     */
    public HttpServerApp handshakesPerPoll(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("handshakesPerPoll must be >= 0, got " + n);
        }
        handshakesPerPoll = n;
        handshakeBudget = n == 0 ? Integer.MAX_VALUE : n;
        return this;
    }

    /** ClientHellos held back for a later poll pass (see {@link #handshakesPerPoll}). */
    public long handshakesDeferred() {
        return handshakesDeferred;
    }

    /**
     * Decides when parsed requests are served (their responses made). Without one, requests are
     * served as soon as they are parsed. A server loop that models service time holds them
     * instead: the hook hears of each request that waits, and the loop serves it later with
     * {@link #serveNext} and sends the response with {@link #resume}.
     */
    public interface ServingHook {
        /** {@code n} more requests of {@code conn} were parsed (or restored) and wait to be served. */
        void waiting(TcpConnection conn, int n);
    }

    /** Holds parsed requests for {@code hook} to serve (set before the first connection). */
    public HttpServerApp serving(ServingHook hook) {
        this.serving = hook;
        return this;
    }

    /**
     * With a {@link ServingHook}: serves {@code conn}'s oldest waiting request; its response
     * becomes producible and goes out at the next pump ({@link #resume}).
     *
     * @return its service demand in nanoseconds, or -1 if {@code conn} has no session here or
     *         no request waits
     */
    public long serveNext(TcpConnection conn) {
        Conn c = get(conn);
        if (c == null) {
            return -1;
        }
        long demand = c.session.serveNext();
        if (demand >= 0) {
            c.announced--;
        }
        return demand;
    }

    /** Serves what waits now, or, with a serving hook, tells it of the requests parsed since. */
    private void serve(TcpConnection conn, Conn c) {
        if (serving == null) {
            c.session.serveAll();
            return;
        }
        int fresh = c.session.unservedRequests() - c.announced;
        if (fresh > 0) {
            c.announced += fresh;
            serving.waiting(conn, fresh);
        }
    }

    /** The TLS context when this is the HTTPS server, else null. */
    public TlsServerContext tlsContext() {
        return tls;
    }

    @Override
    public void onAccepted(TcpConnection conn) {
        if (config.maxConnections() > 0 && sessions - closing >= config.maxConnections()) {
            refusedAtLimit++; // a reset costs nothing more here, nor a TIME_WAIT
            conn.abort(clock.getAsLong());
            return;
        }
        accepted++;
        Conn c = new Conn(new HttpServerSession(config));
        if (tls != null) {
            c.tls = TlsServerSession.accept(tls);
        }
        put(conn, c);
        armHeadClock(conn, c, clock.getAsLong()); // the first request's head: from the connection's start
        pump(conn, c);
    }

    private void armHeadClock(TcpConnection conn, Conn c, long now) {
        if (config.headerTimeoutNanos() == 0 || c.headDeadline != 0) {
            return;
        }
        c.headDeadline = now + config.headerTimeoutNanos();
        if (clockCount == clockConn.length) {
            TcpConnection[] conns = new TcpConnection[clockCount * 2];
            long[] at = new long[clockCount * 2];
            for (int i = 0; i < clockCount; i++) {
                conns[i] = clockConn[(clockHead + i) % clockCount];
                at[i] = clockAt[(clockHead + i) % clockCount];
            }
            clockConn = conns;
            clockAt = at;
            clockHead = 0;
        }
        int slot = (clockHead + clockCount++) % clockConn.length;
        clockConn[slot] = conn;
        clockAt[slot] = c.headDeadline;
    }

    /**
     * Answers 408 and closes the connections whose request head is late. The time is the
     * loop's; call it from the server's loop (e.g. after the host's poll).
     *
     * @return connections timed out
     */
    public int poll(long nowNanos) {
        int work = 0;
        if (handshakesPerPoll > 0) {
            handshakeBudget = handshakesPerPoll;
            while (handshakeBudget > 0 && !helloQueue.isEmpty()) {
                TcpConnection conn = helloQueue.pollFirst();
                Conn c = get(conn);
                if (c != null && c.helloQueued) { // (else it closed meanwhile)
                    c.helloQueued = false;
                    pump(conn, c);
                    work++;
                }
            }
        }
        while (clockCount > 0 && clockAt[clockHead] <= nowNanos) {
            TcpConnection conn = clockConn[clockHead];
            long at = clockAt[clockHead];
            clockConn[clockHead] = null;
            clockHead = (clockHead + 1) % clockConn.length;
            clockCount--;
            Conn c = get(conn);
            if (c == null || c.headDeadline != at) {
                continue; // the head arrived, or the connection is gone: a stale clock
            }
            c.headDeadline = 0;
            if (c.closeRequested || c.session.hasOutput()) {
                continue; // the client is being answered: its next head is not late yet
            }
            headerTimeouts++;
            c.closeRequested = true;
            closing++;
            if (c.tls == null) {
                conn.send(timeoutResponse, 0, TIMEOUT_RESPONSE.length, nowNanos);
            } else if (c.tls.isEstablished() && !c.tls.isClosing()) {
                c.tls.send(timeoutResponse, 0, TIMEOUT_RESPONSE.length); // sealed, then close_notify
                c.tls.close();
                int m = Math.min(c.tls.pendingOutput(), conn.writableBytes());
                c.tls.outputSent(conn.send(c.tls.outputBuffer(), c.tls.outputOffset(), m, nowNanos));
            } else {
                c.tls.close(); // a handshake that does not finish in time: just close
            }
            conn.close(nowNanos);
            work++;
        }
        return work;
    }

    /** When {@link #poll} has something to do next (a head clock), or Long.MAX_VALUE. */
    public long nextDeadline() {
        if (!helloQueue.isEmpty()) {
            return Long.MIN_VALUE; // ClientHellos wait for the next pass: now
        }
        return clockCount == 0 ? Long.MAX_VALUE : clockAt[clockHead];
    }

    @Override
    public void onData(TcpConnection conn) {
        Conn c = get(conn);
        if (c != null) {
            pump(conn, c);
        }
    }

    @Override
    public void onWritable(TcpConnection conn) {
        Conn c = get(conn);
        if (c != null) {
            pump(conn, c);
        }
    }

    @Override
    public void onClosed(TcpConnection conn, boolean reset) {
        Conn c = remove(conn);
        if (c != null) {
            if (c.tls != null) {
                c.tls.release();
            }
            closed++;
            if (reset) {
                resets++;
            }
        }
    }

    /**
     * Moves bytes until nothing more can move: read what the session can take, serve, write what
     * the connection can take, close when the session is finished. Callbacks raised by our own
     * send/receive/close calls only ask for another round.
     */
    private void pump(TcpConnection conn, Conn c) {
        if (c.pumping) {
            c.pumpAgain = true;
            return;
        }
        c.pumping = true;
        try {
            do {
                c.pumpAgain = false;
                if (c.tls != null) {
                    pumpTls(conn, c);
                } else {
                    pumpOnce(conn, c);
                }
            } while (c.pumpAgain);
        } finally {
            c.pumping = false;
        }
    }

    private void pumpOnce(TcpConnection conn, Conn c) {
        HttpServerSession s = c.session;
        long now = clock.getAsLong();
        boolean progress = true;
        while (progress) {
            progress = false;
            int want;
            while ((want = Math.min(Math.min(conn.readableBytes(), s.receiveWindow()), SCRATCH_BYTES)) > 0) {
                int n = conn.receive(scratch, 0, want, now);
                if (n <= 0) {
                    break;
                }
                s.onReceive(scratch, 0, n);
                bytesReceived += n;
                progress = true;
            }
            if (!c.peerCloseSeen && conn.isPeerClosed() && conn.readableBytes() == 0) {
                c.peerCloseSeen = true;
                s.onPeerClosed();
                progress = true;
            }
            serve(conn, c);
            while (s.hasOutput() && !c.closeRequested) {
                int room = Math.min(conn.writableBytes(), SCRATCH_BYTES);
                if (room <= 0) {
                    break;
                }
                long before = s.responses();
                int m = s.produce(scratch, 0, room);
                responses += s.responses() - before;
                if (m == 0) {
                    break;
                }
                int sent = conn.send(scratch, 0, m, now);
                bytesSent += sent;
                progress = true;
            }
            if (s.isFinished() && !c.closeRequested) {
                c.closeRequested = true;
                closing++;
                conn.close(now);
                return;
            }
        }
        // a head under way is on the clock; once it is complete (or none has begun) it is not
        if (s.parser().headInProgress()) {
            armHeadClock(conn, c, now);
        } else if (s.parser().requests() > 0) { // (before the first request: the clock since accept runs)
            c.headDeadline = 0;
        }
    }

    /**
     * {@link #pumpOnce} with TLS in between: records from the connection into the TLS session,
     * its plaintext into the HTTP session; the TLS session's own records (handshake, alerts,
     * KeyUpdate) out first, then responses sealed in place, each record as large as the send
     * buffer has room for. The connection closes once the TLS session is finished (close_notify
     * or a fatal alert sent).
     */
    private void pumpTls(TcpConnection conn, Conn c) {
        HttpServerSession s = c.session;
        TlsServerSession t = c.tls;
        if (handshakesPerPoll > 0 && t.awaitsClientHello() && conn.readableBytes() > 0) {
            if (handshakeBudget <= 0) {
                if (!c.helloQueued) {
                    c.helloQueued = true;
                    helloQueue.addLast(conn);
                    handshakesDeferred++;
                }
                return; // a later poll pass runs it (handshakesPerPoll)
            }
            handshakeBudget--;
        }
        long now = clock.getAsLong();
        boolean progress = true;
        while (progress) {
            progress = false;
            while (true) {
                int p;
                while ((p = Math.min(t.plaintextLength(), s.receiveWindow())) > 0) {
                    int n = s.onReceive(t.plaintextBuffer(), t.plaintextOffset(), p);
                    t.consumePlaintext(n);
                    bytesReceived += n;
                    progress = true;
                }
                if (t.plaintextLength() > 0) {
                    break; // the HTTP session is full: TCP flow control pushes back
                }
                int want = Math.min(conn.readableBytes(), t.inputRoom());
                if (want <= 0) {
                    break;
                }
                int n = conn.receive(t.inputBuffer(), t.inputOffset(), want, now);
                if (n <= 0) {
                    break;
                }
                t.inputWritten(n);
                progress = true;
            }
            if (!c.peerCloseSeen && t.plaintextLength() == 0
                    && (t.isPeerClosed() || conn.isPeerClosed() && conn.readableBytes() == 0)) {
                c.peerCloseSeen = true;
                s.onPeerClosed();
                progress = true;
            }
            serve(conn, c);
            int pending = t.pendingOutput();
            if (pending > 0) {
                int m = Math.min(pending, conn.writableBytes());
                if (m > 0) {
                    int sent = conn.send(t.outputBuffer(), t.outputOffset(), m, now);
                    t.outputSent(sent);
                    bytesSent += sent;
                    progress |= sent > 0;
                }
            }
            while (s.hasOutput() && !c.closeRequested) {
                int room = t.maxPlaintext(conn.writableBytes());
                if (room <= 0) {
                    progress |= t.pendingOutput() > 0 && conn.writableBytes() > 0; // a KeyUpdate to send first
                    break;
                }
                long before = s.responses();
                int m = s.produce(t.sealBuffer(), TlsServerSession.SEAL_OFFSET, room);
                responses += s.responses() - before;
                if (m == 0) {
                    break;
                }
                int r = t.seal(m);
                bytesSent += conn.send(t.sealBuffer(), 0, r, now);
                progress = true;
            }
            if (s.isFinished() && t.isEstablished() && !t.isClosing()) {
                t.close(); // close_notify, then FIN once it is out
                progress = true;
            }
            if (t.isFinished() && !c.closeRequested) {
                c.closeRequested = true;
                closing++;
                conn.close(now);
                return;
            }
        }
        if (s.parser().headInProgress() || t.isHandshaking()) {
            armHeadClock(conn, c, now);
        } else if (s.parser().requests() > 0) {
            c.headDeadline = 0;
        }
    }

    // ------------------------------------------------------------------ migration

    /** Whether {@code conn}'s application state can move now: not during a TLS handshake. */
    public boolean movable(TcpConnection conn) {
        Conn c = get(conn);
        return c == null || c.tls == null || !c.tls.isHandshaking();
    }

    /**
     * Writes the application state of {@code conn} (its {@link HttpServerSession}) at
     * {@code dst[offset]}.
     *
     * @return bytes written
     * @throws IllegalArgumentException if {@code conn} has no session here
     */
    public int snapshotSession(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        Conn c = get(conn);
        if (c == null) {
            throw new IllegalArgumentException("no HTTP session for " + conn);
        }
        if (c.tls == null) {
            return c.session.snapshot(dst, offset);
        }
        // HTTPS: int length of the TLS state, the TLS state, the HTTP state
        int t = c.tls.snapshot(dst, offset + 4);
        dst.putInt(offset, t, ByteOrder.BIG_ENDIAN);
        return 4 + t + c.session.snapshot(dst, offset + 4 + t);
    }

    /** Bytes {@link #snapshotSession} would write now, or -1 if {@code conn} has no session. */
    public int sessionSnapshotSize(TcpConnection conn) {
        Conn c = get(conn);
        if (c == null) {
            return -1;
        }
        return c.tls == null ? c.session.snapshotSize() : 4 + c.tls.snapshotSize() + c.session.snapshotSize();
    }

    /**
     * Installs the session restored from {@link #snapshotSession} bytes for {@code conn} (a
     * restored connection, attached with this app as handler). Call {@link #resume} once the
     * connection is attached to let queued responses flow.
     */
    public void restoreSession(TcpConnection conn, DirectBuffer src, int offset, int length)
            throws SnapshotException {
        TlsServerSession t = null;
        if (tls != null) {
            int tl = length < 4 ? -1 : src.getInt(offset, ByteOrder.BIG_ENDIAN);
            if (tl < 0 || tl > length - 4) {
                throw new SnapshotException("HTTPS session snapshot: bad TLS state length " + tl);
            }
            t = TlsServerSession.restore(tls, src, offset + 4, tl);
            offset += 4 + tl;
            length -= 4 + tl;
        }
        HttpServerSession s;
        try {
            s = HttpServerSession.restore(config, src, offset, length);
        } catch (SnapshotException e) {
            if (t != null) {
                t.release();
            }
            throw e;
        }
        Conn c = new Conn(s);
        c.tls = t;
        if (t != null) {
            t.resume();
        }
        if (serving != null && s.unservedRequests() > 0) {
            c.announced = s.unservedRequests(); // they wait here now, in the order they arrived
            serving.waiting(conn, c.announced);
        }
        // the TCP state says whether FIN was already requested; the session carries peer-closed
        TcpState st = conn.state();
        c.closeRequested = st == TcpState.FIN_WAIT_1 || st == TcpState.FIN_WAIT_2 || st == TcpState.CLOSING
                || st == TcpState.LAST_ACK || st == TcpState.TIME_WAIT;
        put(conn, c);
    }

    /** Runs one pump for {@code conn} (after a restore: sends what the session had ready). */
    public void resume(TcpConnection conn) {
        Conn c = get(conn);
        if (c != null) {
            pump(conn, c);
        }
    }

    /** Forgets {@code conn}'s session without closing anything (after it migrated away). */
    public void forget(TcpConnection conn) {
        Conn c = remove(conn);
        if (c != null && c.tls != null) {
            c.tls.release(); // its ciphers and buffers serve the next restore here
        }
    }

    // The session hangs on the connection (TcpConnection.attach): found without a lookup on
    // every data event. A snapshot does not carry it; the target attaches the restored one.

    private static Conn get(TcpConnection conn) {
        return conn.attachment() instanceof Conn c ? c : null;
    }

    /** Gives {@code conn} the session {@code c} (replacing one it had). */
    private void put(TcpConnection conn, Conn c) {
        if (get(conn) == null) {
            sessions++;
        }
        conn.attach(c);
    }

    private Conn remove(TcpConnection conn) {
        Conn c = get(conn);
        if (c != null) {
            conn.attach(null);
            sessions--;
            if (c.closeRequested) {
                closing--;
            }
        }
        return c;
    }

    // ------------------------------------------------------------------ counters

    /** Connections closed with 408 because a request head did not arrive in time. */
    public long headerTimeouts() {
        return headerTimeouts;
    }

    /** Connections reset on arrival because {@link HttpServerConfig#maxConnections()} were open. */
    public long refusedAtLimit() {
        return refusedAtLimit;
    }

    /** Connections with a live session. */
    public int sessions() {
        return sessions;
    }

    public long accepted() {
        return accepted;
    }

    public long closed() {
        return closed;
    }

    public long resets() {
        return resets;
    }

    public long responses() {
        return responses;
    }

    public long bytesReceived() {
        return bytesReceived;
    }

    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public String toString() {
        return "HttpServerApp{accepted=" + accepted + " sessions=" + sessions + " closed=" + closed
                + " resets=" + resets + " responses=" + responses + " rx=" + bytesReceived + " tx=" + bytesSent
                + " headerTimeouts=" + headerTimeouts + " refusedAtLimit=" + refusedAtLimit + "}";
    }
}
