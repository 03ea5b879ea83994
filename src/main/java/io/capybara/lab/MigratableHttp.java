package io.capybara.lab;

import io.capybara.app.HttpServerApp;
import io.capybara.host.ConnectionHandler;
import io.capybara.mig.MigratableApp;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link HttpServerApp} as the migration engine's application: the HTTP session (parser
 * position, queued responses, how much of the current body went out) travels in CONN_STATE
 * next to the TCP snapshot, so a keep-alive client sees one continuous byte stream.
 */
public final class MigratableHttp implements MigratableApp {
    private final HttpServerApp http;
    private long snapshots;
    private long restores;
    private long restoreFailures;

    public MigratableHttp(HttpServerApp http) {
        this.http = http;
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

    long snapshots() {
        return snapshots;
    }

    long restores() {
        return restores;
    }

    public long restoreFailures() {
        return restoreFailures;
    }
}
