package io.capybara.tcp;

/**
 * How large a new segment may be when the host's channel cuts segments itself (TSO/GSO): the
 * bound and Linux's deferral rule. The state is the connection's; this class holds none.
 */
final class SegmentOffload {
    /** A segment shorter than this share of the window waits (Linux's tcp_tso_win_divisor). */
    static final int WINDOW_DIVISOR = 3;

    private SegmentOffload() {
    }

    /**
     * The payload of the next new segment at most: one MSS, or with segmentation offload below
     * (TSO/GSO) as many whole MSS as {@code offload} bytes hold (and the scoreboard has records
     * left for). Only new data above SND.MAX goes in large segments: what is sent again after a
     * timeout without SACK goes an MSS at a time, as every other retransmission does.
     */
    static int maxSegment(TcpConnection c, int offload) {
        int mss = c.opt.sendMss;
        if (offload < 2 * mss || Seq.lt(c.snd.nxt, c.snd.max)) {
            return mss;
        }
        int pieces = offload / mss;
        if (c.opt.sackOk) {
            pieces = Math.min(pieces, c.recovery.recordsFree());
        }
        return Math.max(1, pieces) * mss;
    }

    /**
     * With segmentation offload, waits rather than send a short segment now, as Linux's TSO
     * deferral does (tcp_tso_should_defer, tcp_tso_win_divisor 3): when the windows or the
     * queued data (not the offload bound) limit the segment to less than a third of the smaller
     * window, outside recovery, before the application has closed (nothing more would come),
     * and while at least two segments in flight guarantee an ACK (a peer ACKs every second
     * segment at once; one alone may wait out its delayed-ACK timer) that brings more room and
     * more data. Without this, each ACK of a delayed-ACK receiver would cost a frame and a system
     * call of one or two segments; with it a frame carries a third of the window. The price: a
     * short write behind two segments in flight waits for the next ACK, under one RTT.
     */
    static boolean defer(TcpConnection c, int len, int inflight) {
        return inflight >= 2 * c.opt.sendMss && !c.snd.finQueued && c.opt.sackOk && !c.recovery.inRecovery()
                && len < Math.min(c.snd.wnd, c.cc.cwnd()) / WINDOW_DIVISOR;
    }
}
