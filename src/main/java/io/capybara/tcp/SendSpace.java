package io.capybara.tcp;

/**
 * The send sequence space (RFC 9293 3.3.1), one snapshot group. {@code max} is the highest
 * SND.NXT ever sent: SND.NXT itself rolls back to SND.UNA on a retransmission timeout.
 */
final class SendSpace {
    int iss;
    int una;
    int nxt;
    int max;
    /** The peer's window, scaled. */
    int wnd;
    int wl1;
    int wl2;
    int maxWnd;
    /** Sequence number of the send ring's first byte. */
    int bufSeq;
    boolean finQueued;
    int finSeq;

    /** Where the connection starts: nothing sent, the ring's first byte right after the SYN. */
    void init(int iss) {
        this.iss = iss;
        una = iss;
        nxt = iss;
        max = iss;
        bufSeq = iss + 1;
    }

    /** Bytes queued beyond SND.NXT, given the ring's length (negative after a FIN is sent). */
    int unsent(int queued) {
        return bufSeq + queued - nxt;
    }

    void write(SnapshotWriter w) {
        w.putInt(iss);
        w.putInt(una);
        w.putInt(nxt);
        w.putInt(max);
        w.putInt(wnd);
        w.putInt(wl1);
        w.putInt(wl2);
        w.putInt(maxWnd);
        w.putInt(bufSeq);
        w.putBoolean(finQueued);
        w.putInt(finSeq);
    }

    void read(SnapshotReader r) throws SnapshotException {
        iss = r.getInt("iss");
        una = r.getInt("sndUna");
        nxt = r.getInt("sndNxt");
        max = r.getInt("sndMax");
        wnd = r.getInt("sndWnd", 0, 65535L << TcpConnection.MAX_WINDOW_SHIFT);
        wl1 = r.getInt("sndWl1");
        wl2 = r.getInt("sndWl2");
        maxWnd = r.getInt("maxSndWnd", 0, 65535L << TcpConnection.MAX_WINDOW_SHIFT);
        bufSeq = r.getInt("bufSeq");
        finQueued = r.getBoolean("finQueued");
        finSeq = r.getInt("finSeq");
    }

    /**
     * The invariants the state machine relies on against a send ring of {@code len} bytes:
     * UNA <= NXT <= MAX, each within the ring (one more for SYN and FIN), a queued FIN at its end.
     */
    void check(int len) throws SnapshotException {
        if (!Seq.le(una, nxt) || !Seq.le(nxt, max)
                || outside(una - bufSeq, len) || outside(nxt - bufSeq, len) || outside(max - bufSeq, len)
                || (finQueued && finSeq != bufSeq + len)) {
            throw new SnapshotException("snapshot corrupt: send sequence variables inconsistent with the send buffer");
        }
    }

    /** Offset {@code d} of a sequence variable from bufSeq must lie in [-1, len + 1] (SYN/FIN). */
    private static boolean outside(int d, int len) {
        return d < -1 || d > len + 1;
    }
}
