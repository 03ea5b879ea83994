package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpCodec;
import io.capybara.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Receiver-side SACK blocks (RFC 2018): which blocks, in which order, how many fit. */
class TcpSackTest {
    static final long MS = 1_000_000L;

    static TcpConfig config(boolean sack, boolean timestamps) {
        TcpConfig d = TcpConfig.defaults();
        return new TcpConfig(d.mss(), d.sendBufferBytes(), d.receiveBufferBytes(), d.windowScale(), sack,
                timestamps, d.nagle(), d.delayedAckNanos(), d.initialRtoNanos(), d.minRtoNanos(), d.maxRtoNanos(),
                d.maxRetransmissions(), d.timeWaitNanos(), d.maxOutOfOrderSegments(), d.finWait2Nanos());
    }

    /** An established pair whose B side we feed by hand; B does not read, so data stays put. */
    private static TcpPair established(TcpConfig a, TcpConfig b) {
        TcpPair p = new TcpPair(11, a, b).open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        p.runFor(100 * MS);
        p.b.reading = false;
        p.b.outbox.clear();
        return p;
    }

    /** Delivers a data segment from A to B by hand and returns what B emitted (not put on the wire). */
    private static List<Captured> feed(TcpPair p, int seq, int len) {
        TcpSegment s = TcpLossTest.data(seq, p.b.conn.sndUna(), len, seq & 0x7F);
        p.b.conn.onSegment(s, p.now);
        List<Captured> out = new ArrayList<>(p.b.outbox);
        p.b.outbox.clear();
        return out;
    }

    private static Captured onlyAck(List<Captured> out) {
        assertEquals(1, out.size(), () -> "one ACK expected: " + out);
        Captured c = out.get(0);
        assertEquals(0, c.len());
        return c;
    }

    /** Asserts the blocks, given as offsets from {@code base} (left, right pairs), in order. */
    private static void assertBlocks(Captured c, int base, int... offsets) {
        int[] actual = new int[2 * c.sackBlocks()];
        for (int i = 0; i < c.sackBlocks(); i++) {
            actual[2 * i] = c.sackLeft(i) - base;
            actual[2 * i + 1] = c.sackRight(i) - base;
        }
        assertArrayEquals(offsets, actual, () -> "blocks of " + c);
    }

    @Test
    void mostRecentBlockFirstThenHighestAndNoMoreThanFitBesideTimestamps() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        assertTrue(p.b.conn.sackPermitted() && p.b.conn.timestamps());
        int base = p.b.conn.rcvNxt();

        Captured c = onlyAck(feed(p, base + 100, 10));
        assertEquals(base, c.ack);
        assertBlocks(c, base, 100, 110);
        assertBlocks(onlyAck(feed(p, base + 300, 10)), base, 300, 310, 100, 110);
        // a segment below the highest block: its block leads, the others follow from the top
        assertBlocks(onlyAck(feed(p, base + 200, 10)), base, 200, 210, 300, 310, 100, 110);
        // four intervals, room for three beside timestamps: the lowest, oldest one drops out
        c = onlyAck(feed(p, base + 500, 10));
        assertBlocks(c, base, 500, 510, 300, 310, 200, 210);
        assertEquals(TcpCodec.MAX_HEADER_LENGTH, TcpCodec.headerLength(c.toSegment()));
        // extending the lowest interval brings it back, first
        assertBlocks(onlyAck(feed(p, base + 110, 10)), base, 100, 120, 500, 510, 300, 310);
        // a duplicate of data already held still names its block first
        assertBlocks(onlyAck(feed(p, base + 302, 5)), base, 300, 310, 500, 510, 200, 210);
        assertEquals(4, p.b.conn.oooIntervals());

        // in-order data that fills the first hole moves RCV.NXT past it: ACKed at once, and no
        // block reaches down to RCV.NXT
        c = onlyAck(feed(p, base, 100));
        assertEquals(base + 120, c.ack);
        assertBlocks(c, base, 500, 510, 300, 310, 200, 210);
        // in-order data that reaches no interval is ACKed at once too (RFC 5681 4.2)
        c = onlyAck(feed(p, base + 120, 30));
        assertEquals(base + 150, c.ack);
        assertBlocks(c, base, 500, 510, 300, 310, 200, 210);

        // every hole filled: a plain cumulative ACK
        c = onlyAck(feed(p, base + 150, 400));
        assertEquals(base + 550, c.ack);
        assertEquals(0, c.sackBlocks());
        assertEquals(0, p.b.conn.oooIntervals());
        // and later ACKs (a window update after reading) carry none either
        p.b.conn.receive(new UnsafeBuffer(new byte[1 << 16]), 0, 1 << 16, p.now);
        for (Captured x : p.b.outbox) {
            assertEquals(0, x.sackBlocks(), x::toString);
        }
    }

    @Test
    void fourBlocksWithoutTimestamps() {
        TcpConfig cfg = config(true, false);
        TcpPair p = established(cfg, cfg);
        int base = p.b.conn.rcvNxt();
        for (int k = 1; k <= 5; k++) {
            feed(p, base + 100 * k, 10);
        }
        Captured c = onlyAck(feed(p, base + 205, 10));
        assertBlocks(c, base, 200, 215, 500, 510, 400, 410, 300, 310);
        assertEquals(TcpCodec.MIN_HEADER_LENGTH + 2 + 2 + 4 * 8, TcpCodec.headerLength(c.toSegment()));
    }

    @Test
    void noBlocksUnlessBothSidesAgreedSack() {
        TcpPair p = established(config(false, true), TcpConfig.defaults());
        assertFalse(p.b.conn.sackPermitted());
        int base = p.b.conn.rcvNxt();
        Captured c = onlyAck(feed(p, base + 100, 10));
        assertEquals(base, c.ack);
        assertEquals(0, c.sackBlocks());
    }

    @Test
    void fullSizedDataSegmentsLeaveTheBlocksToAPureAck() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        TcpConnection b = p.b.conn;
        int mss = b.sendMss();
        int base = b.rcvNxt();
        feed(p, base + 1000, 10);
        // a small write while holding out-of-order data: the data segment has room for the blocks
        b.send(new UnsafeBuffer(new byte[100]), 0, 100, p.now);
        assertEquals(1, p.b.outbox.size());
        Captured small = p.b.outbox.get(0);
        assertEquals(100, small.len());
        assertBlocks(small, base, 1000, 1010);
        p.b.outbox.clear();
        // the peer's ACK of it comes with more out-of-order data; B answers with full-sized data
        b.send(new UnsafeBuffer(new byte[20 * mss]), 0, 20 * mss, p.now);
        p.b.outbox.clear();
        TcpSegment s = TcpLossTest.data(base + 2000, b.sndNxt(), 10, 1);
        b.onSegment(s, p.now);
        List<Captured> out = new ArrayList<>(p.b.outbox);
        p.b.outbox.clear();
        assertTrue(out.size() >= 2, out::toString);
        for (Captured x : out) {
            // payload + timestamps + SACK never exceed the negotiated MSS
            int optionRoom = TcpCodec.headerLength(x.toSegment()) - TcpCodec.MIN_HEADER_LENGTH;
            assertTrue(x.len() + optionRoom <= mss + 12, () -> "over the MSS: " + x);
            if (x.len() == mss) {
                assertEquals(0, x.sackBlocks(), x::toString);
            }
        }
        Captured last = out.get(out.size() - 1);
        assertEquals(0, last.len(), () -> "a pure ACK carries the blocks: " + out);
        assertBlocks(last, base, 2000, 2010, 1000, 1010);
    }

    /** A snapshot taken while holes are open restores a copy that sends the same blocks. */
    @Test
    void restoredCopySendsTheSameBlocks() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        int base = p.b.conn.rcvNxt();
        feed(p, base + 300, 10);
        feed(p, base + 100, 10);
        p.b.snapshotAndShadow(true);
        p.logging = true;
        // the harness feeds both copies and fails on any difference in what they emit
        int ack = p.b.conn.sndUna();
        for (int seq : new int[]{200, 310, 50}) {
            TcpSegment s = TcpLossTest.data(base + seq, ack, 10, 3);
            p.b.deliver(new Captured(s));
        }
        assertTrue(p.b.conn.sameStateAs(p.b.shadow, p.now));
        assertEquals(4, p.b.conn.oooIntervals());
        assertEquals(3, p.log.size(), p.log::toString);
        assertBlocks(p.log.get(0), base, 200, 210, 300, 310, 100, 110);
        assertBlocks(p.log.get(1), base, 300, 320, 200, 210, 100, 110);
        assertBlocks(p.log.get(2), base, 50, 60, 300, 320, 200, 210);
    }

    private long blocksSent;

    /** Sending ACKs with SACK blocks allocates nothing per segment. */
    @Test
    void sackAcksAllocateNothing() {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        TcpConnection b = p.b.conn;
        b.sink((c, s) -> blocksSent += s.sackCount);
        int base = b.rcvNxt();
        TcpSegment[] segs = new TcpSegment[5];
        for (int k = 0; k < segs.length; k++) {
            segs[k] = TcpLossTest.data(base + 100 * (k + 1), b.sndUna(), 10, k);
        }
        for (int i = 0; i < 100_000; i++) { // warm-up: the JIT settles
            b.onSegment(segs[i % segs.length], p.now);
        }
        long sentBefore = blocksSent;
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
        for (int i = 0; i < 20_000; i++) {
            b.onSegment(segs[i % segs.length], p.now);
        }
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
        assertEquals(5, b.oooIntervals());
        assertEquals(20_000L * 3, blocksSent - sentBefore, "three blocks in every ACK");
        assertTrue(allocated < 1024, allocated + " bytes allocated by 20k SACK ACKs");
    }

    static LongStream seeds() {
        String one = System.getProperty("capybara.seed");
        if (one != null) {
            return LongStream.of(Long.parseLong(one));
        }
        return LongStream.range(0, Math.max(1, Integer.getInteger("capybara.seeds", 500) / 10));
    }

    /**
     * Seeded transfers under loss and reordering, A to B, B snapshotted and restored midway.
     * Every segment B sends obeys RFC 2018: blocks above its ACK, sorted out of what B holds,
     * never more than fit; the reply to an out-of-order segment names that segment first; no
     * blocks once B holds nothing out of order.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void blocksObeyRfc2018UnderFaults(long seed) {
        String replay = "seed " + seed + " replay: ./capybara test -Dtest=TcpSackTest#blocksObeyRfc2018UnderFaults"
                + " -Dcapybara.seed=" + seed;
        SplittableRandom r = new SplittableRandom(seed);
        boolean ts = r.nextBoolean();
        TcpConfig cfg = config(true, ts).withBuffers(64 * 1024, new int[]{16 * 1024, 64 * 1024}[r.nextInt(2)]);
        TcpPair p = new TcpPair(seed, cfg);
        p.delayNanos = 1 * MS;
        p.loss = r.nextDouble(0.005, 0.08);
        p.reorder = r.nextDouble(0, 0.3);
        byte[] ab = TcpBasicsTest.data(seed, 200_000 + r.nextInt(200_000));
        p.a.toSend = ab;
        p.b.toSend = TcpBasicsTest.data(seed + 1, r.nextInt(30_000));
        p.logging = true;
        p.open(r.nextInt(), r.nextInt());
        assertTrue(p.runUntil(p::established, p.now + 10_000 * MS), replay);
        long limit = p.now + 600_000 * MS;
        boolean snapshotted = false;
        int blocksSeen = 0;
        int checkedFirst = 0;
        while (p.b.received.size() < ab.length) {
            if (!snapshotted && p.b.conn.oooIntervals() > 0 && p.b.received.size() > ab.length / 3) {
                p.b.snapshotAndShadow(r.nextBoolean());
                snapshotted = true;
            }
            int arrivedBefore = p.b.arrived.size();
            int logBefore = p.log.size();
            int rcvNxtBefore = p.b.conn.rcvNxt();
            long droppedBefore = p.b.conn.stats().oooDropped();
            long oooBefore = p.b.conn.stats().oooSegments();
            assertTrue(p.step(limit), "stalled: " + p.a.conn + " / " + p.b.conn + " " + replay);
            List<Captured> fromB = new ArrayList<>();
            for (Captured c : p.log.subList(logBefore, p.log.size())) {
                if (c.srcPort == TcpPair.PORT_B) {
                    fromB.add(c);
                }
            }
            for (Captured c : fromB) {
                blocksSeen += c.sackBlocks();
                int fit = TcpCodec.sackBlocksThatFit(ts ? 12 : 0);
                assertTrue(c.sackBlocks() <= fit, "too many blocks: " + c + " " + replay);
                assertTrue(c.len() + TcpCodec.headerLength(c.toSegment()) - 20 <= p.b.conn.sendMss() + (ts ? 12 : 0),
                        "over the MSS: " + c + " " + replay);
                for (int i = 0; i < c.sackBlocks(); i++) {
                    assertTrue(Seq.gt(c.sackLeft(i), c.ack) && Seq.gt(c.sackRight(i), c.sackLeft(i)),
                            "block " + i + " at or below the ACK: " + c + " " + replay);
                    for (int j = 0; j < i; j++) {
                        assertTrue(Seq.le(c.sackRight(i), c.sackLeft(j)) || Seq.ge(c.sackLeft(i), c.sackRight(j)),
                                "blocks overlap: " + c + " " + replay);
                    }
                }
            }
            if (p.b.conn.oooIntervals() == 0 && !fromB.isEmpty()) {
                assertEquals(0, fromB.get(fromB.size() - 1).sackBlocks(), "blocks with nothing held " + replay);
            }
            if (p.b.arrived.size() == arrivedBefore + 1 && !fromB.isEmpty()) {
                Captured in = p.b.arrived.get(arrivedBefore);
                // stored out of order (possibly trimmed at its end to the window), not dropped
                boolean stored = p.b.conn.stats().oooSegments() == oooBefore + 1 && in.len() > 0
                        && p.b.conn.stats().oooDropped() == droppedBefore && p.b.conn.rcvNxt() == rcvNxtBefore;
                if (stored) {
                    // B may send a retransmission first (its ACK part processed before the data);
                    // what it sends after storing the data names the segment's block first
                    boolean named = false;
                    for (Captured reply : fromB) {
                        named |= reply.sackBlocks() > 0 && Seq.le(reply.sackLeft(0), in.seq)
                                && Seq.lt(in.seq, reply.sackRight(0));
                    }
                    assertTrue(named, "no reply names the segment just received (" + in + ") first: " + fromB
                            + " " + replay);
                    checkedFirst++;
                }
            }
        }
        assertArrayEquals(ab, p.b.received.toByteArray(), replay);
        assertTrue(blocksSeen > 0, "no SACK block sent at all " + replay);
        assertTrue(checkedFirst > 0, "no out-of-order arrival checked " + replay);
    }
}
