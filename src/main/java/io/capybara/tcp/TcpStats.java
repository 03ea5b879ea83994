package io.capybara.tcp;

/**
 * Per-connection counters. Plain longs written only by the owning connection; read them from
 * the same thread. Part of the connection's snapshot, so a migrated connection keeps them.
 */
public final class TcpStats {
    long segmentsIn;
    long segmentsOut;
    long bytesIn;
    long bytesOut;
    long retransmits;
    long fastRetransmits;
    long timeouts;
    long dupAcks;
    long oooSegments;
    long oooDropped;
    long challengeAcks;
    long resetsIn;
    long resetsOut;
    long dropped;
    long windowProbes;
    long pawsRejected;
    long lossProbes;
    long dsacksIn;

    /** Segments handed to {@link TcpConnection#onSegment}. */
    public long segmentsIn() {
        return segmentsIn;
    }

    /** Segments emitted to the sink (all kinds, retransmissions included). */
    public long segmentsOut() {
        return segmentsOut;
    }

    /** Payload bytes accepted in order (delivered to the receive buffer). */
    public long bytesIn() {
        return bytesIn;
    }

    /** Payload bytes emitted, retransmissions included. */
    public long bytesOut() {
        return bytesOut;
    }

    /** Segments re-sent (by timeout, fast retransmit or NewReno partial ACK). */
    public long retransmits() {
        return retransmits;
    }

    /** Fast retransmits triggered by three duplicate ACKs. */
    public long fastRetransmits() {
        return fastRetransmits;
    }

    /** Retransmission-timer expiries. */
    public long timeouts() {
        return timeouts;
    }

    /** Duplicate ACKs received (RFC 5681 definition). */
    public long dupAcks() {
        return dupAcks;
    }

    /** Segments received beyond RCV.NXT (out of order). */
    public long oooSegments() {
        return oooSegments;
    }

    /** Out-of-order segments not stored because the reassembly bound was reached. */
    public long oooDropped() {
        return oooDropped;
    }

    /** Challenge ACKs sent (RFC 5961). */
    public long challengeAcks() {
        return challengeAcks;
    }

    /** RSTs that reset this connection. */
    public long resetsIn() {
        return resetsIn;
    }

    /** RSTs emitted. */
    public long resetsOut() {
        return resetsOut;
    }

    /** Segments dropped as unacceptable (sequence or acknowledgment check). */
    public long dropped() {
        return dropped;
    }

    /** Zero-window probes sent by the persist timer. */
    public long windowProbes() {
        return windowProbes;
    }

    /** Segments dropped by PAWS (RFC 7323: timestamp older than TS.Recent). */
    public long pawsRejected() {
        return pawsRejected;
    }

    /** Tail loss probes sent (RFC 8985 7). */
    public long lossProbes() {
        return lossProbes;
    }

    /** ACKs that carried a D-SACK block (RFC 2883): a retransmission the peer did not need. */
    public long dsacksIn() {
        return dsacksIn;
    }

    void write(SnapshotWriter w) {
        w.putLong(segmentsIn);
        w.putLong(segmentsOut);
        w.putLong(bytesIn);
        w.putLong(bytesOut);
        w.putLong(retransmits);
        w.putLong(fastRetransmits);
        w.putLong(timeouts);
        w.putLong(dupAcks);
        w.putLong(oooSegments);
        w.putLong(oooDropped);
        w.putLong(challengeAcks);
        w.putLong(resetsIn);
        w.putLong(resetsOut);
        w.putLong(dropped);
        w.putLong(windowProbes);
        w.putLong(pawsRejected);
        w.putLong(lossProbes);
        w.putLong(dsacksIn);
    }

    void read(SnapshotReader r) throws SnapshotException {
        segmentsIn = r.getLong("stats");
        segmentsOut = r.getLong("stats");
        bytesIn = r.getLong("stats");
        bytesOut = r.getLong("stats");
        retransmits = r.getLong("stats");
        fastRetransmits = r.getLong("stats");
        timeouts = r.getLong("stats");
        dupAcks = r.getLong("stats");
        oooSegments = r.getLong("stats");
        oooDropped = r.getLong("stats");
        challengeAcks = r.getLong("stats");
        resetsIn = r.getLong("stats");
        resetsOut = r.getLong("stats");
        dropped = r.getLong("stats");
        windowProbes = r.getLong("stats");
        pawsRejected = r.getLong("stats");
        lossProbes = r.getLong("stats");
        dsacksIn = r.getLong("stats");
    }

    @Override
    public String toString() {
        return "TcpStats{in=" + segmentsIn + ", out=" + segmentsOut + ", bytesIn=" + bytesIn
                + ", bytesOut=" + bytesOut + ", rexmit=" + retransmits + ", fastRexmit=" + fastRetransmits
                + ", timeouts=" + timeouts + ", dupAcks=" + dupAcks + ", ooo=" + oooSegments
                + ", oooDropped=" + oooDropped + ", challengeAcks=" + challengeAcks + ", rstIn=" + resetsIn
                + ", rstOut=" + resetsOut + ", dropped=" + dropped + ", windowProbes=" + windowProbes
                + ", paws=" + pawsRejected + ", probes=" + lossProbes + ", dsacks=" + dsacksIn + '}';
    }
}
