package io.capybara.app;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
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
 * <p>For migration, the per-connection application state moves with the connection:
 * {@link #snapshotSession} on the origin, {@link #restoreSession} on the target, before the
 * restored connection is attached with this app as its handler.
 */
public final class HttpServerApp implements ConnectionHandler {
    /** Largest chunk moved between a connection and a session per call. */
    static final int SCRATCH_BYTES = 64 * 1024;

    private final Host host;
    private final HttpServerConfig config;
    /** Connections with a session here; each finds its session through its attachment. */
    private int sessions;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH_BYTES]);

    private long accepted;
    private long closed;
    private long resets;
    private long responses;
    private long bytesReceived;
    private long bytesSent;

    /** Per-connection state beyond the session: guards against re-entrant pumping. */
    private static final class Conn {
        HttpServerSession session;
        boolean peerCloseSeen;
        boolean closeRequested;
        boolean pumping;
        boolean pumpAgain;

        Conn(HttpServerSession session) {
            this.session = session;
        }
    }

    public HttpServerApp(Host host, HttpServerConfig config) {
        this.host = host;
        this.config = config;
    }

    @Override
    public void onAccepted(TcpConnection conn) {
        accepted++;
        Conn c = new Conn(new HttpServerSession(config));
        put(conn, c);
        pump(conn, c);
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
        if (remove(conn) != null) {
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
                pumpOnce(conn, c);
            } while (c.pumpAgain);
        } finally {
            c.pumping = false;
        }
    }

    private void pumpOnce(TcpConnection conn, Conn c) {
        HttpServerSession s = c.session;
        long now = host.now();
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
            s.serveAll();
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
                conn.close(now);
                return;
            }
        }
    }

    // ------------------------------------------------------------------ migration

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
        return c.session.snapshot(dst, offset);
    }

    /** Bytes {@link #snapshotSession} would write now, or -1 if {@code conn} has no session. */
    public int sessionSnapshotSize(TcpConnection conn) {
        Conn c = get(conn);
        return c == null ? -1 : c.session.snapshotSize();
    }

    /**
     * Installs the session restored from {@link #snapshotSession} bytes for {@code conn} (a
     * restored connection, attached with this app as handler). Call {@link #resume} once the
     * connection is attached to let queued responses flow.
     */
    public void restoreSession(TcpConnection conn, DirectBuffer src, int offset, int length)
            throws SnapshotException {
        HttpServerSession s = HttpServerSession.restore(config, src, offset, length);
        Conn c = new Conn(s);
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
        remove(conn);
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
        }
        return c;
    }

    // ------------------------------------------------------------------ counters

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
                + " resets=" + resets + " responses=" + responses + " rx=" + bytesReceived + " tx=" + bytesSent + "}";
    }
}
