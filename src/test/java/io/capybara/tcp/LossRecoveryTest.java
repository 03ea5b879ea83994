package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import org.junit.jupiter.api.Test;

/**
 * The scoreboard on its own, with explicit times and exact figures: what RFC 6675 (pipe,
 * IsLost, NextSeg), RFC 8985 (RACK deadlines, reorder window, D-SACK rounds, TLP) and RFC 6937
 * (PRR) say each step must give. Segment k is [B + k * M, B + (k + 1) * M), sent at T + k us;
 * B sits just below 2^31 so the sequence numbers wrap inside the flight.
 */
class LossRecoveryTest {
    static final int M = 1000;
    static final int B = Integer.MAX_VALUE - 3499;
    static final long US = 1_000L;
    static final long MS = 1_000_000L;
    static final long T = 5_000_000_000L;

    static int seg(int k) {
        return B + k * M;
    }

    /** {@code n} segments, segment k sent at T + k us. */
    static LossRecovery sent(int n) {
        LossRecovery r = new LossRecovery();
        for (int k = 0; k < n; k++) {
            r.onSend(seg(k), seg(k + 1), T + k * US);
        }
        return r;
    }

    /** An ACK at {@code una} carrying SACK blocks given as [from, to) segment pairs. */
    static TcpSegment sackOf(int... blocks) {
        TcpSegment s = new TcpSegment();
        s.flags = TcpSegment.ACK;
        s.sackCount = blocks.length / 2;
        for (int i = 0; i < s.sackCount; i++) {
            s.sackLeft[i] = seg(blocks[2 * i]);
            s.sackRight[i] = seg(blocks[2 * i + 1]);
        }
        return s;
    }

    static boolean sack(LossRecovery r, int unaSeg, int sndMaxSeg, long now, int... blocks) {
        return r.sack(sackOf(blocks), seg(unaSeg), seg(sndMaxSeg), now);
    }

    @Test
    void pipeCountsSentMinusSackedMinusLostPlusRetransmittedOnce() {
        LossRecovery r = sent(10);
        assertEquals(0, new LossRecovery().pipe());
        assertEquals(10, r.count());
        assertEquals(10 * M, r.pipe());
        assertEquals(seg(3), r.start(3));
        assertEquals(seg(4), r.end(3));
        assertFalse(sack(r, 0, 10, T + 100 * US, 3, 5));
        assertEquals(2 * M, r.sackedBytes());
        assertEquals(LossRecovery.SACKED, r.flags(3));
        assertEquals(LossRecovery.SACKED, r.flags(4));
        assertEquals(0, r.flags(5));
        assertEquals(8 * M, r.pipe());
        // the same block again marks nothing twice
        sack(r, 0, 10, T + 101 * US, 3, 5);
        assertEquals(2 * M, r.sackedBytes());
        // three SACKed: no reorder window, so RACK loses everything sent before 6 (0, 1, 2, 5)
        sack(r, 0, 10, T + 200 * US, 6, 7);
        assertEquals(0, r.detectLoss(T + 200 * US, 100 * US, M));
        assertEquals(4 * M, r.lostBytes());
        assertEquals(10 * M - 3 * M - 4 * M, r.pipe());
        assertEquals(LossRecovery.LOST, r.flags(0));
        assertEquals(LossRecovery.LOST, r.flags(5));
        assertEquals(0, r.flags(7));
        assertEquals(0, r.nextLost());
        r.onRetransmit(0, T + 201 * US);
        assertEquals(LossRecovery.LOST | LossRecovery.RETRANS | LossRecovery.EVER_RETRANS, r.flags(0));
        int pipe = r.pipe();
        r.onRetransmit(0, T + 202 * US); // sent a third time: still one segment in the network
        assertEquals(pipe, r.pipe());
        assertEquals(1, r.nextLost(), "the next lost one not yet resent");
        r.onRetransmit(1, T + 203 * US);
        r.onRetransmit(2, T + 204 * US);
        assertEquals(5, r.nextLost());
        r.onRetransmit(5, T + 205 * US);
        assertEquals(-1, r.nextLost());
        assertEquals(10 * M - 3 * M - 4 * M + 4 * M, r.pipe());
    }

    @Test
    void rackLosesWhatWasSentBeforeTheLastDeliveredOnceItsRttAndTheReorderWindowPassed() {
        LossRecovery r = sent(10);
        // 3 and 4 SACKed at T + 100 us: RTTs 97 and 96 us, minRTT 96 us, window minRTT / 4 = 24 us
        sack(r, 0, 10, T + 100 * US, 3, 5);
        assertEquals(24 * US, r.reorderWindow(100 * US));
        assertEquals(10 * US, r.reorderWindow(10 * US), "at most SRTT");
        // 0, 1, 2 were sent before 4 and are lost at T + k us + 96 us + 24 us; two SACKed segments
        // (2,000 bytes, not more than 2 MSS) are not enough for RFC 6675
        assertEquals(22 * US, r.detectLoss(T + 100 * US, 100 * US, M), "until the last of them is due");
        assertEquals(0, r.lostBytes());
        assertEquals(1 * US, r.detectLoss(T + 121 * US, 100 * US, M));
        assertEquals(LossRecovery.LOST, r.flags(0));
        assertEquals(LossRecovery.LOST, r.flags(1), "exactly due is due");
        assertEquals(0, r.flags(2));
        assertEquals(2 * M, r.lostBytes());
        assertEquals(0, r.detectLoss(T + 122 * US, 100 * US, M));
        assertEquals(3 * M, r.lostBytes());
        assertEquals(0, r.flags(5), "sent after the delivered one: not judged");
        assertEquals(10 * M - 2 * M - 3 * M, r.pipe());
    }

    @Test
    void rfc6675CountsSackedSegmentsOrBytesAboveAHole() {
        LossRecovery r = sent(10);
        sack(r, 0, 10, T + 10 * US, 5, 7);
        assertFalse(r.isLost(seg(4), M), "two segments, 2 MSS: not lost");
        assertTrue(r.isLost(seg(4), 999), "2,000 bytes > 2 x 999");
        sack(r, 0, 10, T + 11 * US, 8, 9);
        assertTrue(r.isLost(seg(4), M), "three SACKed segments above");
        assertTrue(r.isLost(seg(0), M));
        assertFalse(r.isLost(seg(7), M), "only one SACKed above 7");
        assertFalse(r.isLost(seg(9), M));
    }

    @Test
    void acksRemoveRecordsWholeOrInPartAndKeepTheCounts() {
        LossRecovery r = sent(6);
        sack(r, 0, 6, T + 50 * US, 2, 3);
        r.ack(seg(1) + 300, T + 60 * US); // all of 0, 300 bytes of 1
        assertEquals(5, r.count());
        assertEquals(seg(1) + 300, r.start(0));
        assertEquals(6 * M - 1300 - M, r.pipe());
        r.ack(seg(2) + 500, T + 61 * US); // into the SACKed record 2
        assertEquals(4, r.count());
        assertEquals(seg(2) + 500, r.start(0));
        assertEquals(500, r.sackedBytes());
        r.ack(seg(3), T + 62 * US);
        assertEquals(0, r.sackedBytes());
        assertEquals(3, r.count());
        assertEquals(3 * M, r.pipe());
        r.ack(seg(6), T + 63 * US);
        assertEquals(0, r.count());
        assertEquals(0, r.pipe());
    }

    @Test
    void theRingGrowsPastItsFirstSizeWithTheHeadMoved() {
        LossRecovery r = sent(20);
        r.ack(seg(15), T + 100 * US);
        for (int k = 20; k < 100; k++) {
            r.onSend(seg(k), seg(k + 1), T + k * US);
        }
        assertEquals(85, r.count());
        for (int i = 0; i < 85; i++) {
            assertEquals(seg(15 + i), r.start(i), "record " + i);
            assertEquals(seg(16 + i), r.end(i));
        }
        assertEquals(85 * M, r.pipe());
        assertFalse(r.full());
    }

    @Test
    void aDsackWidensTheReorderWindowOncePerRoundAndSixteenRecoveriesNarrowItAgain() {
        LossRecovery r = sent(10);
        sack(r, 0, 10, T + 100 * US, 3, 4); // minRTT 97 us
        long one = 97 * US / 4;
        assertEquals(one, r.reorderWindow(1_000 * US));
        r.ack(seg(2), T + 101 * US);
        // a first block below SND.UNA is a D-SACK: it marks nothing
        assertTrue(sack(r, 2, 10, T + 102 * US, 0, 1));
        assertEquals(M, r.sackedBytes());
        assertEquals(2 * one, r.reorderWindow(1_000 * US));
        // another in the same round (SND.UNA below the SND.MAX of the first) does not widen it more
        assertTrue(sack(r, 2, 10, T + 103 * US, 1, 2));
        assertEquals(2 * one, r.reorderWindow(1_000 * US));
        // a first block inside the second is a D-SACK too
        r.ack(seg(5), T + 104 * US);
        r.onSend(seg(10), seg(11), T + 105 * US);
        assertTrue(sack(r, 5, 11, T + 106 * US, 6, 7, 6, 8));
        assertEquals(2 * one, r.reorderWindow(1_000 * US), "SND.UNA has not reached the round's end");
        r.ack(seg(10), T + 107 * US);
        assertTrue(sack(r, 10, 11, T + 108 * US, 9, 10));
        assertEquals(3 * one, r.reorderWindow(1_000 * US));
        assertEquals(50 * US, r.reorderWindow(50 * US), "at most SRTT");
        // sixteen recoveries without a D-SACK return the multiplier to one
        for (int i = 0; i < 16; i++) {
            assertEquals(3 * one, r.reorderWindow(1_000 * US), "recovery " + i);
            r.enterFast(seg(11), seg(10));
            assertTrue(r.exitIfDone(seg(11)));
        }
        assertEquals(one, r.reorderWindow(1_000 * US));
    }

    @Test
    void blocksBeyondSndMaxOrBelowUnaAfterTheFirstAreIgnoredAndInvertedOnesToo() {
        LossRecovery r = sent(6);
        // first block fine, second beyond SND.MAX, third stale (not first: not a D-SACK)
        assertFalse(r.sack(sackOf(4, 5, 5, 7, 0, 1), seg(1), seg(6), T + 50 * US));
        assertEquals(M, r.sackedBytes());
        TcpSegment inverted = sackOf(3, 2);
        assertFalse(r.sack(inverted, seg(1), seg(6), T + 51 * US));
        assertEquals(M, r.sackedBytes());
        // a block starting below SND.UNA marks from SND.UNA
        r.ack(seg(2), T + 52 * US);
        assertFalse(r.sack(sackOf(1, 4, 0, 0), seg(2), seg(6), T + 53 * US));
        assertEquals(3 * M, r.sackedBytes());
    }

    @Test
    void reorderingSeenKeepsTheWindowInRecoveryAndWithManySacked() {
        LossRecovery r = sent(10);
        sack(r, 0, 10, T + 100 * US, 5, 8); // three SACKed: window 0 without reordering
        assertEquals(0, r.reorderWindow(1_000 * US));
        sack(r, 0, 10, T + 110 * US, 2, 3); // delivered below the forward-most: reordering
        assertEquals(93 * US / 4, r.reorderWindow(1_000 * US), "minRTT 93 us (segment 7)");
        r.enterFast(seg(10), seg(0));
        assertEquals(93 * US / 4, r.reorderWindow(1_000 * US));
        LossRecovery fresh = sent(4);
        fresh.enterFast(seg(4), seg(0));
        assertEquals(0, fresh.reorderWindow(1_000 * US), "in recovery without reordering");
        LossRecovery unsampled = sent(4);
        assertEquals(1_000 * US / 4, unsampled.reorderWindow(1_000 * US), "SRTT / 4 before any RTT sample");
    }

    /**
     * 5 SACKed at T + 100 us (minRTT 95 us); 6 sent at T + 200 us, 1 resent at T + 300 us; then
     * 1 SACKed at {@code sackedAt} and loss detection run then (nothing newly lost either way).
     */
    private static LossRecovery resentAndSackedAt(long sackedAt) {
        LossRecovery r = sent(6);
        sack(r, 0, 6, T + 100 * US, 5, 6);
        r.onSend(seg(6), seg(7), T + 200 * US);
        r.onRetransmit(1, T + 300 * US);
        sack(r, 0, 7, sackedAt, 1, 2, 5, 6);
        assertEquals(0, r.detectLoss(sackedAt, 1_000 * US, M));
        assertEquals(LossRecovery.LOST, r.flags(0));
        return r;
    }

    @Test
    void aCleanBoardSkipsRackOnlyWhileNothingLeftWasSentBeforeTheLastDelivered() {
        // SackSender.onAck takes its short path when clean() and noneOverdue(): then detectLoss
        // must have nothing to do, and where it does, noneOverdue() must say so
        LossRecovery r = sent(4);
        r.ack(seg(1), T + 5 * US); // segment 0 delivered: minRTT 5 us
        assertTrue(r.clean());
        assertTrue(r.noneOverdue(), "segments 1-3 went after segment 0");
        assertEquals(0, r.detectLoss(T + 1_000 * US, 100 * US, M));
        assertEquals(0, r.lostBytes());

        r.onRetransmit(0, T + 20 * US); // segment 1 resent, then its ACK: RACK's time is now T + 20 us
        assertFalse(r.clean());
        r.ack(seg(2), T + 30 * US);
        assertTrue(r.clean(), "nothing SACKed, lost or resent is left");
        assertFalse(r.noneOverdue(), "segment 2 was sent at T + 2 us, before the resent one");
        assertEquals(0, r.detectLoss(T + 100 * US, 100 * US, M));
        assertEquals(2 * M, r.lostBytes(), "RACK loses segments 2 and 3");
    }

    @Test
    void aRetransmissionDeliveredSoonerThanMinRttIsAmbiguousAndTeachesRackNothing() {
        // 1 SACKed 10 us after its resend: sooner than minRTT, may be the original's: ignored,
        // so 6 (sent after the last delivered 5) is not judged
        LossRecovery r = resentAndSackedAt(T + 310 * US);
        assertEquals(0, r.flags(6), "not judged against the ambiguous delivery");
        // the same, delivered exactly minRTT after the resend: a real sample, RACK moves to the
        // resend, and 6, sent before it and overdue, is lost
        LossRecovery q = resentAndSackedAt(T + 395 * US);
        assertEquals(LossRecovery.LOST, q.flags(6));
    }

    @Test
    void prrSendsInProportionAboveSsthreshAndUpToItBelow() {
        LossRecovery r = sent(10);
        r.enterFast(seg(10), seg(0)); // RecoverFS 10,000
        assertTrue(r.inFastRecovery());
        assertTrue(r.inRecovery());
        assertEquals(seg(10), r.recoveryPoint());
        sack(r, 0, 10, T + 100 * US, 1, 2);
        // first ACK: nothing sent yet, the fast retransmit goes out whatever PRR says
        assertEquals(9 * M + M, r.prrWindow(M, 3_333, M));
        r.onRetransmit(0, T + 101 * US); // prr_out 1,000
        sack(r, 0, 10, T + 102 * US, 1, 3);
        // pipe 8,000 + 1,000 resent = 9,000 > ssthresh: ceil(2,000 * 3,333 / 10,000) - 1,000 = 667 - 1,000 < 0
        assertEquals(9 * M, r.prrWindow(M, 3_333, M));
        sack(r, 0, 10, T + 103 * US, 1, 6);
        // prr_delivered 5,000: ceil(5,000 * 3,333 / 10,000) = ceil(1,666.5) = 1,667; minus 1,000
        assertEquals(6 * M + 667, r.prrWindow(3 * M, 3_333, M));
        r.onNewDataSent(500); // counted in prr_out while in fast recovery
        sack(r, 0, 10, T + 104 * US, 1, 7);
        // 6,000 * 3,333 / 10,000 = 1,999.8 -> 2,000; minus 1,500
        assertEquals(5 * M + 500, r.prrWindow(M, 3_333, M));
        // below ssthresh: up to ssthresh, at most what was delivered beyond what was sent, plus 1 MSS
        sack(r, 0, 10, T + 105 * US, 1, 10);
        assertEquals(2 * M, r.pipe(), "0 is out and counted again as resent (Linux's pipe)");
        // prr_delivered 9,000 - prr_out 1,500 = 7,500 (> 3,000 delivered now) + 1 MSS = 8,500;
        // ssthresh - pipe = 3,000 is less
        assertEquals(5_000, r.prrWindow(3 * M, 5_000, M));
        assertEquals(3_000, r.prrWindow(0, 3_000, M), "ssthresh - pipe");
        assertEquals(2 * M + 8_500, r.prrWindow(0, 20_000, M), "prr_delivered - prr_out + 1 MSS");
    }

    @Test
    void prrBelowSsthreshIsBoundedByWhatThisAckDeliveredWhenMoreWasSent() {
        LossRecovery r = sent(10);
        r.enterFast(seg(10), seg(0));
        for (int i = 0; i < 5; i++) {
            r.onNewDataSent(M); // prr_out 5,000 already
        }
        sack(r, 0, 10, T + 100 * US, 1, 10);
        // pipe 1,000 <= ssthresh; prr_delivered - prr_out = 4,000 < 9,000 delivered now: 9,000 + 1 MSS
        assertEquals(M + 10_000, r.prrWindow(9 * M, 20_000, M));
        LossRecovery q = sent(10);
        q.enterFast(seg(10), seg(0));
        for (int i = 0; i < 5; i++) {
            q.onNewDataSent(M);
        }
        sack(q, 0, 10, T + 100 * US, 1, 10);
        assertEquals(M + 2 * M, q.prrWindow(M, 8_000, M), "max(4,000 - 5,000, 1,000) + 1,000");
    }

    @Test
    void rescueOncePerFastRecoveryUnlessTheTopIsSackedOrResent() {
        LossRecovery r = sent(5);
        assertEquals(-1, r.rescue(), "not in recovery");
        r.enterFast(seg(5), seg(0));
        assertEquals(4, r.rescue());
        assertEquals(-1, r.rescue(), "once");
        r.enterFast(seg(5), seg(0));
        assertEquals(4, r.rescue(), "again in the next recovery");
        LossRecovery sacked = sent(5);
        sack(sacked, 0, 5, T + 10 * US, 4, 5);
        sacked.enterFast(seg(5), seg(0));
        assertEquals(-1, sacked.rescue());
        LossRecovery resent = sent(5);
        resent.onRetransmit(4, T + 10 * US);
        resent.enterFast(seg(5), seg(0));
        assertEquals(-1, resent.rescue());
        LossRecovery empty = new LossRecovery();
        empty.enterFast(seg(0), seg(0));
        assertEquals(-1, empty.rescue());
    }

    @Test
    void aTimeoutLosesEverythingNotSackedAndARenegingReceiverLosesItsSacks() {
        LossRecovery r = sent(6);
        sack(r, 0, 6, T + 10 * US, 2, 4);
        r.onRetransmit(0, T + 20 * US);
        r.enterRto(seg(6));
        assertEquals(LossRecovery.RTO, r.phase());
        assertTrue(r.inRecovery());
        assertFalse(r.inFastRecovery());
        assertEquals(4 * M, r.lostBytes());
        assertEquals(2 * M, r.sackedBytes());
        assertEquals(0, r.pipe());
        assertEquals(LossRecovery.LOST | LossRecovery.EVER_RETRANS, r.flags(0));
        assertEquals(0, r.nextLost());
        assertFalse(r.exitIfDone(seg(5)));
        assertFalse(r.exitIfDone(seg(6)), "ends, but it was no fast recovery");
        assertEquals(LossRecovery.OPEN, r.phase());
        assertFalse(r.exitIfDone(seg(6)));

        LossRecovery reneged = sent(4);
        sack(reneged, 0, 4, T + 10 * US, 0, 1); // SACKed at SND.UNA: the receiver dropped it later
        sack(reneged, 0, 4, T + 10 * US, 2, 3);
        reneged.enterRto(seg(4));
        assertEquals(0, reneged.sackedBytes());
        assertEquals(4 * M, reneged.lostBytes());
        for (int i = 0; i < 4; i++) {
            assertEquals(LossRecovery.LOST, reneged.flags(i));
        }
    }

    @Test
    void fastRecoveryEndsOnlyWhenTheAckCoversTheRecoveryPoint() {
        LossRecovery r = sent(4);
        assertFalse(r.exitIfDone(seg(4)), "not in recovery");
        r.enterFast(seg(4), seg(0));
        assertFalse(r.exitIfDone(seg(3)));
        assertTrue(r.inFastRecovery());
        assertTrue(r.exitIfDone(seg(4)));
        assertFalse(r.inRecovery());
    }

    @Test
    void probeTimeoutIsTwoSrttPlusLinuxSlackOrTheDelayedAckForOneSegmentAtMostTheRto() {
        LossRecovery one = sent(1);
        LossRecovery two = sent(2);
        long rto = 1_000 * MS;
        assertEquals(42 * MS, two.probeTimeout(20 * MS, rto), "2 SRTT + 2 ms");
        assertEquals(40 * MS + LossRecovery.WORST_CASE_DELACK_NANOS, one.probeTimeout(20 * MS, rto));
        assertEquals(2 * MS + LossRecovery.PTO_SLACK_NANOS, two.probeTimeout(1 * MS, rto), "no 10 ms floor");
        assertEquals(2_100 * US, two.probeTimeout(50 * US, rto), "a LAN path: about 2.1 ms, as Linux");
        assertEquals(14 * MS, two.probeTimeout(6 * MS, rto));
        assertEquals(100 * MS, two.probeTimeout(80 * MS, 100 * MS), "at most the RTO");
        assertEquals(1_000 * MS, two.probeTimeout(0, 2_000 * MS), "no SRTT yet: one second");
    }

    @Test
    void aProbeEpisodeEndsAsRfc8985Section74Says() {
        LossRecovery r = sent(3);
        assertTrue(r.mayProbe());
        assertFalse(new LossRecovery().mayProbe(), "nothing in flight");
        // a resent probe: an ACK beyond it without a D-SACK means it repaired a loss, once
        r.onProbe(seg(3), true);
        assertFalse(r.mayProbe());
        assertFalse(r.probeAcked(seg(2), true), "not covered yet");
        assertTrue(r.probeOutstanding());
        assertFalse(r.probeAcked(seg(3), true), "up to its end: the original may have arrived too");
        assertTrue(r.probeOutstanding(), "undecided");
        assertTrue(r.probeAcked(seg(4), true));
        assertFalse(r.probeOutstanding());
        assertTrue(r.mayProbe());
        assertFalse(r.probeAcked(seg(4), true), "answered once");
        // a D-SACK for the probe: both arrived
        r.onProbe(seg(3), true);
        sack(r, 3, 4, T + 50 * US, 2, 3);
        assertFalse(r.probeAcked(seg(3), false));
        assertFalse(r.probeOutstanding());
        // a D-SACK for another segment says nothing about the probe
        r.onProbe(seg(3), true);
        sack(r, 3, 4, T + 51 * US, 1, 2);
        assertFalse(r.probeAcked(seg(3), true));
        assertTrue(r.probeOutstanding());
        // a pure duplicate ACK at its end: both arrived
        assertFalse(r.probeAcked(seg(3), false));
        assertFalse(r.probeOutstanding());
        // a probe of new data: its ACK ends the episode, no loss shown
        r.onProbe(seg(3), false);
        assertFalse(r.probeAcked(seg(3), true));
        assertFalse(r.probeOutstanding());
        // the cumulative ACK itself does not end an episode (7.4 decides)
        r.onProbe(seg(3), true);
        r.ack(seg(3), T + 60 * US);
        assertTrue(r.probeOutstanding());
        r.onSend(seg(3), seg(4), T + 62 * US);
        assertFalse(r.mayProbe(), "still outstanding");
        r.enterFast(seg(4), seg(3));
        assertFalse(r.mayProbe(), "not in recovery");
        r.timerKind(LossRecovery.TIMER_PROBE);
        assertEquals(LossRecovery.TIMER_PROBE, r.timerKind());
    }

    /**
     * RFC 8985 7.2: a probe only while no segment is SACKed. With one SACKed (here the last,
     * above a hole too small to deem a loss) RACK's reorder timer finds the loss, and a probe
     * would resend a segment the peer holds: SACKED and RETRANS at once, which a snapshot of the
     * board refuses as corrupt. Once the hole is filled and the board empties, probes may go.
     */
    @Test
    void noProbeWhileASegmentIsSacked() {
        LossRecovery r = sent(3);
        assertTrue(r.mayProbe());
        sack(r, 0, 3, T + 50 * US, 2, 3);
        assertEquals(M, r.sackedBytes());
        assertFalse(r.mayProbe(), "a SACKed segment on the board");
        r.ack(seg(3), T + 60 * US);
        r.onSend(seg(3), seg(4), T + 61 * US);
        assertTrue(r.mayProbe(), "the board holds no SACKed segment again");
    }

    @Test
    void enteringRecoveryEndsAProbeEpisode() {
        LossRecovery r = sent(3);
        r.onProbe(seg(3), true);
        r.enterFast(seg(3), seg(0));
        assertFalse(r.probeOutstanding());
        assertFalse(r.probeAcked(seg(4), true));
        LossRecovery q = sent(3);
        q.onProbe(seg(3), true);
        q.enterRto(seg(3));
        assertFalse(q.probeOutstanding());
        assertFalse(q.probeAcked(seg(4), true));
    }

    @Test
    void stampsWithinOneInstantKeepTheSendOrder() {
        // three segments at the same time: the third is "sent after" the first for RACK
        LossRecovery r = new LossRecovery();
        for (int k = 0; k < 3; k++) {
            r.onSend(seg(k), seg(k + 1), T);
        }
        sack(r, 0, 3, T + 100 * US, 2, 3); // RTT 100 us - 2 ns
        // segments 0 and 1 got stamps T and T + 1 ns: due at their stamp + RTT + window
        long wnd = r.reorderWindow(1_000 * US);
        assertEquals((100 * US - 2) / 4, wnd);
        long wait = r.detectLoss(T + 100 * US, 1_000 * US, M);
        assertEquals(wnd - 1, wait, "segment 1 (stamp T + 1 ns) is the last due, 1 ns before the window ends");
    }

    @Test
    void recordsAlreadyLostWaitForTheirRepairNotForRack() {
        // reordering seen (3 SACKed after 5): the window is minRTT / 4 = 23.75 us
        LossRecovery r = sent(6);
        sack(r, 0, 6, T + 100 * US, 5, 6);
        sack(r, 0, 6, T + 100 * US, 3, 4, 5, 6);
        assertEquals(95 * US / 4, r.reorderWindow(1_000 * US));
        r.enterRto(seg(6)); // 0, 1, 2, 4 lost by the timeout, not yet resent
        assertEquals(4 * M, r.lostBytes());
        // RACK has nothing left to judge or to wait for: lost records wait for their repair
        assertEquals(0, r.detectLoss(T + 100 * US, 1_000 * US, M));
        assertEquals(4 * M, r.lostBytes());
    }

    @Test
    void dupThreshSackedSegmentsMakeAHoleLostWithoutAnRttSample() {
        // 1, 2 and 3 were resent (a probe, say) before any RTT sample: their SACKs are ambiguous
        // and give RACK nothing; RFC 6675 still counts three SACKed segments above 0
        LossRecovery r = sent(5);
        for (int k = 1; k <= 3; k++) {
            r.onRetransmit(k, T + 50 * US);
        }
        sack(r, 0, 5, T + 60 * US, 1, 4);
        // 3,000 SACKed bytes are not more than 2 x 2,000: the count decides
        assertEquals(0, r.detectLoss(T + 60 * US, 1_000 * US, 2 * M));
        assertEquals(LossRecovery.LOST, r.flags(0));
        assertEquals(M, r.lostBytes());
        assertEquals(0, r.flags(4), "nothing SACKed above 4");
    }

    @Test
    void aTimeoutWithAnEmptyScoreboardIsHarmless() {
        LossRecovery r = new LossRecovery();
        r.enterRto(seg(0));
        assertEquals(0, r.pipe());
        assertEquals(-1, r.nextLost());
        assertFalse(r.exitIfDone(seg(0)));
    }

    @Test
    void prrRoundsItsShareUpOnlyWhenItIsNotWhole() {
        LossRecovery r = sent(10);
        r.enterFast(seg(10), seg(0)); // RecoverFS 10,000
        r.onRetransmit(0, T + 10 * US); // prr_out 1,000
        sack(r, 0, 10, T + 20 * US, 1, 5);
        // pipe 6,000 + 1,000 resent > ssthresh 5,000: 4,000 * 5,000 / 10,000 = 2,000 exactly, minus 1,000
        assertEquals(7 * M + 1_000, r.prrWindow(4 * M, 5_000, M));
    }

    @Test
    void aPartialAckIntoALostRecordTakesItsBytesOffTheLostCount() {
        LossRecovery r = sent(4);
        r.enterRto(seg(4)); // all four lost
        assertEquals(4 * M, r.lostBytes());
        r.onRetransmit(0, T + 10 * US);
        r.ack(seg(1) + 400, T + 20 * US); // 0 whole, 400 bytes of 1
        assertEquals(3 * M - 400, r.lostBytes());
        assertEquals(0, r.pipe(), "what is left is lost and not resent");
        r.onRetransmit(0, T + 30 * US); // record 0 is now the rest of 1
        r.ack(seg(1) + 700, T + 40 * US);
        assertEquals(2 * M + 300, r.lostBytes(), "the resent rest of 1 stays marked lost until acknowledged");
        assertEquals(300, r.pipe(), "the resent rest of 1, still out");
    }

    @Test
    void isLostCountsDupThreshSegmentsEvenWhenTheirBytesAreFew() {
        LossRecovery r = sent(4);
        sack(r, 0, 4, T + 10 * US, 1, 4);
        // three SACKed segments, 3,000 bytes: not more than 2 x 2,000, so the count decides
        assertTrue(r.isLost(seg(0), 2 * M));
        assertTrue(r.isLost(seg(1) - 1, 2 * M));
        assertFalse(r.isLost(seg(1), 2 * M), "two above 1");
        // the lowest record counts too when it lies above the asked sequence number
        LossRecovery q = sent(3);
        sack(q, 0, 3, T + 10 * US, 0, 3);
        assertTrue(q.isLost(seg(0) - 1, 2 * M));
        assertFalse(q.isLost(seg(0), 2 * M));
    }
}
