package io.capybara.tcp;

/**
 * Per-connection tunables. Immutable; build with {@link #defaults()} and the withers.
 * Times are nanoseconds.
 */
public record TcpConfig(
        int mss,
        int sendBufferBytes,
        int receiveBufferBytes,
        int windowScale,
        boolean sackPermitted,
        boolean timestamps,
        boolean nagle,
        long delayedAckNanos,
        long initialRtoNanos,
        long minRtoNanos,
        long maxRtoNanos,
        int maxRetransmissions,
        long timeWaitNanos,
        int maxOutOfOrderSegments) {

    /**
     * SACK-permitted is off by default: this stack sends no SACK blocks, and a Linux sender
     * that negotiated SACK counts only SACKed segments toward fast retransmit, so with it on
     * every loss from a kernel sender waited for an RTO (kernel-to-Java at 1% loss: 0.7 MB/s
     * with, 3.7 MB/s without; io.capybara.interop.BulkTransferTest).
     */
    public static TcpConfig defaults() {
        return new TcpConfig(1460, 256 * 1024, 256 * 1024, 7, false, true, false,
                40_000_000L, 1_000_000_000L, 200_000_000L, 60_000_000_000L, 12,
                60_000_000_000L, 64);
    }

    public TcpConfig withMss(int v) {
        return new TcpConfig(v, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments);
    }

    public TcpConfig withBuffers(int sendBytes, int receiveBytes) {
        return new TcpConfig(mss, sendBytes, receiveBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments);
    }

    public TcpConfig withNagle(boolean v) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                v, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments);
    }

    public TcpConfig withTimeWait(long nanos) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                nanos, maxOutOfOrderSegments);
    }
}
