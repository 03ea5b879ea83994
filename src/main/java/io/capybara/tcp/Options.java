package io.capybara.tcp;

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
}
