package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RFC 5681 and RFC 6582 by the numbers: the window in slow start, avoidance, fast recovery and after a timeout. */
class NewRenoTest {
    static final int MSS = 1000;
    static final long SRTT = 100_000_000L;

    /** A connection's NewReno at ISS 0 with an MSS of 1,000 (initial window 4,000). */
    static NewReno reno() {
        return new NewReno(0, MSS);
    }

    /** A NewReno at {@code cwnd} after three duplicate ACKs of {@code una} with data up to {@code max} in flight. */
    static NewReno afterThreeDupAcks(int cwnd, int una, int max) {
        NewReno r = reno();
        r.cwnd = cwnd;
        for (int i = 0; i < 3; i++) {
            r.onDupAck(una, max, MSS, 0);
        }
        return r;
    }

    @Test
    void theInitialWindowIsFourSegmentsWithinTwoSegmentsAnd4380Bytes() {
        assertEquals(4_000, NewReno.initialWindow(1_000), "4 MSS below 4,380");
        assertEquals(4_380, NewReno.initialWindow(1_460), "4,380 between 2 and 4 MSS");
        assertEquals(6_000, NewReno.initialWindow(3_000), "2 MSS above 4,380");
        assertEquals(2_144, NewReno.initialWindow(536));
        NewReno r = reno();
        assertEquals(4_000, r.cwnd());
        r.reset(1_460);
        assertEquals(4_380, r.cwnd());
        assertEquals(NewReno.MAX_CWND, r.ssthresh());
        assertFalse(r.inRecovery());
    }

    @Test
    void slowStartAddsWhatWasAckedUpToOneSegment() {
        NewReno r = reno();
        assertFalse(r.onNewAck(1_500, 1_500, 8_000, MSS, 0, SRTT));
        assertEquals(5_000, r.cwnd());
        r.onNewAck(300, 1_800, 8_000, MSS, 0, SRTT);
        assertEquals(5_300, r.cwnd());
    }

    @Test
    void atTheThresholdAvoidanceAddsOneSegmentPerWindow() {
        NewReno r = reno();
        r.ssthresh = 5_000;
        r.cwnd = 5_000;
        r.onNewAck(1_000, 1_000, 9_000, MSS, 0, SRTT);
        assertEquals(5_200, r.cwnd(), "MSS * MSS / cwnd = 200");
        r.cwnd = 2_000_000;
        r.onNewAck(1_000, 2_000, 9_000, MSS, 0, SRTT);
        assertEquals(2_000_001, r.cwnd(), "at least one byte");
        r.cwnd = NewReno.MAX_CWND;
        r.onNewAck(1_000, 3_000, 9_000, MSS, 0, SRTT);
        assertEquals(NewReno.MAX_CWND, r.cwnd(), "capped");
    }

    @Test
    void theThresholdAfterALossIsHalfTheFlightButAtLeastTwoSegments() {
        NewReno r = reno();
        assertEquals(5_000, r.reducedThreshold(10_000, MSS, 0));
        assertEquals(2_000, r.reducedThreshold(3_000, MSS, 0));
        r.cwnd = 12_000;
        r.enterRecovery(12_000, MSS, 0);
        assertEquals(6_000, r.ssthresh());
        r.exitRecovery();
        assertEquals(6_000, r.cwnd(), "RFC 6937: cwnd = ssthresh");
        r.setCwnd(0);
        assertEquals(1, r.cwnd());
        r.setCwnd(Integer.MAX_VALUE);
        assertEquals(NewReno.MAX_CWND, r.cwnd());
    }

    /**
     * Three duplicate ACKs: fast retransmit, ssthresh = flight / 2, cwnd = ssthresh + 3 MSS,
     * inflated by one MSS per further duplicate; a partial ACK deflates by what it acked (plus
     * one MSS back if it acked a whole one) and asks for the next hole; the ACK that covers
     * the recovery point ends it with cwnd = min(ssthresh, flight + MSS).
     */
    @Test
    void fastRetransmitAndNewRenoRecovery() {
        NewReno r = reno();
        r.cwnd = 20_000;
        r.ssthresh = 10_000;
        assertFalse(r.onDupAck(0, 20_000, MSS, 0));
        assertFalse(r.onDupAck(0, 20_000, MSS, 0));
        assertTrue(r.onDupAck(0, 20_000, MSS, 0), "the third: retransmit");
        NewReno later = afterThreeDupAcks(4_000, 30_000, 50_000);
        assertEquals(10_000, later.ssthresh(), "half of the 20,000 bytes in flight");
        assertTrue(r.inRecovery());
        assertEquals(10_000, r.ssthresh());
        assertEquals(13_000, r.cwnd());
        assertFalse(r.onDupAck(0, 20_000, MSS, 0));
        assertEquals(14_000, r.cwnd(), "inflated");
        assertTrue(r.onNewAck(MSS, MSS, 20_000, MSS, 0, SRTT), "partial: the next hole now");
        assertEquals(14_000, r.cwnd(), "deflated by the MSS acked, one MSS added back");
        assertTrue(r.onNewAck(500, 1_500, 20_000, MSS, 0, SRTT));
        assertEquals(13_500, r.cwnd(), "less than an MSS acked: nothing added back");
        assertTrue(r.inRecovery());
        assertFalse(r.onNewAck(18_500, 20_000, 21_000, MSS, 0, SRTT), "full: recovery over");
        assertFalse(r.inRecovery());
        assertEquals(2_000, r.cwnd(), "min(ssthresh, flight 1,000 + MSS)");
        r.onNewAck(500, 20_500, 60_000, MSS, 0, SRTT);
        assertEquals(2_500, r.cwnd(), "slow start again below ssthresh");
    }

    @Test
    void aPartialAckNeverDeflatesBelowOneSegment() {
        NewReno r = afterThreeDupAcks(4_000, 0, 4_000);
        assertEquals(5_000, r.cwnd(), "2 MSS + 3 MSS");
        r.onNewAck(900, 900, 4_000, MSS, 0, SRTT);
        r.onNewAck(900, 1_800, 4_000, MSS, 0, SRTT);
        r.onNewAck(900, 2_700, 4_000, MSS, 0, SRTT);
        r.onNewAck(900, 3_600, 4_000, MSS, 0, SRTT);
        assertEquals(1_400, r.cwnd());
        r.onNewAck(300, 3_900, 4_000, MSS, 0, SRTT);
        assertEquals(1_100, r.cwnd());
        r.onNewAck(50, 3_950, 4_000, MSS, 0, SRTT);
        assertEquals(1_050, r.cwnd());
        r.cwnd = 1_020;
        r.onNewAck(40, 3_990, 4_000, MSS, 0, SRTT);
        assertEquals(MSS, r.cwnd());
    }

    @Test
    void aTimeoutLeavesOneSegmentAndHalfTheFlightAsThreshold() {
        NewReno r = afterThreeDupAcks(30_000, 0, 30_000);
        r.onTimeout(10_000, 30_000, MSS, 0);
        assertEquals(MSS, r.cwnd());
        assertEquals(10_000, r.ssthresh());
        assertFalse(r.inRecovery());
        r.onDupAck(10_000, 30_000, MSS, 0);
        r.onDupAck(10_000, 30_000, MSS, 0);
        assertFalse(r.onDupAck(10_000, 30_000, MSS, 0), "the timeout's recovery point holds off fast retransmit");
        r.onNewAck(20_000, 30_000, 50_000, MSS, 0, SRTT);
        for (int i = 0; i < 2; i++) {
            assertFalse(r.onDupAck(30_000, 50_000, MSS, 0));
        }
        assertTrue(r.onDupAck(30_000, 50_000, MSS, 0), "past the recovery point: the third counts again");
    }
}
