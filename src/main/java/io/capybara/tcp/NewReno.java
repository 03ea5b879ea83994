package io.capybara.tcp;

/**
 * Congestion control: RFC 5681 slow start and congestion avoidance, fast retransmit on the
 * third duplicate ACK, and RFC 6582 NewReno fast recovery. It only keeps the numbers and says
 * when to retransmit; the connection does the sending. {@code recover} is SND.MAX at the time
 * recovery started, so "the ACK covers recover" reads {@code ack >= recover}.
 */
final class NewReno {
    static final int MAX_CWND = 1 << 30;

    private int cwnd;
    private int ssthresh = MAX_CWND;
    private int dupAcks;
    private int recover;
    private boolean inRecovery;

    NewReno(int iss, int mss) {
        this.recover = iss;
        this.cwnd = initialWindow(mss);
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

    /**
     * SND.UNA advanced by {@code acked} bytes (to {@code sndUna}).
     *
     * @return true for a partial ACK during recovery: the next hole must be retransmitted now
     */
    boolean onNewAck(int acked, int sndUna, int sndMax, int mss) {
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
        } else if (cwnd < ssthresh) {
            cwnd += Math.min(acked, mss); // slow start, RFC 3465 L = 1 SMSS
        } else {
            cwnd += Math.max(1, (int) ((long) mss * mss / cwnd)); // congestion avoidance
        }
        if (cwnd > MAX_CWND) {
            cwnd = MAX_CWND;
        }
        return retransmit;
    }

    /**
     * A duplicate ACK (RFC 5681 definition) arrived.
     *
     * @return true on the third one outside recovery: fast retransmit now
     */
    boolean onDupAck(int sndUna, int sndMax, int mss) {
        dupAcks++;
        if (inRecovery) {
            cwnd = Math.min(MAX_CWND, cwnd + mss); // inflate for each segment that left the network
            return false;
        }
        if (dupAcks == 3 && Seq.ge(sndUna, recover)) {
            ssthresh = Math.max((sndMax - sndUna) / 2, 2 * mss);
            recover = sndMax;
            inRecovery = true;
            cwnd = ssthresh + 3 * mss;
            return true;
        }
        return false;
    }

    /** Retransmission timeout: loss window of one segment (RFC 5681 3.1 (4)), recovery over. */
    void onTimeout(int sndUna, int sndMax, int mss) {
        ssthresh = Math.max((sndMax - sndUna) / 2, 2 * mss);
        cwnd = mss;
        inRecovery = false;
        dupAcks = 0;
        recover = sndMax;
    }

    void write(SnapshotWriter w) {
        w.putInt(cwnd);
        w.putInt(ssthresh);
        w.putInt(dupAcks);
        w.putInt(recover);
        w.putBoolean(inRecovery);
    }

    void read(SnapshotReader r) throws SnapshotException {
        cwnd = r.getInt("cwnd", 1, MAX_CWND);
        ssthresh = r.getInt("ssthresh", 1, MAX_CWND);
        dupAcks = r.getInt("dupAcks", 0, Integer.MAX_VALUE);
        recover = r.getInt("recover");
        inRecovery = r.getBoolean("inRecovery");
    }
}
