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
        long finWait2Nanos,
        Congestion congestion) {

    /** The congestion controller of a connection (RFC 9438 CUBIC by default, as Linux). */
    public enum Congestion {
        /**
         * RFC 9438, growing as Linux's CUBIC does in the first millisecond of an epoch: one
         * segment per c0 acknowledged, c0 the window the epoch began with, so at least one per
         * round trip (see {@link Cubic}), which at datacenter round trips is most of every epoch.
         */
        CUBIC,
        /** RFC 5681 slow start and congestion avoidance (with RFC 6582 recovery without SACK). */
        NEW_RENO,
        /** RFC 9438's increase at every round trip, without Linux's first-millisecond growth. */
        CUBIC_RFC;

        /** The name as commands and JSON spell it: lower case, words joined by '-' ("cubic-rfc"). */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public TcpConfig {
        if (congestion == null) {
            throw new IllegalArgumentException("congestion must not be null");
        }
    }

    /** The configuration without a choice of congestion controller: CUBIC, the default. */
    public TcpConfig(int mss, int sendBufferBytes, int receiveBufferBytes, int windowScale, boolean sackPermitted,
                     boolean timestamps, boolean nagle, long delayedAckNanos, long initialRtoNanos, long minRtoNanos,
                     long maxRtoNanos, int maxRetransmissions, long timeWaitNanos, int maxOutOfOrderSegments,
                     long finWait2Nanos) {
        this(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps, nagle, delayedAckNanos,
                initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions, timeWaitNanos, maxOutOfOrderSegments,
                finWait2Nanos, Congestion.CUBIC);
    }

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
     * retransmit, and its own sender recovers from loss with the blocks it receives (RFC 6675
     * with RACK-TLP, RFC 8985). CUBIC congestion control (RFC 9438).
     */
    public static TcpConfig defaults() {
        return new TcpConfig(1460, 256 * 1024, 256 * 1024, 7, true, true, false,
                40_000_000L, 1_000_000_000L, 200_000_000L, 60_000_000_000L, 12,
                60_000_000_000L, 64, DEFAULT_FIN_WAIT_2_NANOS, Congestion.CUBIC);
    }

    public TcpConfig withMss(int v) {
        return new TcpConfig(v, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos, congestion);
    }

    public TcpConfig withBuffers(int sendBytes, int receiveBytes) {
        return new TcpConfig(mss, sendBytes, receiveBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos, congestion);
    }

    public TcpConfig withNagle(boolean v) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                v, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos, congestion);
    }

    public TcpConfig withTimeWait(long nanos) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                nanos, maxOutOfOrderSegments, finWait2Nanos, congestion);
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
                timeWaitNanos, maxOutOfOrderSegments, nanos, congestion);
    }

    /** The congestion controller (CUBIC by default). */
    public TcpConfig withCongestion(Congestion v) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, sackPermitted, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos, v);
    }

    /** Whether to offer SACK-permitted (on by default). */
    public TcpConfig withSack(boolean v) {
        return new TcpConfig(mss, sendBufferBytes, receiveBufferBytes, windowScale, v, timestamps,
                nagle, delayedAckNanos, initialRtoNanos, minRtoNanos, maxRtoNanos, maxRetransmissions,
                timeWaitNanos, maxOutOfOrderSegments, finWait2Nanos, congestion);
    }

    /** Throws IllegalArgumentException for values no connection can run with. */
    void check() {
        TcpConfig c = this;
        if (c.mss() < TcpConnection.MIN_MSS || c.mss() > 65535) {
            throw new IllegalArgumentException("mss " + c.mss() + " outside [" + TcpConnection.MIN_MSS + ", 65535]");
        }
        if (c.sendBufferBytes() < 1 || c.sendBufferBytes() > TcpConnection.MAX_BUFFER
                || c.receiveBufferBytes() < 1 || c.receiveBufferBytes() > TcpConnection.MAX_BUFFER) {
            throw new IllegalArgumentException("buffer sizes must be in [1, " + TcpConnection.MAX_BUFFER + "]");
        }
        if (c.windowScale() > TcpConnection.MAX_WINDOW_SHIFT) {
            throw new IllegalArgumentException("windowScale " + c.windowScale() + " > 14");
        }
        if (c.minRtoNanos() <= 0 || c.maxRtoNanos() < c.minRtoNanos() || c.initialRtoNanos() <= 0
                || c.delayedAckNanos() < 0 || c.timeWaitNanos() < 0 || c.maxRetransmissions() < 0
                || c.finWait2Nanos() < 0) {
            throw new IllegalArgumentException("invalid timer configuration: " + c);
        }
        if (c.maxOutOfOrderSegments() < 0 || c.maxOutOfOrderSegments() > TcpConnection.MAX_OOO_INTERVALS) {
            throw new IllegalArgumentException("maxOutOfOrderSegments outside [0, " + TcpConnection.MAX_OOO_INTERVALS + "]");
        }
    }
}
