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
        int maxOutOfOrderSegments,
        long finWait2Nanos) {

    /** Linux's tcp_fin_timeout default: how long FIN_WAIT_2 waits for a silent peer's FIN. */
    public static final long DEFAULT_FIN_WAIT_2_NANOS = 60_000_000_000L;

    /**
     * The configuration before the FIN_WAIT_2 limit existed, with its behaviour: no limit
     * (FIN_WAIT_2 waits forever). A limit cuts off a half-closed peer that stays silent longer,
     * e.g. one deep in retransmission backoff under heavy loss, so callers opt in; {@link
     * #defaults()} does (60 s, as Linux).
     */
    public TcpConfig(int mss, int sendBufferBytes, int receiveBufferBytes, int windowScale, boolean sackPermitted,
                     boolean timestamps, boolean nagle, long delayedAckNanos, long initialRtoNanos, long minRtoNanos,
                     long maxRtoNanos, int maxRetransmissions, long timeWaitNanos, int maxOutOfOrderSegments) {
        this(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps, nagle, delayedAckNanos,
                initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions, timeWaitNanos, maxOutOfOrderSegments,
                0);
    }

    /**
     * SACK-permitted is on by default: the connection sends SACK blocks for the out-of-order
     * data it holds (RFC 2018), which a Linux sender that negotiated SACK needs for fast
     * retransmit (it counts SACKed segments, not duplicate ACKs; without blocks every loss
     * waited for an RTO). Incoming SACK blocks are not used: our own sender stays NewReno.
     */
    public static TcpConfig defaults() {
        return new TcpConfig(1460, 256 * 1024, 256 * 1024, 7, true, true, false,
                40_000_000L, 1_000_000_000L, 200_000_000L, 60_000_000_000L, 12,
                60_000_000_000L, 64, DEFAULT_FIN_WAIT_2_NANOS);
    }

    public TcpConfig withMss(int v) {
        return new TcpConfig(v, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos);
    }

    public TcpConfig withBuffers(int sendBytes, int receiveBytes) {
        return new TcpConfig(mss, sendBytes, receiveBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos);
    }

    public TcpConfig withNagle(boolean v) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                v, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos);
    }

    public TcpConfig withTimeWait(long nanos) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                nanos, maxOutOfOrderSegments, finWait2Nanos);
    }

    /**
     * FIN_WAIT_2 limit (Linux: tcp_fin_timeout): our FIN is acknowledged and the peer has said
     * nothing for this long, so its FIN (or the RST of an abort) was lost for good and it is
     * gone; the connection closes instead of waiting forever. Each segment from the peer
     * restarts the wait (a half-closed peer still sending is alive). 0 = wait forever.
     */
    public TcpConfig withFinWait2(long nanos) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, nanos);
    }
}
