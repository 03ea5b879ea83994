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
}
