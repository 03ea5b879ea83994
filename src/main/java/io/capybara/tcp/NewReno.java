package io.capybara.tcp;

/**
 * Congestion control: RFC 5681 slow start and congestion avoidance, and, for a peer without
 * SACK, fast retransmit on the third duplicate ACK with RFC 6582 NewReno fast recovery. It only
 * keeps the numbers and says when to retransmit; the connection does the sending. With SACK the
 * connection's {@link LossRecovery} decides what is lost and calls {@link #enterRecovery} and
 * {@link #exitRecovery} instead (PRR sets cwnd in between). {@code recover} is SND.MAX at the
 * time recovery started, so "the ACK covers recover" reads {@code ack >= recover}.
 *
 * <p>{@link Cubic} replaces the window growth in congestion avoidance and the reduction on loss.
 * A snapshot group: {@link #write} / {@link #read} (a subclass appends its own fields).
 */
class NewReno {
    static final int MAX_CWND = 1 << 30;

    int cwnd;
    int ssthresh = MAX_CWND;
    private int dupAcks;
    private int recover;
    private boolean inRecovery;

    NewReno(int iss, int mss) {
        this.recover = iss;
        this.cwnd = initialWindow(mss);
    }

    static NewReno create(TcpConfig.Congestion kind, int iss, int mss) {
        return switch (kind) {
            case CUBIC -> new Cubic(iss, mss, true);
            case CUBIC_RFC -> new Cubic(iss, mss, false);
            case NEW_RENO -> new NewReno(iss, mss);
        };
    }

    /** RFC 5681 3.1 / RFC 3390 initial window. */
    static int initialWindow(int mss) {
        return Math.min(4 * mss, Math.max(2 * mss, 4380));
    }

    /** The MSS is known once the SYNs are exchanged: restart from its initial window. */
    void reset(int mss) {
        cwnd = initialWindow(mss);
    }

    int cwnd() {
        return cwnd;
    }

    int ssthresh() {
        return ssthresh;
    }

    boolean inRecovery() {
        return inRecovery;
    }

    /** Slow start (RFC 3465, L = 1 SMSS) below ssthresh, else congestion avoidance. */
    final void grow(int acked, int mss, long now, long srtt) {
        if (cwnd < ssthresh) {
            cwnd += Math.min(acked, mss);
        } else {
            avoid(acked, mss, now, srtt);
        }
        if (cwnd > MAX_CWND) {
            cwnd = MAX_CWND;
        }
    }

    /** Congestion avoidance: one SMSS per RTT (RFC 5681 3.1, per ACK). */
    void avoid(int acked, int mss, long now, long srtt) {
        if (cwnd >= MAX_CWND) {
            return; // grow() would clamp it back: spares a 64-bit division per ACK at the cap
        }
        cwnd += Math.max(1, (int) ((long) mss * mss / cwnd));
    }

    /** The slow-start threshold after a loss with {@code flight} bytes outstanding (RFC 5681 (4)). */
    int reducedThreshold(int flight, int mss, long now) {
        return Math.max(flight / 2, 2 * mss);
    }

    /**
     * SND.UNA advanced by {@code acked} bytes (to {@code sndUna}), without SACK.
     *
     * @return true for a partial ACK during recovery: the next hole must be retransmitted now
     */
    boolean onNewAck(int acked, int sndUna, int sndMax, int mss, long now, long srtt) {
        dupAcks = 0;
        boolean retransmit = false;
        if (inRecovery) {
            if (Seq.ge(sndUna, recover)) {
                // full ACK: deflate to min(ssthresh, FlightSize + SMSS)
                cwnd = Math.min(ssthresh, Math.max(sndMax - sndUna, mss) + mss);
                inRecovery = false;
            } else {
                // partial ACK: deflate by the amount acked, add back one SMSS if that much
                retransmit = true;
                cwnd -= acked;
                if (acked >= mss) {
                    cwnd += mss;
                }
                if (cwnd < mss) {
                    cwnd = mss;
                }
            }
        } else {
            grow(acked, mss, now, srtt);
        }
        return retransmit;
    }

    /**
     * A duplicate ACK (RFC 5681 definition) arrived, without SACK.
     *
     * @return true on the third one outside recovery: fast retransmit now
     */
    boolean onDupAck(int sndUna, int sndMax, int mss, long now) {
        dupAcks++;
        if (inRecovery) {
            cwnd = Math.min(MAX_CWND, cwnd + mss); // inflate for each segment that left the network
            return false;
        }
        if (dupAcks == 3 && Seq.ge(sndUna, recover)) {
            ssthresh = reducedThreshold(sndMax - sndUna, mss, now);
            recover = sndMax;
            inRecovery = true;
            cwnd = ssthresh + 3 * mss;
            return true;
        }
        return false;
    }

    /** SACK-based loss recovery begins: the new ssthresh (PRR then steers cwnd towards it). */
    void enterRecovery(int flight, int mss, long now) {
        ssthresh = reducedThreshold(flight, mss, now);
    }

    /** SACK-based recovery is over (RFC 6937: cwnd = ssthresh). */
    void exitRecovery() {
        cwnd = ssthresh;
    }

    /** A window set by Proportional Rate Reduction during recovery. */
    void setCwnd(int v) {
        cwnd = Math.max(1, Math.min(v, MAX_CWND));
    }

    /** Retransmission timeout: loss window of one segment (RFC 5681 3.1 (4)), recovery over. */
    void onTimeout(int sndUna, int sndMax, int mss, long now) {
        ssthresh = reducedThreshold(sndMax - sndUna, mss, now);
        cwnd = mss;
        inRecovery = false;
        dupAcks = 0;
        recover = sndMax;
    }

    void write(SnapshotWriter w, long now) {
        w.putInt(cwnd);
        w.putInt(ssthresh);
        w.putInt(dupAcks);
        w.putInt(recover);
        w.putBoolean(inRecovery);
    }

    void read(SnapshotReader r, long now) throws SnapshotException {
        cwnd = r.getInt("cwnd", 1, MAX_CWND);
        ssthresh = r.getInt("ssthresh", 1, MAX_CWND);
        dupAcks = r.getInt("dupAcks", 0, Integer.MAX_VALUE);
        recover = r.getInt("recover");
        inRecovery = r.getBoolean("inRecovery");
    }
}
