package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.ABSENT;

import io.capybara.wire.TcpSegment;

/**
 * What the SYNs negotiated (MSS, window scaling, SACK, timestamps) and the timestamp state
 * (RFC 7323), one snapshot group. The TS clock is {@code now / 1000 + tsOffset} (microsecond
 * ticks); a snapshot stores its value at the snapshot time and a restore re-bases the offset
 * on its own clock, so the peer sees one continuous clock across hosts.
 */
final class Options {
    /** Payload bytes per segment we send: the negotiated MSS minus the timestamp option. */
    int sendMss;
    int sndShift;
    int rcvShift;
    boolean wsAgreed;
    boolean sackOk;
    boolean tsOk;
    int tsRecent;
    /** When TS.Recent was last set: after a long idle period it is no longer valid for PAWS. */
    long tsRecentTime;
    int tsOffset;
    /** TS clock at the last retransmission timeout: older echoes would include the RTO wait. */
    int rtoTsVal;

    int tsNow(long now) {
        return (int) (now / 1000L) + tsOffset;
    }

    void write(SnapshotWriter w, long now) {
        w.putInt(sendMss);
        w.putInt(sndShift);
        w.putInt(rcvShift);
        w.putBoolean(wsAgreed);
        w.putBoolean(sackOk);
        w.putBoolean(tsOk);
        w.putInt(tsRecent);
        w.putLong(now - tsRecentTime);
        w.putInt(tsNow(now));
        w.putInt(rtoTsVal);
    }

    void read(SnapshotReader r, long now) throws SnapshotException {
        sendMss = r.getInt("sendMss", 1, 65535);
        sndShift = r.getInt("sndShift", 0, TcpConnection.MAX_WINDOW_SHIFT);
        rcvShift = r.getInt("rcvShift", 0, TcpConnection.MAX_WINDOW_SHIFT);
        wsAgreed = r.getBoolean("wsAgreed");
        sackOk = r.getBoolean("sackOk");
        tsOk = r.getBoolean("tsOk");
        tsRecent = r.getInt("tsRecent");
        tsRecentTime = now - r.getLong("tsRecentAge");
        tsOffset = r.getInt("tsClock") - (int) (now / 1000L);
        rtoTsVal = r.getInt("rtoTsVal");
    }

    /** The option negotiation of RFC 7323 and RFC 9293 3.7.1 from the peer's SYN (ours offered {@code config}'s). */
    void negotiate(TcpConfig config, TcpSegment syn, int ringMaxCapacity, long now) {
        boolean ws = config.windowScale() >= 0 && syn.windowScale != ABSENT;
        wsAgreed = ws;
        sndShift = ws ? Math.min(syn.windowScale, TcpConnection.MAX_WINDOW_SHIFT) : 0;
        rcvShift = ws ? offeredWindowScale(config, ringMaxCapacity) : 0;
        sackOk = config.sackPermitted() && syn.sackPermitted;
        tsOk = config.timestamps() && syn.hasTimestamps;
        if (tsOk) {
            tsRecent = syn.tsVal;
            tsRecentTime = now;
        }
        int peerMss = syn.mss == ABSENT ? TcpConnection.DEFAULT_MSS : syn.mss;
        sendMss = Math.max(TcpConnection.MIN_MSS, Math.min(config.mss(), peerMss))
                - (tsOk ? TcpConnection.TS_OPTION_BYTES : 0);
    }

    /** The options of our SYN (what we offer) or SYN-ACK (what was agreed). */
    void fillSyn(TcpSegment s, boolean synAck, TcpConfig config, int ringMaxCapacity, long now) {
        if (synAck) {
            s.windowScale = wsAgreed ? rcvShift : ABSENT;
            s.sackPermitted = sackOk;
            s.hasTimestamps = tsOk;
        } else {
            s.windowScale = config.windowScale() >= 0 ? offeredWindowScale(config, ringMaxCapacity) : ABSENT;
            s.sackPermitted = config.sackPermitted();
            s.hasTimestamps = config.timestamps();
        }
        s.tsVal = tsNow(now);
        s.tsEcr = synAck ? tsRecent : 0;
    }

    /**
     * The shift we announce: the configured one, but never so large that a scaled window unit
     * exceeds half the receive buffer (a tiny buffer under a big shift could only ever
     * advertise a zero window).
     */
    static int offeredWindowScale(TcpConfig config, int ringMaxCapacity) {
        int log2 = 31 - Integer.numberOfLeadingZeros(ringMaxCapacity);
        return Math.min(config.windowScale(), Math.max(0, log2 - 1));
    }

}
