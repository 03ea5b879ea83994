package io.capybara.tcp;

/**
 * What a connection tells its owner (the host, and through it the application). All methods
 * are called synchronously from inside the connection's methods. Defaults do nothing.
 */
public interface ConnectionObserver {
    ConnectionObserver NONE = new ConnectionObserver() {
    };

    /** The handshake completed (SYN_SENT/SYN_RECEIVED -> ESTABLISHED). */
    default void onEstablished(TcpConnection connection) {
    }

    /** New in-order bytes are readable, or the peer's FIN arrived (read returns 0 then). */
    default void onReadable(TcpConnection connection) {
    }

    /** Send-buffer space was freed by an ACK. */
    default void onWritable(TcpConnection connection) {
    }

    /** The connection reached CLOSED; {@code reset} is true when a RST ended it. */
    default void onClosed(TcpConnection connection, boolean reset) {
    }

    /**
     * {@link TcpConnection#nextDeadline()} changed during the call that is ending (reported
     * once per call, after the other events), so that a host keeps its timers without asking
     * every connection on every poll.
     */
    default void onDeadlineChanged(TcpConnection connection) {
    }

    /**
     * {@link TcpConnection#queuedBytes()} changed during the call that is ending (reported once
     * per call, after the deadline), so that a host keeps its load without scanning connections.
     */
    default void onQueuedChanged(TcpConnection connection) {
    }
}
