package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Retransmission timer, backoff, give-up, fast retransmit, NewReno, reassembly bound. */
class TcpLossTest {
    static final long MS = 1_000_000L;

    static TcpConfig config(int maxRetransmissions) {
        TcpConfig d = TcpConfig.defaults();
        return new TcpConfig(d.mss(), d.sendBufferBytes(), d.receiveBufferBytes(), d.windowScale(),
                d.sackPermitted(), d.timestamps(), d.nagle(), d.delayedAckNanos(), d.initialRtoNanos(),
                d.minRtoNanos(), d.maxRtoNanos(), maxRetransmissions, d.timeWaitNanos(), d.maxOutOfOrderSegments());
    }

    @Test
    void rtoBacksOffExponentiallyThenGivesUpWithReset() {
        TcpPair p = new TcpPair(31, config(5)).open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        p.runFor(100 * MS);
        TcpStateTest.Events ea = new TcpStateTest.Events();
        p.a.conn.observer(ea);
        p.logging = true;
        p.dropFilter = c -> c.srcPort == TcpPair.PORT_A; // black hole A -> B
        UnsafeBuffer buf = new UnsafeBuffer(new byte[100]);
        long t0 = p.now;
        p.a.conn.send(buf, 0, 100, p.now);
        p.a.flush();
        List<Long> sendTimes = new ArrayList<>();
        sendTimes.add(t0);
        int logged = p.log.size();
        while (p.a.conn.state() != TcpState.CLOSED) {
            assertTrue(p.step(p.now + 100_000 * MS));
            if (p.log.size() > logged) {
                for (int i = logged; i < p.log.size(); i++) {
                    if (p.log.get(i).srcPort == TcpPair.PORT_A && p.log.get(i).len() > 0) {
                        sendTimes.add(p.now);
                    }
                }
                logged = p.log.size();
            }
        }
        long rto = p.a.conn.config().minRtoNanos(); // RTT is sub-ms, so RTO sits at its floor
        assertEquals(6, sendTimes.size(), "original + 5 retransmissions: " + sendTimes);
        for (int i = 1; i < sendTimes.size(); i++) {
            assertEquals(rto << (i - 1), sendTimes.get(i) - sendTimes.get(i - 1), "gap " + i);
        }
        assertEquals(sendTimes.get(5) + (rto << 5), p.now, "gives up one more backed-off RTO later");
        assertEquals(List.of("reset"), ea.log);
        assertEquals(5, p.a.conn.stats().timeouts());
        assertEquals(5, p.a.conn.stats().retransmits());
    }

    @Test
    void synRetransmitsWithInitialRtoAndGivesUp() {
        TcpPair p = new TcpPair(32, config(3));
        p.logging = true;
        p.b.listenIss = Integer.MIN_VALUE; // nobody listens, nothing answers
        p.b.listening = false;
        p.a.conn = TcpConnection.connect(p.a.config, TcpPair.IP_A, TcpPair.PORT_A, TcpPair.IP_B, TcpPair.PORT_B,
                9, p.now, p.a.sink);
        p.a.flush();
        long t0 = p.now;
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.CLOSED, p.now + 100_000 * MS));
        long rto = p.a.conn.config().initialRtoNanos();
        assertEquals(t0 + rto + 2 * rto + 4 * rto + 8 * rto, p.now);
        assertEquals(4, p.log.size());
        for (Captured c : p.log) {
            assertEquals(TcpSegment.SYN, c.flags);
            assertEquals(9, c.seq);
        }
    }

    /**
     * RTT samples come from the data's ACKs, not only the handshake: with timestamps (RFC 7323)
     * and without (one sample per RTT, so slower to follow).
     */
    @Test
    void theRttFollowsAPathThatSlowsDownAfterTheHandshake() {
        TcpConfig noTs = new TcpConfig(1460, 256 * 1024, 256 * 1024, 7, true, false, false, 40 * MS, 1000 * MS,
                1 * MS, 60_000 * MS, 12, 60_000 * MS, 64);
        for (TcpConfig cfg : new TcpConfig[] {TcpConfig.defaults(), noTs}) {
            TcpPair p = new TcpPair(34, cfg);
            p.delayNanos = 1 * MS;
            p.open(1, 2);
            assertTrue(p.a.conn.smoothedRttNanos() < 3 * MS, "the handshake's 2 ms");
            p.delayNanos = 5 * MS;
            byte[] ab = TcpBasicsTest.data(34, 200_000);
            p.a.toSend = ab;
            assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 60_000 * MS));
            long srtt = p.a.conn.smoothedRttNanos();
            assertTrue(srtt >= 6 * MS && srtt < 60 * MS, "timestamps " + cfg.timestamps() + ": srtt " + srtt);
        }
    }

    @Test
    void rttEstimatorTracksDelayAndKarnSkipsRetransmissions() {
        TcpConfig noTs = new TcpConfig(1460, 256 * 1024, 256 * 1024, 7, true, false, false, 40 * MS, 1000 * MS,
                1 * MS, 60_000 * MS, 12, 60_000 * MS, 64);
        TcpPair p = new TcpPair(33, noTs);
        p.delayNanos = 5 * MS;
        p.open(1, 2);
        byte[] ab = TcpBasicsTest.data(33, 500_000);
        p.a.toSend = ab;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 60_000 * MS));
        long srtt = p.a.conn.smoothedRttNanos();
        // RTT = 10 ms plus up to one delayed-ACK interval for odd segments
        assertTrue(srtt >= 10 * MS && srtt < 60 * MS, "srtt " + srtt);
        long rto = p.a.conn.retransmissionTimeoutNanos();
        assertTrue(rto >= srtt && rto <= 1000 * MS, "rto " + rto);
    }

    /** Drops the n-th (0-based) first transmission of an A data segment, once. */
    static java.util.function.Predicate<Captured> dropNth(int... ns) {
        Set<Integer> seen = new HashSet<>();
        Set<Integer> targets = new HashSet<>();
        for (int n : ns) {
            targets.add(n);
        }
        int[] index = {0};
        return c -> {
            if (c.srcPort != TcpPair.PORT_A || c.len() == 0 || !seen.add(c.seq)) {
                return false;
            }
            return targets.contains(index[0]++);
        };
    }

    @Test
    void singleLossIsRepairedByFastRetransmitWithoutTimeout() {
        TcpPair p = new TcpPair(34, TcpConfig.defaults()).open(-1000, 2);
        p.dropFilter = dropNth(30);
        byte[] ab = TcpBasicsTest.data(34, 300_000);
        p.a.toSend = ab;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 60_000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
        TcpStats s = p.a.conn.stats();
        assertEquals(1, s.fastRetransmits());
        assertEquals(1, s.retransmits());
        assertEquals(0, s.timeouts());
        assertTrue(s.dupAcks() >= 3);
        assertTrue(p.b.conn.stats().oooSegments() >= 3);
        assertTrue(!p.a.conn.inFastRecovery());
        // ssthresh was set to half the flight at the loss
        assertTrue(p.a.conn.slowStartThreshold() < 1 << 30);
    }

    /** 400 kB from A with segments 40 and 43 lost, two holes in one window; returns once B has it all. */
    static TcpPair deliveredPastTwoLossesInOneWindow(TcpConfig cfg) {
        TcpPair p = new TcpPair(35, cfg).open(5, 6);
        p.dropFilter = dropNth(40, 43);
        byte[] ab = TcpBasicsTest.data(35, 400_000);
        p.a.toSend = ab;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 60_000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
        return p;
    }

    /** One recovery episode repaired both holes, the second on the partial ACK (RFC 6582), with no timeout. */
    static void assertOneRecoveryForTwoHoles(TcpStats s) {
        assertEquals(1, s.fastRetransmits(), "one recovery episode");
        assertEquals(2, s.retransmits(), "the second hole resent on the partial ACK");
        assertEquals(0, s.timeouts());
    }

    @Test
    void twoLossesInOneWindowUseNewRenoPartialAck() {
        TcpPair p = deliveredPastTwoLossesInOneWindow(TcpConfig.defaults());
        assertOneRecoveryForTwoHoles(p.a.conn.stats());
    }

    @Test
    void outOfOrderIntervalsAreBounded() {
        TcpConfig cfg = new TcpConfig(1460, 65536, 65536, 7, true, true, false, 40 * MS, 1000 * MS, 200 * MS,
                60_000 * MS, 12, 60_000 * MS, 2);
        TcpPair p = new TcpPair(36, cfg).open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        p.runFor(100 * MS);
        p.b.reading = false;
        TcpConnection b = p.b.conn;
        int base = b.rcvNxt();
        int ack = p.a.conn.sndUna();
        b.onSegment(data(base + 100, ack, 10, 1), p.now);
        b.onSegment(data(base + 200, ack, 10, 2), p.now);
        b.onSegment(data(base + 300, ack, 10, 3), p.now); // a third interval: over the bound
        assertEquals(2, b.oooIntervals());
        assertEquals(1, b.stats().oooDropped());
        b.onSegment(data(base + 110, ack, 10, 4), p.now); // adjacent: merges, no new interval
        assertEquals(2, b.oooIntervals());
        assertEquals(1, b.stats().oooDropped());
        b.onSegment(data(base, ack, 100, 0), p.now); // fills the first hole
        assertEquals(1, b.oooIntervals());
        assertEquals(base + 120, b.rcvNxt());
        assertEquals(120, b.readableBytes());
        UnsafeBuffer out = new UnsafeBuffer(new byte[120]);
        b.receive(out, 0, 120, p.now);
        for (int i = 0; i < 100; i++) {
            assertEquals(0, out.getByte(i));
        }
        for (int i = 100; i < 110; i++) {
            assertEquals(1, out.getByte(i));
        }
        for (int i = 110; i < 120; i++) {
            assertEquals(4, out.getByte(i));
        }
        b.onSegment(data(base + 120, ack, 80, 9), p.now); // reaches the second interval
        assertEquals(0, b.oooIntervals());
        assertEquals(base + 210, b.rcvNxt());
    }

    static TcpSegment data(int seq, int ack, int len, int fill) {
        TcpSegment s = TcpStateTest.toB(seq, ack, TcpSegment.ACK);
        byte[] bytes = new byte[len];
        java.util.Arrays.fill(bytes, (byte) fill);
        s.payload = new UnsafeBuffer(bytes);
        s.payloadLength = len;
        return s;
    }
}
