package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import org.junit.jupiter.api.Test;

/** Which SACK blocks an ACK carries (RFC 2018 4) and the D-SACK block of a duplicate (RFC 2883 4). */
class SackBlocksTest {
    static final int RCV_NXT = 50;

    /** A receive ring holding out-of-order data at [100, 110), [200, 210) and [300, 310). */
    static ReceiveRing ring() {
        ReceiveRing r = new ReceiveRing(1 << 16, 8);
        assertTrue(r.addInterval(100, 110));
        assertTrue(r.addInterval(200, 210));
        assertTrue(r.addInterval(300, 310));
        return r;
    }

    /** The blocks {@code b} fills into an ACK with room for {@code max}, as {left, right, left, right...}. */
    static int[] fill(SackBlocks b, int max, int rcvNxt, ReceiveRing ring) {
        TcpSegment s = new TcpSegment();
        b.fill(s, max, rcvNxt, ring);
        int[] out = new int[2 * s.sackCount];
        for (int i = 0; i < s.sackCount; i++) {
            out[2 * i] = s.sackLeft[i];
            out[2 * i + 1] = s.sackRight[i];
        }
        return out;
    }

    final ReceiveRing ring = ring();
    final SackBlocks b = new SackBlocks();

    @Test
    void theHighestBlocksGoFirstAndTheTriggeringOneAheadOfThem() {
        assertArrayEquals(new int[] {300, 310, 200, 210, 100, 110}, fill(b, 4, RCV_NXT, ring));
        assertArrayEquals(new int[] {300, 310, 200, 210}, fill(b, 2, RCV_NXT, ring), "as many as fit");
        b.trigger(205);
        assertArrayEquals(new int[] {200, 210, 300, 310, 100, 110}, fill(b, 3, RCV_NXT, ring));
        b.trigger(110); // just past a block: holds none of them
        assertArrayEquals(new int[] {300, 310, 200, 210, 100, 110}, fill(b, 3, RCV_NXT, ring));
        b.trigger(100);
        assertArrayEquals(new int[] {100, 110}, fill(b, 1, RCV_NXT, ring), "its left edge is in it");
        b.clear();
        assertArrayEquals(new int[] {300, 310}, fill(b, 1, RCV_NXT, ring));
    }

    @Test
    void blocksRcvNxtHasReachedAreLeftOut() {
        assertArrayEquals(new int[] {300, 310, 200, 210}, fill(b, 4, 100, ring));
    }

    @Test
    void aDuplicateBelowRcvNxtIsReportedOnceInFront() {
        assertFalse(b.noteDuplicate(20, 0, RCV_NXT, ring), "no payload, no duplicate");
        assertTrue(b.noteDuplicate(20, 30, RCV_NXT, ring), "[20, 50) is all below RCV.NXT");
        assertTrue(b.dsackOwed());
        assertArrayEquals(new int[] {20, 50, 300, 310}, fill(b, 2, RCV_NXT, ring));
        assertFalse(b.dsackOwed(), "sent once");
        assertArrayEquals(new int[] {300, 310, 200, 210}, fill(b, 2, RCV_NXT, ring));
        assertTrue(b.noteDuplicate(20, 30, RCV_NXT, ring));
        assertArrayEquals(new int[] {20, 50}, fill(b, 1, RCV_NXT, ring), "one block of room is enough below RCV.NXT");
    }

    @Test
    void aDuplicateInsideABlockIsReportedBesideIt() {
        assertTrue(b.noteDuplicate(202, 6, RCV_NXT, ring));
        assertArrayEquals(new int[] {}, fill(b, 1, RCV_NXT, ring), "unrecognizable alone: left to the next ACK");
        assertTrue(b.dsackOwed());
        assertArrayEquals(new int[] {202, 208, 200, 210, 300, 310}, fill(b, 3, RCV_NXT, ring));
        assertFalse(b.dsackOwed());
    }

    /** A segment that brought anything new was a needed retransmission: no D-SACK (it would read as needless). */
    @Test
    void aSegmentWithNewDataIsNoDuplicate() {
        assertFalse(b.noteDuplicate(40, 20, RCV_NXT, ring), "[40, 60): 50..60 is new");
        assertFalse(b.noteDuplicate(205, 10, RCV_NXT, ring), "[205, 215): beyond the block");
        assertFalse(b.dsackOwed());
        assertTrue(b.noteDuplicate(40, 10, RCV_NXT, ring), "[40, 50): ends at RCV.NXT");
    }

    @Test
    void aDuplicateInTheLowestBlockCountsToo() {
        assertTrue(b.noteDuplicate(102, 4, RCV_NXT, ring));
        assertArrayEquals(new int[] {102, 106, 100, 110, 300, 310}, fill(b, 3, RCV_NXT, ring));
    }

    /** The D-SACK block and the triggering one compete for room: what does not fit is left out. */
    @Test
    void noMoreBlocksThanRoom() {
        assertTrue(b.noteDuplicate(20, 30, RCV_NXT, ring));
        b.trigger(205);
        assertArrayEquals(new int[] {20, 50}, fill(b, 1, RCV_NXT, ring));
    }

    /** Blocks that merged are reported once, as the merged block. */
    @Test
    void mergedBlocksAreReportedOnce() {
        assertTrue(ring.addInterval(110, 200));
        assertEquals(2, ring.oooCount());
        assertArrayEquals(new int[] {300, 310, 100, 210}, fill(b, 4, RCV_NXT, ring));
    }
}
