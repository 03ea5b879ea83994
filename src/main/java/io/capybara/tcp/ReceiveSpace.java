package io.capybara.tcp;

/** The receive sequence space (RFC 9293 3.3.1) and the peer's FIN, one snapshot group. */
final class ReceiveSpace {
    int irs;
    int nxt;
    /** Right edge of the window last advertised; never moves left. */
    int advEdge;
    int lastAckSent;
    /** Largest payload seen from the peer: what "full-sized" means for delayed ACK. */
    int mss;
    boolean peerFin;
    /** A FIN received out of order, at {@link #oooFinSeq}: taken when RCV.NXT reaches it. */
    boolean oooFin;
    int oooFinSeq;

    void write(SnapshotWriter w) {
        w.putInt(irs);
        w.putInt(nxt);
        w.putInt(advEdge);
        w.putInt(lastAckSent);
        w.putInt(mss);
        w.putBoolean(peerFin);
        w.putBoolean(oooFin);
        w.putInt(oooFinSeq);
    }

    void read(SnapshotReader r) throws SnapshotException {
        irs = r.getInt("irs");
        nxt = r.getInt("rcvNxt");
        advEdge = r.getInt("rcvAdvEdge");
        lastAckSent = r.getInt("lastAckSent");
        mss = r.getInt("rcvMss", 1, 65535);
        peerFin = r.getBoolean("peerFin");
        oooFin = r.getBoolean("oooFin");
        oooFinSeq = r.getInt("oooFinSeq");
    }

    /** RFC 9293 3.10.7.4 segment acceptability, against the window we advertised. */
    boolean acceptable(int seq, int len, boolean bareFin) {
        int wnd = advEdge - nxt;
        if (wnd < 0) {
            wnd = 0;
        }
        if (len == 0) {
            // Inclusive right edge, as Linux does: a peer that filled our window sends its pure
            // ACKs at exactly RCV.NXT + RCV.WND; RFC 9293's half-open test would reject them and
            // our reply ACK would be rejected the same way, an endless ACK war.
            return Seq.ge(seq, nxt) && Seq.le(seq, nxt + wnd);
        }
        if (wnd == 0) {
            return bareFin && seq == nxt; // a bare FIN at RCV.NXT is taken even with a closed window
        }
        return Seq.inRange(seq, nxt, nxt + wnd) || Seq.inRange(seq + len - 1, nxt, nxt + wnd);
    }


    /**
     * The window to advertise, scaled: free space, but the right edge only moves right, and by
     * at least min(buffer/2, MSS) at a time (receive-side SWS avoidance, RFC 9293 3.8.6.2.2).
     * Scaling rounds down, so an advertised edge never lies beyond the buffer; the apparent
     * retraction by less than 2^shift that this can cause is the one RFC 7323 2.4 allows, and
     * {@link #advEdge} keeps accepting data up to the furthest edge ever advertised.
     */
    int windowField(ReceiveRing ring, int mss, int shift) {
        int cur = advEdge - nxt;
        if (cur < 0) {
            cur = 0;
        }
        int free = ring.free();
        int wnd = free - cur >= Math.min(ring.maxCapacity() >>> 1, mss) ? free : cur;
        int field = wnd >>> shift;
        if (field > 65535) {
            field = 65535;
        }
        int edge = nxt + (field << shift);
        if (Seq.gt(edge, advEdge)) {
            advEdge = edge;
        }
        return field;
    }

}
