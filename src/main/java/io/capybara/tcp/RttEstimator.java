package io.capybara.tcp;

/**
 * RFC 6298 retransmission timeout: SRTT and RTTVAR from RTT samples, RTO clamped to the
 * configured bounds, and an exponential backoff applied on top (doubling per timeout, reset
 * by the next new ACK). Without timestamps one segment per RTT is timed (Karn's rule: never a
 * retransmitted one). Also counts the timeouts since the last new ACK, for giving up. One
 * snapshot group. Times in nanoseconds.
 */
final class RttEstimator {
    /** Clock granularity G: our timestamps tick in microseconds. */
    static final long GRANULARITY_NANOS = 1_000L;
    static final int MAX_BACKOFF = 62;

    private final long minRto;
    private final long maxRto;
    private long srtt;
    private long rttvar;
    private long rto;
    private boolean hasSample;
    private int backoff;
    /** Timeouts since the last new ACK (RFC 9293 R2: give up after too many). */
    int retries;
    /** A segment is being timed: the first byte at {@link #timedSeq}, sent at {@link #timedStart}. */
    boolean timing;
    int timedSeq;
    long timedStart;

    RttEstimator(long initialRto, long minRto, long maxRto) {
        this.minRto = minRto;
        this.maxRto = maxRto;
        this.rto = initialRto;
    }

    /** RFC 6298 2.2-2.4. */
    void sample(long r) {
        if (!hasSample) {
            srtt = r;
            rttvar = r / 2;
            hasSample = true;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        rto = Math.min(maxRto, Math.max(minRto, srtt + Math.max(GRANULARITY_NANOS, 4 * rttvar)));
    }

    /** The RTO to arm now: the estimate doubled once per unanswered timeout, at most maxRto. */
    long current() {
        return shifted(backoff);
    }

    /** The estimate doubled {@code times} times, at most maxRto (also the persist interval). */
    long shifted(int times) {
        long v = rto;
        for (int i = 0; i < times && v < maxRto; i++) {
            v <<= 1;
        }
        return Math.min(v, maxRto);
    }

    void backOff() {
        if (backoff < MAX_BACKOFF) {
            backoff++;
        }
    }

    void resetBackoff() {
        backoff = 0;
    }

    long srtt() {
        return srtt;
    }

    /** Starts timing the segment at {@code seq}, sent now. */
    void time(int seq, long now) {
        timing = true;
        timedSeq = seq;
        timedStart = now;
    }

    void write(SnapshotWriter w, long now) {
        w.putLong(srtt);
        w.putLong(rttvar);
        w.putLong(rto);
        w.putBoolean(hasSample);
        w.putInt(backoff);
        w.putInt(retries);
        w.putBoolean(timing);
        w.putInt(timedSeq);
        w.putLong(timing ? now - timedStart : 0);
    }

    void read(SnapshotReader r, long now) throws SnapshotException {
        srtt = r.getLong("srtt", 0, Long.MAX_VALUE / 16);
        rttvar = r.getLong("rttvar", 0, Long.MAX_VALUE / 16);
        rto = r.getLong("rto", 1, Long.MAX_VALUE / 4);
        hasSample = r.getBoolean("hasRtt");
        backoff = r.getInt("backoff", 0, MAX_BACKOFF);
        retries = r.getInt("retries", 0, Integer.MAX_VALUE);
        timing = r.getBoolean("rttTiming");
        timedSeq = r.getInt("rttSeq");
        timedStart = now - r.getLong("rttAge", 0, 1L << 62);
    }
}
