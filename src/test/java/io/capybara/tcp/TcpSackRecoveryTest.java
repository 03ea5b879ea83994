package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The sender's loss recovery, rule by rule, as connection scenarios with explicit time: A
 * sends, the test plays B's ACKs (with SACK blocks) by hand and looks at what A emits.
 * RFC 6675 (scoreboard, IsLost, pipe, NextSeg, rescue retransmission), RFC 8985 (RACK reorder
 * window and timer, TLP), RFC 6937 (PRR), RFC 9438 (CUBIC) and NewReno per connection.
 */
class TcpSackRecoveryTest {
    static final long MS = 1_000_000L;
    static final long US = 1_000L;

    /** A warmed-up sender (cwnd well above 20 segments) with the wire cut: B is played by hand. */
    static final class Rig {
        final TcpPair p;
        final TcpConnection a;
        final int mss;
        /** SND.NXT when the scenario starts: segment k is [base + k * mss, base + (k + 1) * mss). */
        int base;
        /** The window B's hand-played ACKs advertise (before scaling). */
        int window = 65535;
        /** Counters after the warm-up (whose tail may hold a tail loss probe: 40 ms delayed ACKs). */
        private final long probes0;
        private final long dsacks0;
        private final long rexmit0;
        private final long timeouts0;

        Rig(TcpConfig cfg) {
            p = new TcpPair(5, cfg).open(1000, 2000);
            byte[] warm = TcpBasicsTest.data(5, 400_000);
            p.a.toSend = warm;
            assertTrue(p.runUntil(() -> p.b.received.size() == warm.length, p.now + 10_000 * MS));
            p.runFor(500 * MS);
            a = p.a.conn;
            mss = a.sendMss();
            assertTrue(a.congestionWindow() >= 30 * mss, "cwnd " + a.congestionWindow());
            assertEquals(a.sndUna(), a.sndNxt());
            p.a.outbox.clear();
            base = a.sndNxt();
            probes0 = a.stats().lossProbes();
            dsacks0 = a.stats().dsacksIn();
            rexmit0 = a.stats().retransmits();
            timeouts0 = a.stats().timeouts();
        }

        long probes() {
            return a.stats().lossProbes() - probes0;
        }

        long dsacks() {
            return a.stats().dsacksIn() - dsacks0;
        }

        long retransmits() {
            return a.stats().retransmits() - rexmit0;
        }

        long timeouts() {
            return a.stats().timeouts() - timeouts0;
        }

        /** The application queues {@code segments} full segments now; returns what A sent. */
        List<Captured> write(int segments) {
            a.send(new UnsafeBuffer(new byte[segments * mss]), 0, segments * mss, p.now);
            return drain();
        }

        List<Captured> drain() {
            List<Captured> out = new ArrayList<>(p.a.outbox);
            p.a.outbox.clear();
            return out;
        }

        /** B's ACK up to segment {@code ackSeg}, with SACK blocks given as [from, to) segment pairs. */
        List<Captured> ack(int ackSeg, int... blocks) {
            return ackBytes(base + ackSeg * mss, blocks);
        }

        List<Captured> ackBytes(int ack, int... blocks) {
            TcpSegment s = new TcpSegment();
            s.srcIp = TcpPair.IP_B;
            s.dstIp = TcpPair.IP_A;
            s.srcPort = TcpPair.PORT_B;
            s.dstPort = TcpPair.PORT_A;
            s.seq = p.b.conn.sndNxt();
            s.ack = ack;
            s.flags = TcpSegment.ACK;
            s.window = window;
            s.sackCount = blocks.length / 2;
            for (int i = 0; i < s.sackCount; i++) {
                s.sackLeft[i] = base + blocks[2 * i] * mss;
                s.sackRight[i] = base + blocks[2 * i + 1] * mss;
            }
            a.onSegment(s, p.now);
            return drain();
        }

        /** Advances time to {@code t}, running A's timers that fall due; returns what A sent. */
        List<Captured> advanceTo(long t) {
            while (a.nextDeadline() <= t) {
                p.now = Math.max(p.now, a.nextDeadline());
                a.onTimer(p.now);
            }
            p.now = t;
            return drain();
        }

        /** Segment numbers of the data segments in {@code out}. */
        int[] segs(List<Captured> out) {
            return out.stream().filter(c -> c.len() > 0).mapToInt(c -> (c.seq - base) / mss).toArray();
        }

        LossRecovery board() {
            return a.lossRecovery();
        }
    }

    private static TcpConfig cfg() {
        return TcpConfig.defaults().withBuffers(1 << 20, 1 << 20);
    }

    // ------------------------------------------------------------------ RFC 6675

    @Test
    void scoreboardMarksSackedSegmentsAndIgnoresDsackStaleAndForgedBlocks() {
        Rig r = new Rig(cfg());
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, r.segs(r.write(10)));
        LossRecovery b = r.board();
        assertEquals(10, b.count());
        assertEquals(10 * r.mss, b.pipe());
        r.p.now += 100 * US;
        r.ack(0, 2, 4); // segments 2 and 3 SACKed
        assertEquals(LossRecovery.SACKED, b.flags(2));
        assertEquals(LossRecovery.SACKED, b.flags(3));
        assertEquals(0, b.flags(1));
        assertEquals(2 * r.mss, b.sackedBytes());
        assertEquals(8 * r.mss, b.pipe());
        // a D-SACK (first block below the ACK), a block beyond SND.MAX: nothing more marked
        r.ack(1, -1, 0, 12, 14);
        assertEquals(1, r.dsacks());
        assertEquals(2 * r.mss, b.sackedBytes());
        // the cumulative ACK takes segments 0..3 off the board, SACKed ones included
        r.ack(4);
        assertEquals(6, b.count());
        assertEquals(0, b.sackedBytes());
        assertEquals(6 * r.mss, b.pipe());
        assertEquals(0, r.retransmits());
    }

    @Test
    void isLostNeedsDupThreshSegmentsOrMoreThanTwoSegmentsOfBytesAbove() {
        Rig r = new Rig(cfg());
        r.write(10);
        r.p.now += 100 * US;
        // two SACKed segments above segment 0: not lost yet (and no retransmission)
        assertEquals(0, r.segs(r.ack(0, 1, 3)).length);
        assertFalse(r.board().isLost(r.base, r.mss));
        assertFalse(r.a.inFastRecovery());
        // a third: segment 0 is lost, retransmitted at once, fast recovery begins; the application
        // has nothing more to send, so the rescue retransmission (rule 4) resends the tail
        assertArrayEquals(new int[]{0, 9}, r.segs(r.ack(0, 1, 4)));
        assertTrue(r.board().isLost(r.base, r.mss));
        assertTrue(r.a.inFastRecovery());
        assertEquals(1, r.a.stats().fastRetransmits());
        // by bytes: 2 SMSS + 1 SACKed above a sequence number is lost too, 2 SMSS is not
        assertTrue(r.board().isLost(r.base + r.mss - 1, r.mss));
        assertFalse(r.board().isLost(r.base + 2 * r.mss, r.mss));
    }

    @Test
    void pipeCountsWhatIsInTheNetwork() {
        Rig r = new Rig(cfg());
        r.write(10);
        r.p.now += 100 * US;
        r.ack(0, 2, 6); // 0 and 1 lost (4 SACKed above each), 2..5 SACKed, 6..9 outstanding
        LossRecovery b = r.board();
        assertEquals(2 * r.mss, b.lostBytes());
        // out 10 - SACKed 4 - lost 2 + retransmitted (those already resent)
        int resent = (int) r.retransmits();
        assertTrue(resent >= 1);
        assertEquals((10 - 4 - 2 + resent) * r.mss, b.pipe());
    }

    @Test
    void nextSegRepairsHolesLowestFirstThenSendsNewData() {
        Rig r = new Rig(cfg());
        r.write(20);
        r.p.now += 100 * US;
        // holes at 0, 3 and 7, everything else up to 12 SACKed: all three are lost (IsLost)
        assertArrayEquals(new int[]{0, 3, 7, 19}, r.segs(r.ack(0, 1, 3, 4, 7, 8, 13)),
                "rule (1), lowest first, then (nothing new to send) the rescue of the tail, rule (4)");
        assertEquals(-1, r.board().nextLost());
        // new data from the application: rule (2), nothing repaired twice
        int[] fresh = r.segs(r.write(5));
        assertArrayEquals(new int[]{20, 21, 22, 23, 24}, fresh);
    }

    @Test
    void rescueRetransmissionRepairsALostTailOncePerRecovery() {
        Rig r = new Rig(cfg());
        r.write(10);
        r.p.now += 100 * US;
        // 0 lost and 9 lost at the tail; 1..8 SACKed; the application has nothing more to send
        List<Captured> out = r.ack(0, 1, 9);
        int[] sent = r.segs(out);
        assertEquals(0, sent[0]);
        assertArrayEquals(new int[]{0, 9}, sent, "hole, then the rescue retransmission of the tail");
        assertEquals(0, r.timeouts());
        // a second ACK in the same recovery sends no second rescue
        assertEquals(0, r.segs(r.ack(0, 1, 9)).length);
        // the repairs arrive: recovery ends, nothing lost
        r.p.now += 100 * US;
        r.ack(10);
        assertFalse(r.a.inFastRecovery());
        assertEquals(0, r.board().count());
    }

    @Test
    void nextSegRule3RetransmitsAHoleNotYetLostWhenNoNewDataMayGo() {
        Rig r = new Rig(cfg());
        long t0 = r.p.now;
        r.write(4); // 0..3 at t0
        r.p.now = t0 + 1 * MS;
        r.write(6); // 4..9 a millisecond later
        r.p.now = t0 + 1200 * US;
        r.ack(0, 2, 3);
        r.ack(0, 1, 3); // 1 delivered after 2: reordering seen, RACK's window opens
        long srtt = r.a.smoothedRttNanos();
        long window = r.board().reorderWindow(srtt);
        assertTrue(window > 0 && window < 1 * MS, "window " + window);
        // 9 delivered: 0 and 3, sent a millisecond before it, are lost; 4..8, sent just before
        // it, are within the reorder window. Rule (1) repairs 0 and 3 as PRR allows.
        assertArrayEquals(new int[]{0, 3}, r.segs(r.ack(0, 1, 3, 9, 10)));
        assertTrue(r.a.inFastRecovery());
        assertEquals(2 * r.mss, r.board().lostBytes());
        // nothing lost is left and the application has nothing new: rule (3) sends the lowest
        // hole above the highest retransmission (3) and below the highest SACK (9), one per
        // segment of room PRR gives, each once
        assertArrayEquals(new int[]{4}, r.segs(r.ack(0, 1, 3, 9, 10)), "rule (3): 4, not yet lost");
        assertArrayEquals(new int[]{5}, r.segs(r.ack(0, 1, 3, 9, 10)));
        assertEquals(2 * r.mss, r.board().lostBytes(), "holes resent by rule (3) are not marked lost");
        assertEquals(4, r.retransmits());
        // new data queued (PRR has no room for it now): on the next ACK rule (2) comes before (3)
        assertEquals(0, r.segs(r.write(1)).length);
        assertArrayEquals(new int[]{10}, r.segs(r.ack(0, 1, 3, 9, 10)));
        assertEquals(0, r.timeouts());
    }

    // ------------------------------------------------------------------ RFC 8985 RACK

    @Test
    void rackWaitsOutTheReorderWindowOnceReorderingWasSeenThenTheTimerRepairs() {
        Rig r = new Rig(cfg());
        long t0 = r.p.now;
        r.write(10);
        long rtt = 200 * US;
        r.p.now = t0 + rtt;
        r.ack(0, 2, 3); // 2 delivered
        r.ack(0, 1, 3); // then 1, sent before it: reordering seen
        long srtt = r.a.smoothedRttNanos();
        assertTrue(r.board().reorderWindow(srtt) > 0, "reorder window opens once reordering was seen");
        // 3..6 delivered too: with reordering seen, segment 0 is not lost before t0 + RTT + window
        assertEquals(0, r.segs(r.ack(0, 1, 7)).length);
        assertFalse(r.a.inFastRecovery());
        long window = r.board().reorderWindow(srtt);
        long due = t0 + rtt + window;
        // (segments sent in one burst are stamped a nanosecond apart, so "sent after" is exact)
        assertTrue(Math.abs(r.a.nextDeadline() - due) <= 10, "the reorder timer is armed for segment 0");
        due = r.a.nextDeadline();
        assertEquals(0, r.segs(r.advanceTo(due - 1)).length);
        assertArrayEquals(new int[]{0}, r.segs(r.advanceTo(due)));
        assertTrue(r.a.inFastRecovery());
    }

    @Test
    void rackWindowIsZeroInRecoveryWithoutReorderingAndALostRetransmissionIsRepairedAgain() {
        Rig r = new Rig(cfg());
        long t0 = r.p.now;
        r.write(10);
        long srtt = r.a.smoothedRttNanos();
        assertTrue(r.board().reorderWindow(srtt) > 0, "fewer than DupThresh SACKed, no recovery: min_RTT / 4");
        r.p.now = t0 + 200 * US;
        assertArrayEquals(new int[]{0, 9}, r.segs(r.ack(0, 1, 4)), "the repair and the rescue");
        assertEquals(0, r.board().reorderWindow(srtt), "in recovery without reordering: 0");
        // the retransmission of 0 is lost as well; new data 10 and 11 go out after it
        r.p.now = t0 + 400 * US;
        assertArrayEquals(new int[]{10, 11}, r.segs(r.write(2)));
        // they are delivered (sent after the retransmission, an RTT ago): 0 is lost again
        r.p.now = t0 + 600 * US;
        assertArrayEquals(new int[]{0}, r.segs(r.ack(0, 1, 12)), "RACK: the lost retransmission is sent again");
        assertEquals(3, r.retransmits());
        assertEquals(0, r.timeouts());
    }

    @Test
    void tailLossProbeResendsTheLastSegmentAfterTwoSrtt() {
        Rig r = new Rig(cfg());
        long t0 = r.p.now;
        r.write(10);
        r.p.now = t0 + 200 * US;
        r.ack(5); // 0..4 delivered, then silence: 5..9 lost at the tail
        long srtt = r.a.smoothedRttNanos();
        long pto = 2 * srtt + LossRecovery.PTO_SLACK_NANOS;
        assertEquals(r.p.now + pto, r.a.nextDeadline());
        List<Captured> probe = r.advanceTo(r.p.now + pto);
        assertArrayEquals(new int[]{9}, r.segs(probe), "the probe resends the highest segment");
        assertEquals(1, r.probes());
        assertEquals(0, r.timeouts());
        // its ACK SACKs 9: RACK marks 5..8 (sent before it) lost and recovery repairs them from
        // the lowest, as PRR allows, without a timeout
        r.p.now += 200 * US;
        int[] repairs = r.segs(r.ack(5, 9, 10));
        assertTrue(repairs.length >= 1 && repairs[0] == 5, java.util.Arrays.toString(repairs));
        assertTrue(r.a.inFastRecovery());
        assertEquals(4 * r.mss, r.board().lostBytes());
    }

    /** The probe resends the last data segment with the FIN that followed it (RFC 8985 7.3). */
    @Test
    void aProbeOfTheLastSegmentCarriesTheFinAgain() {
        Rig r = new Rig(cfg());
        r.write(3);
        r.a.close(r.p.now);
        List<Captured> fin = r.drain();
        assertEquals(1, fin.size());
        assertEquals(r.base + 3 * r.mss, fin.get(0).seq);
        assertTrue((fin.get(0).flags & TcpSegment.FIN) != 0 && fin.get(0).len() == 0, "a bare FIN after the data");
        r.p.now += 200 * US;
        r.ack(1); // 1 and 2 and the FIN are lost at the tail
        List<Captured> probe = r.advanceTo(r.a.nextDeadline());
        assertEquals(1, r.probes());
        assertEquals(1, probe.size());
        assertEquals(r.base + 2 * r.mss, probe.get(0).seq, "the highest data segment");
        assertEquals(r.mss, probe.get(0).len());
        assertTrue((probe.get(0).flags & TcpSegment.FIN) != 0, "with the FIN: its sequence number follows the data");
    }

    @Test
    void probeTimeoutIsTwoSrttPlusLinuxSlackWithSeveralSegmentsOutAndPlusTheDelayedAckWithOne() {
        Rig r = new Rig(cfg());
        long t0 = r.p.now;
        r.write(3);
        long srtt = r.a.smoothedRttNanos();
        assertTrue(srtt < 1 * MS, "a LAN path: srtt " + srtt);
        long pto = 2 * srtt + LossRecovery.PTO_SLACK_NANOS;
        assertTrue(pto < 5 * MS, "2 SRTT + 2 ms, not a 10 ms floor: " + pto);
        assertEquals(t0 + pto, r.a.nextDeadline());
        r.p.now = t0 + 200 * US;
        r.ack(2); // one segment left in flight: the peer may hold its ACK back (WCDelAckT)
        srtt = r.a.smoothedRttNanos();
        long one = Math.min(2 * srtt + LossRecovery.WORST_CASE_DELACK_NANOS, r.a.retransmissionTimeoutNanos());
        assertEquals(r.p.now + one, r.a.nextDeadline());
        // nothing happens before it; at it the probe resends segment 2 (or the RTO does, if sooner)
        assertEquals(0, r.segs(r.advanceTo(r.p.now + one - 1)).length);
        assertArrayEquals(new int[]{2}, r.segs(r.advanceTo(r.p.now + 1)));
    }

    /**
     * Ten segments, 0..7 acknowledged, then silence with 8 and 9 outstanding and nothing new to
     * send: the probe resends 9. Returns the congestion window before the probe.
     */
    private static int probeTheTail(Rig r) {
        long t0 = r.p.now;
        r.write(10);
        r.p.now = t0 + 200 * US;
        r.ack(8);
        int cwnd = r.a.congestionWindow();
        assertArrayEquals(new int[]{9}, r.segs(r.advanceTo(r.a.nextDeadline())), "the probe resends 9");
        assertEquals(1, r.probes());
        return cwnd;
    }

    @Test
    void anAckBeyondARetransmittedProbeWithoutDsackMeansItRepairedALossAndReducesTheWindowOnce() {
        Rig r = new Rig(cfg());
        int cwnd = probeTheTail(r); // 9 lost at the tail (and 8's ACK)
        r.p.now += 200 * US;
        r.ack(10); // up to the probe's end only: 9's original may have arrived as well, undecided
        assertTrue(r.a.congestionWindow() >= cwnd, "no reduction yet");
        assertTrue(r.board().probeOutstanding());
        assertArrayEquals(new int[]{10, 11}, r.segs(r.write(2)));
        r.p.now += 200 * US;
        int before = r.a.congestionWindow();
        r.ack(12); // beyond the probe, no D-SACK for it: the probe repaired a loss (RFC 8985 7.4)
        assertFalse(r.board().probeOutstanding());
        assertEquals(Math.max((int) (before * Cubic.BETA), 2 * r.mss), r.a.slowStartThreshold(), "one reduction");
        assertTrue(r.a.congestionWindow() < before * 0.75, "cwnd " + r.a.congestionWindow() + " from " + before);
        assertFalse(r.a.inFastRecovery());
        assertEquals(0, r.timeouts());
    }

    @Test
    void aDsackForTheProbeMeansTheOriginalArrivedAndTheWindowStays() {
        Rig r = new Rig(cfg());
        int cwnd = probeTheTail(r); // the ACKs of 8 and 9 were lost
        r.p.now += 200 * US;
        r.ack(10, 9, 10); // the probe's duplicate of 9 reported by a D-SACK
        assertFalse(r.board().probeOutstanding(), "episode over: the probe was a duplicate");
        assertEquals(1, r.dsacks());
        r.write(2);
        r.p.now += 200 * US;
        r.ack(12);
        assertTrue(r.a.congestionWindow() >= cwnd, "no reduction: nothing was lost");
    }

    @Test
    void aProbeOfNewDataEndsItsEpisodeWhenAcknowledgedWithoutAReduction() {
        Rig r = new Rig(cfg());
        int n = r.a.congestionWindow() / r.mss;
        long t0 = r.p.now;
        assertEquals(n, r.segs(r.write(n + 3)).length, "a window's worth goes, 3 segments wait for room");
        int cwnd = r.a.congestionWindow();
        // silence: the probe sends new data, beyond the congestion window (RFC 8985 7.3)
        assertArrayEquals(new int[]{n}, r.segs(r.advanceTo(r.a.nextDeadline())));
        assertEquals(1, r.probes());
        assertTrue(r.board().probeOutstanding());
        r.p.now += 200 * US;
        r.ack(n + 1);
        assertFalse(r.board().probeOutstanding(), "new data acknowledged: the episode is over");
        assertTrue(r.a.congestionWindow() >= cwnd, "no reduction");
        assertTrue(r.p.now > t0);
    }

    // ------------------------------------------------------------------ PRR, CUBIC, NewReno, RTO

    @Test
    void prrSpreadsTheReductionOverTheRecoveryAndEndsAtSsthresh() {
        Rig r = new Rig(cfg());
        int cwnd = r.a.congestionWindow();
        int n = cwnd / r.mss;
        assertEquals(n, r.segs(r.write(n)).length);
        r.a.send(new UnsafeBuffer(new byte[n * r.mss]), 0, n * r.mss, r.p.now); // more queued behind
        r.drain();
        r.p.now += 200 * US;
        r.ack(0, 1, 4); // 0 lost: recovery with RecoverFS = n segments
        int ssthresh = r.a.slowStartThreshold();
        assertEquals(Math.max((int) (cwnd * Cubic.BETA), 2 * r.mss), ssthresh, "CUBIC: beta 0.7");
        // while pipe > ssthresh, each SACKed segment lets PRR send ssthresh / RecoverFS of one
        int sent = 1; // the repair of 0
        int k = 4;
        for (; k < n / 2; k++) {
            sent += r.segs(r.ack(0, 1, k + 1)).length;
        }
        double expected = (double) (k - 1) * ssthresh / (n * r.mss);
        assertTrue(Math.abs(sent - expected) <= 1.5, "sent " + sent + ", PRR expects ~" + expected);
        // the rest delivered and everything acknowledged: recovery ends with cwnd = ssthresh
        for (; k < n; k++) {
            sent += r.segs(r.ack(0, 1, k + 1)).length;
        }
        r.ack(n + sent);
        assertFalse(r.a.inFastRecovery());
        assertEquals(ssthresh, r.a.congestionWindow(), "RFC 6937: cwnd = ssthresh at the end");
    }

    @Test
    void newRenoIsSelectablePerConnectionAndHalvesTheWindow() {
        Rig r = new Rig(cfg().withCongestion(TcpConfig.Congestion.NEW_RENO));
        r.write(20);
        r.p.now += 200 * US;
        r.ack(0, 1, 4);
        assertEquals(Math.max(20 * r.mss / 2, 2 * r.mss), r.a.slowStartThreshold(), "NewReno: half the flight");
    }

    @Test
    void cubicGrowsConcaveBackToTheLastMaximumAtK() {
        int mss = 1000;
        Cubic c = new Cubic(0, mss, false);
        c.cwnd = 100 * mss;
        c.ssthresh = 1;
        long rtt = 100 * MS;
        long t = 1_000 * MS;
        c.enterRecovery(100 * mss, mss, t);
        c.exitRecovery();
        assertEquals(70 * mss, c.cwnd());
        double k = Math.cbrt((100 - 70) / Cubic.C); // seconds
        // one ACK per segment, each RTT a window's worth, until t + K
        long end = t + (long) (k * 1e9);
        int halfway = 0;
        while (t < end) {
            int acks = c.cwnd() / mss;
            for (int i = 0; i < acks; i++) {
                c.grow(mss, mss, t, rtt);
            }
            t += rtt;
            if (halfway == 0 && t >= end - (long) (k * 1e9 / 2)) {
                halfway = c.cwnd();
            }
        }
        assertTrue(halfway > 85 * mss && halfway < 100 * mss, "concave: most of the way at K/2: " + halfway / mss);
        assertTrue(Math.abs(c.cwnd() - 100 * mss) <= 3 * mss, "W(K) = W_max: " + c.cwnd() / mss);
    }

    @Test
    void cubicAtTheWindowCapKeepsItsStateUntilAReduction() {
        int mss = 1000;
        Cubic c = new Cubic(0, mss, false);
        c.cwnd = NewReno.MAX_CWND - 10; // a long-lived connection that never lost a segment
        long t = 1_000 * MS;
        c.grow(mss, mss, t, MS); // slow start reaches the cap
        c.grow(mss, mss, t += MS, MS); // congestion avoidance: the epoch starts at the cap
        assertEquals(NewReno.MAX_CWND, c.cwnd());
        long end = t + 1_000 * MS;
        byte[] atCap = cubicState(c, end);
        while (t < end) {
            c.grow(mss, mss, t += MS, MS);
        }
        assertEquals(NewReno.MAX_CWND, c.cwnd());
        assertArrayEquals(atCap, cubicState(c, end), "nothing at the cap can move the window: W_est and carry wait");
        c.onTimeout(0, 10 * mss, mss, t);
        assertEquals((int) (NewReno.MAX_CWND * Cubic.BETA), c.ssthresh(), "the reduction starts from the cap");
    }

    private static byte[] cubicState(Cubic c, long now) {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[128]);
        SnapshotWriter w = new SnapshotWriter().wrap(buf, 0);
        c.write(w, now);
        return java.util.Arrays.copyOf(buf.byteArray(), w.position());
    }

    @Test
    void rtoWithSackResendsOnlyWhatIsNotSacked() {
        Rig r = new Rig(cfg());
        r.write(6);
        // no ACK at all: first the tail loss probe (segment 5 again), then the timeout
        assertArrayEquals(new int[]{5}, r.segs(r.advanceTo(r.a.nextDeadline())));
        assertEquals(1, r.probes());
        long rto = r.a.retransmitDeadline();
        assertArrayEquals(new int[]{0}, r.segs(r.advanceTo(rto)), "the RTO resends the first segment only");
        assertEquals(1, r.timeouts());
        // B held 4 and 5 already: ACKs come back in slow start, the other segments follow, never 4 or 5
        List<Integer> resent = new ArrayList<>();
        for (int k = 1; k <= 4; k++) {
            r.p.now += 200 * US;
            for (int s : r.segs(r.ack(k, 4, 6))) {
                resent.add(s);
            }
        }
        assertEquals(List.of(1, 2, 3), resent);
        r.ack(6);
        assertEquals(0, r.board().count());
    }

    @Test
    void snapshotsOfAnOlderVersionAreRefusedWithTheReason() {
        Rig r = new Rig(cfg());
        byte[] bytes = TcpPair.snapshotBytes(r.a, r.p.now);
        UnsafeBuffer buf = new UnsafeBuffer(bytes);
        buf.putInt(4, 2, java.nio.ByteOrder.BIG_ENDIAN);
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> TcpConnection.restore(buf, 0, bytes.length, r.p.now, (c, s) -> { }, false, null));
        assertTrue(e.getMessage().contains("version 2") && e.getMessage().contains("cannot be restored"), e.getMessage());
    }
}
