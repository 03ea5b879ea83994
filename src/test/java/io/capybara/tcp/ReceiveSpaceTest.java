package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** RFC 9293 3.10.7.4 segment acceptability and the advertised window, at their edges. */
class ReceiveSpaceTest {
    /** RCV.NXT at {@code nxt}, the advertised right edge at {@code edge}. */
    static ReceiveSpace space(int nxt, int edge) {
        ReceiveSpace s = new ReceiveSpace();
        s.nxt = nxt;
        s.advEdge = edge;
        return s;
    }

    @Test
    void aSegmentIsAcceptableWhenItsFirstOrLastByteIsInTheWindow() {
        ReceiveSpace s = space(-50, 50); // a window of 100 across the sequence wrap
        assertTrue(s.acceptable(49, 10, false), "first byte at the last place");
        assertFalse(s.acceptable(50, 10, false), "first byte just beyond");
        assertTrue(s.acceptable(-60, 11, false), "last byte at RCV.NXT");
        assertFalse(s.acceptable(-60, 10, false), "all of it old");
        assertTrue(s.acceptable(-50, 1, false));
    }

    @Test
    void anEmptySegmentMayLieOnEitherEdgeOfTheWindow() {
        ReceiveSpace s = space(1000, 1100);
        assertTrue(s.acceptable(1000, 0, false));
        assertTrue(s.acceptable(1100, 0, false), "the right edge itself, as Linux takes it");
        assertFalse(s.acceptable(999, 0, false));
        assertFalse(s.acceptable(1101, 0, false));
    }

    @Test
    void aClosedWindowTakesOnlyABareFinAtRcvNxt() {
        for (ReceiveSpace s : new ReceiveSpace[] {space(1000, 1000), space(1000, 900)}) {
            assertFalse(s.acceptable(1000, 1, false));
            assertTrue(s.acceptable(1000, 1, true));
            assertFalse(s.acceptable(1001, 1, true));
            assertTrue(s.acceptable(1000, 0, false), "an ACK at RCV.NXT");
            assertFalse(s.acceptable(1001, 0, false));
        }
    }

    /**
     * The window opens only by at least min(buffer / 2, MSS) at a time (receive-side silly
     * window avoidance), its right edge never moves left, and the field is scaled down.
     */
    @Test
    void theWindowOpensOnlyByAWorthwhileAmountAndScalesDown() {
        ReceiveRing ring = new ReceiveRing(4096, new UnsafeBuffer(new byte[4096]), 4);
        ReceiveSpace s = space(0, 0);
        assertEquals(4096, s.windowField(ring, 1000, 0), "all free");
        assertEquals(4096, s.advEdge);
        ring.put(0, new UnsafeBuffer(new byte[2000]), 0, 2000);
        ring.commit(2000);
        s.nxt = 2000; // 2,000 bytes arrived, unread: 2,096 free, 2,096 still advertised
        assertEquals(2096, s.windowField(ring, 1000, 0));
        ring.read(new UnsafeBuffer(new byte[1000]), 0, 999); // 999 more free: not yet worth it
        assertEquals(2096, s.windowField(ring, 1000, 0));
        ring.read(new UnsafeBuffer(new byte[1]), 0, 1); // one MSS more free: open to all of it
        assertEquals(3096, s.windowField(ring, 1000, 0));
        assertEquals(5096, s.advEdge);
        assertEquals(3096 >>> 3, s.windowField(ring, 1000, 3), "scaled: rounded down");
        assertEquals(5096, s.advEdge, "rounding down never moves the edge left");
        ReceiveSpace big = space(0, 0);
        assertEquals(65535, big.windowField(new ReceiveRing(1 << 20, new UnsafeBuffer(new byte[16]), 4), 1460, 0),
                "the field is 16 bits");
        assertEquals(65535, big.advEdge);
    }
}
