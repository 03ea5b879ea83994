package io.capybara.rack;

import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.mig.MigratableApp;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The HTTP server ({@link HttpServerApp}, which finds each connection's session through
 * {@link TcpConnection#attachment()}) as the migration engine's application: the HTTP session
 * (parser position, queued responses, how much of the current body went out) travels in
 * CONN_STATE next to the TCP snapshot, so a keep-alive client sees one continuous byte stream.
 * The one HTTP adapter of the racks: the lab's real-time rack and the simulated ones.
 */
public final class MigratableHttpServer implements MigratableApp {
    private final HttpServerApp http;
    private long snapshots;
    private long restores;
    private long restoreFailures;

    public MigratableHttpServer(HttpServerApp http) {
        this.http = http;
    }

    public MigratableHttpServer(Host host, HttpServerConfig config) {
        this(new HttpServerApp(host, config));
    }

    public HttpServerApp http() {
        return http;
    }

    @Override
    public ConnectionHandler handler() {
        return http;
    }

    @Override
    public int snapshotSize(TcpConnection conn) {
        if (!http.movable(conn)) {
            return -1; // a TLS handshake in progress
        }
        return Math.max(0, http.sessionSnapshotSize(conn));
    }

    @Override
    public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        if (http.sessionSnapshotSize(conn) < 0) {
            return 0; // accepted but never served (no session yet): restore() starts a fresh one
        }
        int n = http.snapshotSession(conn, dst, offset);
        http.forget(conn);
        snapshots++;
        return n;
    }

    @Override
    public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
        if (length == 0) {
            http.onAccepted(conn); // the origin had no session yet: start one here
            restores++;
            return true;
        }
        try {
            http.restoreSession(conn, src, offset, length);
            restores++;
            return true;
        } catch (SnapshotException | RuntimeException e) {
            restoreFailures++;
            return false;
        }
    }

    @Override
    public void resume(TcpConnection conn) {
        http.resume(conn);
    }

    /** Sessions that left with their connections. */
    public long snapshots() {
        return snapshots;
    }

    /** Sessions restored with their connections (or started afresh for one that had none yet). */
    public long restores() {
        return restores;
    }

    /** Application states that did not restore (the connection was then refused). */
    public long restoreFailures() {
        return restoreFailures;
    }
}
