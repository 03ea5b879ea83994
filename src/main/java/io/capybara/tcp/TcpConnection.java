package io.capybara.tcp;

import io.capybara.wire.TcpSegment;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * One TCP connection as a pure state machine (RFC 9293). Inputs are segments, application
 * calls and the current time; outputs are segments handed to a {@link SegmentSink} and events
 * for a {@link ConnectionObserver}. It never reads a clock, starts a thread or does I/O.
 *
 * <p>SCAFFOLD: the public API below is fixed for the host layer; bodies are being built
 * (issue 2).
 */
public final class TcpConnection {

    /** Active open: creates the connection in SYN_SENT and emits the SYN. */
    public static TcpConnection connect(TcpConfig config, int localIp, int localPort, int remoteIp,
                                        int remotePort, int iss, long nowNanos, SegmentSink sink) {
        throw new UnsupportedOperationException("issue 2: TCP state machine not built yet");
    }

    /**
     * Passive open: a listener got {@code syn}; creates the connection in SYN_RECEIVED and
     * emits the SYN-ACK. Local address and port are the SYN's destination.
     */
    public static TcpConnection accept(TcpConfig config, TcpSegment syn, int iss, long nowNanos,
                                       SegmentSink sink) {
        throw new UnsupportedOperationException("issue 2: TCP state machine not built yet");
    }

    /** Processes one received segment addressed to this connection. */
    public void onSegment(TcpSegment segment, long nowNanos) {
        throw new UnsupportedOperationException();
    }

    /** Runs every timer due at {@code nowNanos} (retransmission, delayed ACK, persist, TIME_WAIT). */
    public void onTimer(long nowNanos) {
        throw new UnsupportedOperationException();
    }

    /** The earliest armed timer deadline, or {@link Long#MAX_VALUE} if none is armed. */
    public long nextDeadline() {
        throw new UnsupportedOperationException();
    }

    /** Queues up to {@code length} bytes for sending; returns how many were accepted. */
    public int send(DirectBuffer src, int offset, int length, long nowNanos) {
        throw new UnsupportedOperationException();
    }

    /** Reads up to {@code length} in-order bytes; returns how many were read (0 if none). */
    public int receive(MutableDirectBuffer dst, int offset, int length, long nowNanos) {
        throw new UnsupportedOperationException();
    }

    /** Bytes ready for {@link #receive}. */
    public int readableBytes() {
        throw new UnsupportedOperationException();
    }

    /** Free space in the send buffer. */
    public int writableBytes() {
        throw new UnsupportedOperationException();
    }

    /** True once the peer's FIN has been received and all data before it read. */
    public boolean isPeerClosed() {
        throw new UnsupportedOperationException();
    }

    /** Graceful close: a FIN follows the queued data. */
    public void close(long nowNanos) {
        throw new UnsupportedOperationException();
    }

    /** Abortive close: emits a RST and goes to CLOSED. */
    public void abort(long nowNanos) {
        throw new UnsupportedOperationException();
    }

    public TcpState state() {
        throw new UnsupportedOperationException();
    }

    public int localIp() {
        throw new UnsupportedOperationException();
    }

    public int localPort() {
        throw new UnsupportedOperationException();
    }

    public int remoteIp() {
        throw new UnsupportedOperationException();
    }

    public int remotePort() {
        throw new UnsupportedOperationException();
    }

    public void observer(ConnectionObserver observer) {
        throw new UnsupportedOperationException();
    }

    /** Replaces the sink, e.g. after restore on another host. */
    public void sink(SegmentSink sink) {
        throw new UnsupportedOperationException();
    }

    /** Upper bound of the bytes {@link #snapshot} writes now. */
    public int snapshotSize() {
        throw new UnsupportedOperationException();
    }

    /**
     * Serializes the whole connection (state, buffers, estimator, congestion, options, timers as
     * deadlines relative to {@code nowNanos}) into a versioned, checksummed form.
     *
     * @return bytes written
     */
    public int snapshot(MutableDirectBuffer dst, int offset, long nowNanos) {
        throw new UnsupportedOperationException();
    }

    /**
     * Rebuilds a connection from {@link #snapshot} bytes; timers are re-armed relative to
     * {@code nowNanos}. The result continues exactly as the original would have.
     *
     * @throws SnapshotException if the bytes are truncated, corrupt or of another version
     */
    public static TcpConnection restore(DirectBuffer src, int offset, int length, long nowNanos,
                                        SegmentSink sink) throws SnapshotException {
        throw new UnsupportedOperationException();
    }
}
