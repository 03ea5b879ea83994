package io.capybara.host;

import io.capybara.tcp.TcpConnection;

/**
 * The callback form of the host API, for applications that own their loop (HTTP server,
 * migration layer). All calls come synchronously from inside {@link Host#poll} (or from a host
 * method the application called). Read with {@code conn.receive}, write with {@code conn.send},
 * passing {@link Host#now()}.
 */
public interface ConnectionHandler {
    /** A passive connection completed its handshake. */
    default void onAccepted(TcpConnection conn) {
    }

    /** An active connection ({@link Host#connect(int, int, ConnectionHandler)}) completed its handshake. */
    default void onConnected(TcpConnection conn) {
    }

    /** New bytes are readable, or the peer closed (then {@code conn.isPeerClosed()}). */
    default void onData(TcpConnection conn) {
    }

    /** Send-buffer space was freed. */
    default void onWritable(TcpConnection conn) {
    }

    /**
     * The connection is gone from the host; {@code reset} when a RST (or abort) ended it. Read
     * what is left in it here if it matters: at its next poll the host gives the connection's
     * buffers to its pool, and the connection is empty from then on.
     */
    default void onClosed(TcpConnection conn, boolean reset) {
    }
}
