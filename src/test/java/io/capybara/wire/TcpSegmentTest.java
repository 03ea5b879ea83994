package io.capybara.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class TcpSegmentTest {
    @Test
    void sequenceLengthCountsSynAndFin() {
        TcpSegment s = new TcpSegment();
        s.flags = TcpSegment.SYN | TcpSegment.FIN;
        s.payloadLength = 10;
        assertEquals(12, s.sequenceLength());
    }

    @Test
    void clearForgetsOptions() {
        TcpSegment s = new TcpSegment();
        s.mss = 1460;
        s.hasTimestamps = true;
        s.clear();
        assertEquals(TcpSegment.ABSENT, s.mss);
        assertFalse(s.hasTimestamps);
    }
}
