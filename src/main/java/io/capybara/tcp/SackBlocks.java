package io.capybara.tcp;

import io.capybara.wire.TcpSegment;

/**
 * The receiver's side of SACK: which blocks the next segment we send carries (RFC 2018) and the
 * D-SACK block owed for a duplicate (RFC 2883). Its state lives within one
 * {@link TcpConnection#onSegment} call (cleared at both ends), so a snapshot never holds it:
 * the blocks otherwise follow from the receive ring alone.
 */
final class SackBlocks {
    /** The out-of-order segment being processed, whose block must lead the option (RFC 2018 4). */
    private boolean triggered;
    private int triggerSeq;
    /** The D-SACK block owed until one segment carries it: each duplicate is reported once. */
    private boolean dsackOwed;
    private int dsackStart;
    private int dsackEnd;

    void clear() {
        triggered = false;
        dsackOwed = false;
    }

    /** The segment at {@code seq} was stored out of order: its block goes first. */
    void trigger(int seq) {
        triggered = true;
        triggerSeq = seq;
    }

    boolean dsackOwed() {
        return dsackOwed;
    }

    /**
     * RFC 2883: if all of the payload [seq, seq + len) is data we already hold, at or below
     * RCV.NXT or inside one out-of-order interval, owes a D-SACK block for it (the caller makes
     * sure an ACK goes out in this call); in the second case that interval is named right after
     * it, as the triggering segment's block. A segment that also brought new data is not
     * reported: its retransmission was needed, and a D-SACK for part of it would feed the
     * sender's undo logic (which counts needless retransmissions) a wrong signal. Returns whether
     * the segment was a duplicate.
     */
    boolean noteDuplicate(int seq, int len, int rcvNxt, ReceiveRing ring) {
        if (len <= 0) {
            return false;
        }
        int end = seq + len;
        if (Seq.gt(end, rcvNxt)) {
            if (ring.oooHolding(seq, end) < 0) {
                return false;
            }
            trigger(seq);
        }
        dsackOwed = true;
        dsackStart = seq;
        dsackEnd = end;
        return true;
    }

    /**
     * Fills up to {@code max} SACK blocks: first an owed D-SACK block (RFC 2883 4), which lies at
     * or below RCV.NXT or inside the block that follows it, and is sent once; then, from the
     * out-of-order intervals (RFC 2018 4), the one holding the segment that triggered this ACK,
     * then the others from the highest sequence down. A sender sending in order fills holes from
     * below, so the highest blocks are the most recent ones, and the order follows from the ring
     * alone (no extra connection state). These always lie above RCV.NXT: the ring absorbs
     * intervals that RCV.NXT reaches. A D-SACK inside an interval is only recognizable beside
     * it: with room for fewer than two blocks none is filled, and the pure ACK that follows
     * carries them.
     */
    void fill(TcpSegment s, int max, int rcvNxt, ReceiveRing ring) {
        int n = 0;
        if (dsackOwed) {
            if (max < (Seq.gt(dsackEnd, rcvNxt) ? 2 : 1)) {
                s.sackCount = 0;
                return;
            }
            s.sackLeft[0] = dsackStart;
            s.sackRight[0] = dsackEnd;
            n = 1;
            dsackOwed = false;
        }
        int count = ring.oooCount();
        int first = -1;
        if (triggered) {
            for (int i = 0; i < count; i++) {
                if (Seq.le(ring.oooStart(i), triggerSeq) && Seq.lt(triggerSeq, ring.oooEnd(i))) {
                    first = i;
                    break;
                }
            }
        }
        if (first >= 0 && n < max) {
            n = add(s, n, ring, first, rcvNxt);
        }
        for (int i = count - 1; i >= 0 && n < max; i--) {
            if (i != first) {
                n = add(s, n, ring, i, rcvNxt);
            }
        }
        s.sackCount = n;
    }

    private static int add(TcpSegment s, int n, ReceiveRing ring, int interval, int rcvNxt) {
        int start = ring.oooStart(interval);
        if (!Seq.gt(start, rcvNxt)) {
            return n;
        }
        s.sackLeft[n] = start;
        s.sackRight[n] = ring.oooEnd(interval);
        return n + 1;
    }
}
