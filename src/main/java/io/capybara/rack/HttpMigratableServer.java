package io.capybara.rack;

import io.capybara.app.HttpServerConfig;
import io.capybara.app.HttpServerSession;
import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.mig.MigratableApp;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import java.util.IdentityHashMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The HTTP server ({@link HttpServerSession} per connection) as a migratable application: the
 * callback loop of the session's documentation, and its snapshot as the application state of
 * CONN_STATE. Service demand is taken at once ({@link HttpServerSession#serveAll}) and added up
 * in {@link #serviceNanos()} for a caller that wants to spend it. {@link #load()} is the load
 * metric for HTTP: requests queued or in service on this server.
 */
public final class HttpMigratableServer implements MigratableApp, ConnectionHandler {
    private final Host host;
    private final HttpServerConfig config;
    private final Map<TcpConnection, HttpServerSession> sessions = new IdentityHashMap<>();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[16 * 1024]);
    private long serviceNanos;
    private long restored;

    public HttpMigratableServer(Host host, HttpServerConfig config) {
        this.host = host;
        this.config = config;
    }

    /** Requests parsed and not yet fully answered, over all connections here. */
    public long load() {
        long n = 0;
        for (HttpServerSession s : sessions.values()) {
            n += s.pendingRequests();
        }
        return n;
    }

    public long serviceNanos() {
        return serviceNanos;
    }

    public int sessions() {
        return sessions.size();
    }

    public long restoredSessions() {
        return restored;
    }

    @Override
    public ConnectionHandler handler() {
        return this;
    }

    @Override
    public void onAccepted(TcpConnection conn) {
        sessions.put(conn, new HttpServerSession(config));
        serve(conn);
    }

    @Override
    public void onData(TcpConnection conn) {
        serve(conn);
    }

    @Override
    public void onWritable(TcpConnection conn) {
        serve(conn);
    }

    @Override
    public void onClosed(TcpConnection conn, boolean reset) {
        sessions.remove(conn);
    }

    private void serve(TcpConnection c) {
        HttpServerSession s = sessions.get(c);
        if (s == null) {
            return;
        }
        long now = host.now();
        boolean moved = true;
        while (moved) {
            moved = false;
            int want = Math.min(Math.min(c.readableBytes(), s.receiveWindow()), scratch.capacity());
            if (want > 0) {
                int n = c.receive(scratch, 0, want, now);
                s.onReceive(scratch, 0, n);
                moved = n > 0;
            }
            if (c.isPeerClosed() && c.readableBytes() == 0) {
                s.onPeerClosed();
            }
            serviceNanos += s.serveAll();
            int room = Math.min(c.writableBytes(), scratch.capacity());
            if (room > 0 && s.hasOutput()) {
                int m = s.produce(scratch, 0, room);
                if (m > 0) {
                    c.send(scratch, 0, m, now);
                    moved = true;
                }
            }
            if (s.isFinished()) {
                c.close(now);
                return;
            }
        }
    }

    @Override
    public int snapshotSize(TcpConnection conn) {
        HttpServerSession s = sessions.get(conn);
        return s == null ? 0 : s.snapshotSize();
    }

    @Override
    public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        HttpServerSession s = sessions.remove(conn);
        return s == null ? 0 : s.snapshot(dst, offset);
    }

    @Override
    public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
        if (length == 0) {
            return true; // the application had let go of it already
        }
        try {
            sessions.put(conn, HttpServerSession.restore(config, src, offset, length));
            restored++;
            return true;
        } catch (SnapshotException e) {
            return false;
        }
    }

    @Override
    public void resume(TcpConnection conn) {
        serve(conn);
    }
}
