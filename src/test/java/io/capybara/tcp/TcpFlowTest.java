package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.FIN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Flow control, window scaling, zero-window probing, delayed ACK, Nagle, wraparound. */
class TcpFlowTest {
    static final long MS = 1_000_000L;

    /** Checks every data segment A sends fits the window B last advertised (scaled). */
    static void assertRespectsWindow(TcpPair p, int bShift) {
        int rightEdge = 0;
        boolean haveEdge = false;
        for (Captured c : p.log) {
            if (c.srcPort == TcpPair.PORT_B && !c.has(TcpSegment.SYN)) {
                int edge = c.ack + (c.window << bShift);
                if (!haveEdge || Seq.gt(edge, rightEdge)) {
                    rightEdge = edge;
                }
                haveEdge = true;
            } else if (c.srcPort == TcpPair.PORT_A && c.len() > 0 && haveEdge) {
                assertTrue(Seq.le(c.seq + c.len(), rightEdge), "segment " + c + " beyond right edge "
                        + Integer.toUnsignedString(rightEdge));
            }
        }
    }

    @Test
    void windowScalingWithSmallBufferAndSlowReader() {
        TcpConfig cfg = TcpConfig.defaults().withBuffers(256 * 1024, 16 * 1024);
        TcpPair p = new TcpPair(21, cfg).open(-300_000, 5);
        p.logging = true;
        p.b.readChunk = 1000;
        byte[] ab = TcpBasicsTest.data(21, 400_000);
        // the reader only gets 1000 bytes per wake-up; wake it every 2 ms
        sendToSlowReader(p, ab, 2 * MS);
        assertEquals(7, p.a.conn.sendWindowShift());
        assertRespectsWindow(p, 7);
        // the receiver never advertised more than its 16 KiB buffer
        for (Captured c : p.log) {
            if (c.srcPort == TcpPair.PORT_B && !c.has(TcpSegment.SYN)) {
                assertTrue((c.window << 7) <= 16 * 1024 + 127, "window " + c.window);
            }
        }
    }

    @Test
    void receiveWindowRightEdgeNeverMovesLeft() {
        TcpConfig cfg = TcpConfig.defaults().withBuffers(64 * 1024, 8 * 1024);
        TcpPair p = new TcpPair(22, cfg).open(1, 2);
        p.logging = true;
        p.b.readChunk = 700;
        byte[] ab = TcpBasicsTest.data(22, 100_000);
        sendToSlowReader(p, ab, 3 * MS);
        int edge = 0;
        boolean have = false;
        for (Captured c : p.log) {
            if (c.srcPort == TcpPair.PORT_B && !c.has(TcpSegment.SYN) && c.has(TcpSegment.ACK)) {
                int e = c.ack + (c.window << 7);
                if (have) {
                    // RFC 7323 2.4: scaling may retract it by less than 2^shift, never more
                    assertTrue(Seq.ge(e + 127, edge), "right edge moved left: " + c);
                }
                edge = e;
                have = true;
            }
        }
        assertRespectsWindow(p, 7);
    }

    @Test
    void zeroWindowIsProbedWithBackoffThenReopens() {
        TcpConfig cfg = TcpConfig.defaults().withBuffers(64 * 1024, 4096);
        TcpPair p = new TcpPair(23, cfg).open(1, 2);
        p.logging = true;
        p.b.reading = false;
        byte[] ab = TcpBasicsTest.data(23, 20_000);
        p.a.toSend = ab;
        p.runFor(20_000 * MS);
        assertTrue(p.b.conn.readableBytes() > 4096 - 128, "buffer full up to the scaling granularity");
        assertEquals(0, p.a.conn.sendWindow());
        long probes = p.a.conn.stats().windowProbes();
        assertTrue(probes >= 3, "probes " + probes);
        // probes are spaced by a growing (backed-off) interval
        List<Long> times = new ArrayList<>();
        long t = 0;
        for (Captured c : p.log) {
            if (c.srcPort == TcpPair.PORT_A && c.len() == 0 && c.seq == p.a.conn.sndUna() - 1) {
                times.add(t++);
            }
        }
        assertEquals(probes, times.size());
        assertEquals(0, p.a.conn.stats().timeouts(), "probing is not a retransmission timeout");
        assertEquals(TcpState.ESTABLISHED, p.a.conn.state());
        long gap1 = p.a.conn.persistDeadline() - p.now;
        assertTrue(gap1 > 0);
        // the reader wakes up: the window reopens and the rest flows
        p.b.reading = true;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 10_000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
    }

    @Test
    void persistIntervalsDouble() {
        TcpConfig cfg = TcpConfig.defaults().withBuffers(64 * 1024, 4096);
        TcpPair p = new TcpPair(24, cfg).open(1, 2);
        p.b.reading = false;
        p.a.toSend = TcpBasicsTest.data(24, 10_000);
        assertTrue(p.runUntil(() -> p.a.conn.sendWindow() == 0 && p.a.conn.persistDeadline() != Long.MAX_VALUE,
                p.now + 1000 * MS));
        List<Long> probeTimes = new ArrayList<>();
        long last = p.a.conn.stats().windowProbes();
        long end = p.now + 30_000 * MS;
        while (p.now < end) {
            if (!p.step(end)) {
                break;
            }
            if (p.a.conn.stats().windowProbes() != last) {
                last = p.a.conn.stats().windowProbes();
                probeTimes.add(p.now);
            }
        }
        assertTrue(probeTimes.size() >= 4, "probes " + probeTimes);
        for (int i = 2; i < probeTimes.size(); i++) {
            long prev = probeTimes.get(i - 1) - probeTimes.get(i - 2);
            long gap = probeTimes.get(i) - probeTimes.get(i - 1);
            assertTrue(gap >= 2 * prev - 1 || gap >= cfg.maxRtoNanos(), "gaps " + probeTimes);
        }
    }

    @Test
    void delayedAckWaitsForTimerOrSecondFullSegment() {
        TcpConfig cfg = TcpConfig.defaults();
        TcpPair p = new TcpPair(25, cfg).open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        UnsafeBuffer buf = new UnsafeBuffer(new byte[10_000]);
        p.a.conn.send(buf, 0, 1, p.now); // warm-up: B's first ACK opens the window past the SYN's 64 KiB
        p.a.flush();
        p.runFor(100 * MS);
        p.logging = true;
        // one small segment: B's ACK waits delayedAckNanos
        p.a.conn.send(buf, 0, 100, p.now);
        p.a.flush();
        long sentAt = p.now;
        assertTrue(p.runUntil(() -> ackFromB(p) > 0, p.now + 100 * MS));
        long ackedAt = p.now;
        assertEquals(sentAt + p.delayNanos + cfg.delayedAckNanos() + p.delayNanos, ackedAt);
        p.log.clear();
        // two full-sized segments: ACK at once on the second
        p.a.conn.send(buf, 0, 2 * p.a.conn.sendMss(), p.now);
        p.a.flush();
        sentAt = p.now;
        assertTrue(p.runUntil(() -> ackFromB(p) > 0, p.now + 100 * MS));
        assertEquals(sentAt + 2 * p.delayNanos, p.now);
        assertEquals(1, ackFromB(p));
    }

    private static int ackFromB(TcpPair p) {
        int n = 0;
        for (Captured c : p.a.arrived) {
            if (p.log.contains(c) && c.srcPort == TcpPair.PORT_B) {
                n++;
            }
        }
        return n;
    }

    @Test
    void outOfOrderAndFinAreAckedImmediately() {
        TcpConfig cfg = TcpConfig.defaults();
        TcpPair p = new TcpPair(26, cfg).open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        p.runFor(100 * MS);
        TcpConnection b = p.b.conn;
        TcpSegment s = TcpStateTest.toB(b.rcvNxt() + 10, p.a.conn.sndUna(), TcpSegment.ACK);
        s.payload = new UnsafeBuffer(new byte[10]);
        s.payloadLength = 10;
        b.onSegment(s, p.now);
        assertEquals(1, p.b.outbox.size(), "out-of-order: immediate duplicate ACK");
        assertEquals(1, b.stats().oooSegments());
        p.b.outbox.clear();
        // fill the hole: immediate ACK covering both
        TcpSegment fill = TcpStateTest.toB(b.rcvNxt(), p.a.conn.sndUna(), TcpSegment.ACK);
        fill.payload = new UnsafeBuffer(new byte[10]);
        fill.payloadLength = 10;
        int before = b.rcvNxt();
        b.onSegment(fill, p.now);
        assertEquals(1, p.b.outbox.size());
        assertEquals(before + 20, p.b.outbox.get(0).ack);
        p.b.outbox.clear();
        TcpSegment fin = TcpStateTest.toB(b.rcvNxt(), p.a.conn.sndUna(), TcpSegment.ACK | FIN);
        b.onSegment(fin, p.now);
        assertEquals(1, p.b.outbox.size());
        assertEquals(before + 21, p.b.outbox.get(0).ack);
        assertEquals(TcpState.CLOSE_WAIT, b.state());
    }

    @Test
    void nagleHoldsSmallSegmentsWhileDataIsUnacked() {
        for (boolean nagle : new boolean[]{false, true}) {
            TcpConfig cfg = TcpConfig.defaults().withNagle(nagle);
            TcpPair p = new TcpPair(27, cfg).open(1, 2);
            assertTrue(p.runUntil(p::established, p.now + 10 * MS));
            p.runFor(100 * MS);
            p.logging = true;
            UnsafeBuffer buf = new UnsafeBuffer(new byte[100]);
            p.a.conn.send(buf, 0, 10, p.now);
            p.a.conn.send(buf, 0, 10, p.now);
            p.a.conn.send(buf, 0, 10, p.now);
            int segments = 0;
            for (Captured c : p.a.outbox) {
                segments += c.len() > 0 ? 1 : 0;
            }
            assertEquals(nagle ? 1 : 3, segments, "nagle=" + nagle);
            p.a.flush();
            assertTrue(p.runUntil(() -> p.b.received.size() == 30, p.now + 1000 * MS));
            List<Integer> sizes = new ArrayList<>();
            for (Captured c : p.log) {
                if (c.srcPort == TcpPair.PORT_A && c.len() > 0) {
                    sizes.add(c.len());
                }
            }
            // with Nagle the held 20 bytes go out as one segment once the first is acknowledged
            assertEquals(nagle ? List.of(10, 20) : List.of(10, 10, 10), sizes);
        }
    }

    @Test
    void sequenceNumbersWrapAroundBothWays() {
        TcpPair p = new TcpPair(28, TcpConfig.defaults()).open(-20_000, -1);
        byte[] ab = TcpBasicsTest.data(28, 100_000);
        byte[] ba = TcpBasicsTest.data(29, 60_000);
        p.a.toSend = ab;
        p.b.toSend = ba;
        p.loss = 0.05;
        p.reorder = 0.1;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length && p.a.received.size() == ba.length,
                p.now + 60_000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
        assertArrayEquals(ba, p.a.received.toByteArray());
        // both sequence spaces crossed 2^32
        assertTrue(p.a.conn.sndUna() > 0 && p.b.conn.sndUna() > 0);
    }

    @Test
    void segmentsNeverStraddleTheSendRingWrap() {
        TcpConfig cfg = TcpConfig.defaults().withBuffers(8192, 64 * 1024);
        TcpPair p = new TcpPair(30, cfg).open(1, 2);
        p.logging = true;
        byte[] ab = TcpBasicsTest.data(30, 50_000);
        p.a.toSend = ab;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 10_000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
        // 8192-byte ring: some segments are cut short at the wrap point
        boolean shortened = false;
        for (Captured c : p.log) {
            if (c.srcPort == TcpPair.PORT_A && c.len() > 0 && c.len() < p.a.conn.sendMss()
                    && !c.has(TcpSegment.PSH)) {
                shortened = true;
            }
        }
        assertTrue(shortened);
    }

    @Test
    void outOfOrderFinIsHeldUntilTheHoleFills() {
        TcpPair p = new TcpPair(31, TcpConfig.defaults()).open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        p.runFor(100 * MS);
        p.b.reading = false;
        TcpConnection b = p.b.conn;
        int base = b.rcvNxt();
        TcpSegment tail = TcpLossTest.data(base + 10, p.a.conn.sndUna(), 10, 2);
        tail.flags |= FIN;
        b.onSegment(tail, p.now);
        assertEquals(TcpState.ESTABLISHED, b.state());
        assertEquals(0, b.readableBytes());
        b.onSegment(TcpLossTest.data(base, p.a.conn.sndUna(), 10, 1), p.now);
        assertEquals(TcpState.CLOSE_WAIT, b.state());
        assertEquals(20, b.readableBytes());
        assertEquals(base + 21, b.rcvNxt());
        assertTrue(!b.isPeerClosed(), "bytes still unread");
        b.receive(new UnsafeBuffer(new byte[20]), 0, 20, p.now);
        assertTrue(b.isPeerClosed());
    }

    @Test
    void tinyReceiveBuffersStillFlow() {
        for (int buffer : new int[]{1, 2, 64, 300}) {
            TcpConfig cfg = TcpConfig.defaults().withBuffers(4096, buffer);
            TcpPair p = new TcpPair(32, cfg).open(-3, 4);
            byte[] ab = TcpBasicsTest.data(buffer, 3000);
            p.a.toSend = ab;
            assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 600_000 * MS),
                    "buffer " + buffer + ": " + p.b.received.size());
            assertArrayEquals(ab, p.b.received.toByteArray());
            int cap = TcpConnection.ringCapacity(buffer);
            assertTrue((cap >> p.a.conn.sendWindowShift()) >= 1, "scaled unit fits the buffer");
        }
    }

    /** A sends {@code ab}; B's reader wakes every {@code period} (60 s at most); B got every byte in order. */
    private static void sendToSlowReader(TcpPair p, byte[] ab, long period) {
        p.a.toSend = ab;
        long end = p.now + 60_000 * MS;
        while (p.b.received.size() < ab.length && p.now < end) {
            p.runFor(period);
        }
        assertArrayEquals(ab, p.b.received.toByteArray());
    }
}
