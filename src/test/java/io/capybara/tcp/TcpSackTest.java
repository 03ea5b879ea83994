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

/**
 * Receiver-side SACK blocks (RFC 2018) and D-SACK blocks (RFC 2883): which blocks, in which
 * order, how many fit.
 */
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
        // a duplicate of data already held: a D-SACK block for it, then the block holding it
        assertBlocks(onlyAck(feed(p, base + 302, 5)), base, 302, 307, 300, 310, 500, 510);
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
        // the blocks' old data again, now below RCV.NXT: one D-SACK block, below the ACK
        c = onlyAck(feed(p, base + 300, 10));
        assertEquals(base + 550, c.ack);
        assertBlocks(c, base, 300, 310);
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

    /**
     * Whether {@code c} leads with a D-SACK block as RFC 2883 makes it recognizable: below the
     * ACK, or inside the second block.
     */
    static boolean leadsWithDsack(Captured c) {
        if (c.sackBlocks() == 0) {
            return false;
        }
        if (Seq.lt(c.sackLeft(0), c.ack)) {
            return true;
        }
        return c.sackBlocks() > 1 && Seq.ge(c.sackLeft(0), c.sackLeft(1)) && Seq.le(c.sackRight(0), c.sackRight(1));
    }

    @Test
    void duplicateBelowRcvNxtLeadsWithItsDsackBlock() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        int base = p.b.conn.rcvNxt();
        feed(p, base, 100);
        feed(p, base + 100, 100);
        assertEquals(base + 200, p.b.conn.rcvNxt());
        // all of it duplicate: the D-SACK block is exactly the duplicate range, below the ACK
        Captured c = onlyAck(feed(p, base + 20, 40));
        assertEquals(base + 200, c.ack);
        assertBlocks(c, base, 20, 60);
        assertTrue(leadsWithDsack(c));
        // ending exactly at RCV.NXT, spanning two original segments
        assertBlocks(onlyAck(feed(p, base + 50, 150)), base, 50, 200);
        // with data held out of order, the usual blocks follow the D-SACK block
        feed(p, base + 400, 10);
        feed(p, base + 300, 10);
        c = onlyAck(feed(p, base, 100));
        assertEquals(base + 200, c.ack);
        assertBlocks(c, base, 0, 100, 400, 410, 300, 310);
        // the next ACK, for new out-of-order data, carries no D-SACK: each duplicate is told once
        c = onlyAck(feed(p, base + 500, 10));
        assertFalse(leadsWithDsack(c), c::toString);
        assertBlocks(c, base, 500, 510, 400, 410, 300, 310);
    }

    @Test
    void duplicateInsideHeldDataLeadsWithDsackThenItsBlock() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        int base = p.b.conn.rcvNxt();
        feed(p, base + 100, 50);
        feed(p, base + 150, 50);
        feed(p, base + 300, 10);
        feed(p, base + 500, 10);
        Captured c = onlyAck(feed(p, base + 120, 40));
        assertEquals(base, c.ack);
        assertBlocks(c, base, 120, 160, 100, 200, 500, 510);
        assertTrue(leadsWithDsack(c));
        // the whole interval again: D-SACK and its block are equal, as RFC 2883 allows
        assertBlocks(onlyAck(feed(p, base + 100, 100)), base, 100, 200, 100, 200, 500, 510);
        assertEquals(3, p.b.conn.oooIntervals());
        // partly new (extends the interval): needed data, so no D-SACK, just its block first
        c = onlyAck(feed(p, base + 190, 20));
        assertFalse(leadsWithDsack(c), c::toString);
        assertBlocks(c, base, 100, 210, 500, 510, 300, 310);
        // partly below RCV.NXT, partly new: no D-SACK either
        feed(p, base, 50);
        c = onlyAck(feed(p, base + 40, 20));
        assertEquals(base + 60, c.ack);
        assertFalse(leadsWithDsack(c), c::toString);
        // spanning a hole between two held intervals: not all held, so it is new data
        c = onlyAck(feed(p, base + 205, 100));
        assertFalse(leadsWithDsack(c), c::toString);
        assertBlocks(c, base, 100, 310, 500, 510);
        // filling the last hole absorbs the merged interval
        c = onlyAck(feed(p, base + 60, 40));
        assertEquals(base + 310, c.ack);
        assertBlocks(c, base, 500, 510);
    }

    @Test
    void noDsackUnlessBothSidesAgreedSack() {
        TcpPair p = established(config(false, true), TcpConfig.defaults());
        assertFalse(p.b.conn.sackPermitted());
        int base = p.b.conn.rcvNxt();
        feed(p, base, 100);
        feed(p, base + 200, 100);
        Captured below = onlyAck(feed(p, base + 10, 20));
        assertEquals(base + 100, below.ack);
        assertEquals(0, below.sackBlocks());
        Captured inside = onlyAck(feed(p, base + 210, 20));
        assertEquals(base + 100, inside.ack);
        assertEquals(0, inside.sackBlocks());
    }

    /**
     * Only the ACK a duplicate triggers carries its D-SACK block, once: not the full-sized data
     * segments sent before it, not later ACKs (delayed-ACK timer, window update).
     */
    @Test
    void dsackGoesOnOneSegmentOnly() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        TcpConnection b = p.b.conn;
        int mss = b.sendMss();
        int base = b.rcvNxt();
        feed(p, base + 1000, 100);
        b.send(new UnsafeBuffer(new byte[20 * mss]), 0, 20 * mss, p.now);
        p.b.outbox.clear();
        // the duplicate also acknowledges B's data, so B sends full-sized segments in the same call
        TcpSegment s = TcpLossTest.data(base + 1010, b.sndNxt(), 50, 1);
        b.onSegment(s, p.now);
        List<Captured> out = new ArrayList<>(p.b.outbox);
        p.b.outbox.clear();
        assertTrue(out.size() >= 2, out::toString);
        int dsacks = 0;
        for (Captured x : out) {
            if (leadsWithDsack(x)) {
                dsacks++;
                assertBlocks(x, base, 1010, 1060, 1000, 1100);
            }
        }
        assertEquals(1, dsacks, out::toString);
        assertTrue(leadsWithDsack(out.get(out.size() - 1)), () -> "a pure ACK carries it: " + out);

        // in-order data that is ACKed late (delayed-ACK timer), and a window update: no D-SACK
        TcpPair q = established(TcpConfig.defaults(), TcpConfig.defaults());
        int qbase = q.b.conn.rcvNxt();
        feed(q, qbase, 100);
        assertBlocks(onlyAck(feed(q, qbase + 50, 50)), qbase, 50, 100); // a duplicate, answered at once
        assertTrue(feed(q, qbase + 100, 10).isEmpty(), "a small in-order segment waits for the delayed ACK");
        q.b.conn.onTimer(q.b.conn.nextDeadline());
        Captured late = onlyAck(new ArrayList<>(q.b.outbox));
        q.b.outbox.clear();
        assertEquals(qbase + 110, late.ack);
        assertEquals(0, late.sackBlocks(), late::toString);
        q.b.conn.receive(new UnsafeBuffer(new byte[1 << 16]), 0, 1 << 16, q.now);
        for (Captured x : q.b.outbox) {
            assertEquals(0, x.sackBlocks(), x::toString);
        }
    }

    /** A restored copy reports duplicates exactly as the original does. */
    @Test
    void restoredCopySendsTheSameDsackBlocks() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        int base = p.b.conn.rcvNxt();
        feed(p, base, 100);
        feed(p, base + 300, 10);
        feed(p, base + 200, 20);
        p.b.snapshotAndShadow(false);
        p.logging = true;
        int ack = p.b.conn.sndUna();
        for (int[] seg : new int[][]{{10, 30}, {205, 10}, {300, 10}, {150, 10}, {0, 100}}) {
            p.b.deliver(new Captured(TcpLossTest.data(base + seg[0], ack, seg[1], 4)));
        }
        assertTrue(p.b.conn.sameStateAs(p.b.shadow, p.now));
        assertEquals(5, p.log.size(), p.log::toString);
        assertBlocks(p.log.get(0), base, 10, 40, 300, 310, 200, 220);
        assertBlocks(p.log.get(1), base, 205, 215, 200, 220, 300, 310);
        assertBlocks(p.log.get(2), base, 300, 310, 300, 310, 200, 220);
        assertBlocks(p.log.get(3), base, 150, 160, 300, 310, 200, 220);
        assertBlocks(p.log.get(4), base, 0, 100, 300, 310, 200, 220);
    }

    private long dsacksSent;

    /**
     * Bytes this thread allocates over 20,000 calls of {@code step}, after 100,000 more to let
     * the JIT settle; {@code atStart} runs just before the measured calls.
     */
    private static long allocatedAfterWarmUp(java.util.function.IntConsumer step, Runnable atStart) {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);
        for (int i = 0; i < 100_000; i++) {
            step.accept(i);
        }
        atStart.run();
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
        for (int i = 0; i < 20_000; i++) {
            step.accept(i);
        }
        return mx.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
    }

    /** D-SACK ACKs, for duplicates below RCV.NXT and inside held data, allocate nothing. */
    @Test
    void dsackAcksAllocateNothing() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        TcpConnection b = p.b.conn;
        int base = b.rcvNxt();
        feed(p, base, 100);
        feed(p, base + 200, 100);
        b.sink((c, s) -> {
            if (s.sackCount > 0 && (Seq.lt(s.sackLeft[0], s.ack)
                    || (s.sackCount > 1 && Seq.ge(s.sackLeft[0], s.sackLeft[1]) && Seq.le(s.sackRight[0], s.sackRight[1])))) {
                dsacksSent++;
            }
        });
        TcpSegment below = TcpLossTest.data(base + 10, b.sndUna(), 50, 1);
        TcpSegment inside = TcpLossTest.data(base + 220, b.sndUna(), 50, 2);
        long[] sentBefore = new long[1];
        long allocated = allocatedAfterWarmUp(i -> b.onSegment((i & 1) == 0 ? below : inside, p.now),
                () -> sentBefore[0] = dsacksSent);
        assertEquals(20_000L, dsacksSent - sentBefore[0], "a D-SACK in every ACK");
        assertTrue(allocated < 1024, allocated + " bytes allocated by 20k D-SACK ACKs");
    }

    private long blocksSent;

    /** Sending ACKs with SACK blocks allocates nothing per segment. */
    @Test
    void sackAcksAllocateNothing() {
        TcpPair p = established(TcpConfig.defaults(), TcpConfig.defaults());
        TcpConnection b = p.b.conn;
        b.sink((c, s) -> blocksSent += s.sackCount);
        int base = b.rcvNxt();
        TcpSegment[] segs = new TcpSegment[5];
        for (int k = 0; k < segs.length; k++) {
            segs[k] = TcpLossTest.data(base + 100 * (k + 1), b.sndUna(), 10, k);
        }
        long[] sentBefore = new long[1];
        long allocated = allocatedAfterWarmUp(i -> b.onSegment(segs[i % segs.length], p.now),
                () -> sentBefore[0] = blocksSent);
        assertEquals(5, b.oooIntervals());
        assertEquals(20_000L * 3, blocksSent - sentBefore[0], "three blocks in every ACK");
        assertTrue(allocated < 1024, allocated + " bytes allocated by 20k SACK ACKs");
    }

    static LongStream seeds() {
        String one = System.getProperty("capybara.seed");
        if (one != null) {
            return LongStream.of(Long.parseLong(one));
        }
        return LongStream.range(0, Math.max(1, Integer.getInteger("capybara.seeds", 500) / 10));
    }

    /** Whether all of [start, end) is at or below {@code rcvNxt} or inside one of {@code held}. */
    static boolean allHeld(int start, int end, int rcvNxt, int[] held) {
        if (Seq.le(end, rcvNxt)) {
            return true;
        }
        for (int i = 0; i < held.length; i += 2) {
            if (Seq.le(held[i], start) && Seq.le(end, held[i + 1])) {
                return true;
            }
        }
        return false;
    }

    static int[] held(TcpConnection c) {
        int[] held = new int[2 * c.oooIntervals()];
        for (int i = 0; i < c.oooIntervals(); i++) {
            held[2 * i] = c.oooStart(i);
            held[2 * i + 1] = c.oooEnd(i);
        }
        return held;
    }

    /**
     * Seeded transfers under loss, reordering and duplication, A to B, B snapshotted and restored
     * midway. Every segment B sends obeys RFC 2018: blocks above its ACK, sorted out of what B
     * holds, never more than fit; the reply to an out-of-order segment names that segment first;
     * no blocks once B holds nothing out of order. And RFC 2883: a segment whose data B held
     * already is reported by exactly one D-SACK block, first, equal to its range, on one of the
     * segments B sends in answer; no other segment leads with a D-SACK block.
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
        p.duplicate = r.nextDouble(0.02, 0.06);
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
        int dsacksSeen = 0;
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
            int[] heldBefore = held(p.b.conn);
            assertTrue(p.step(limit), "stalled: " + p.a.conn + " / " + p.b.conn + " " + replay);
            List<Captured> fromB = new ArrayList<>();
            for (Captured c : p.log.subList(logBefore, p.log.size())) {
                if (c.srcPort == TcpPair.PORT_B) {
                    fromB.add(c);
                }
            }
            List<Captured> dsacks = new ArrayList<>();
            for (Captured c : fromB) {
                blocksSeen += c.sackBlocks();
                int fit = TcpCodec.sackBlocksThatFit(ts ? 12 : 0);
                assertTrue(c.sackBlocks() <= fit, "too many blocks: " + c + " " + replay);
                assertTrue(c.len() + TcpCodec.headerLength(c.toSegment()) - 20 <= p.b.conn.sendMss() + (ts ? 12 : 0),
                        "over the MSS: " + c + " " + replay);
                int usual = 0; // the usual blocks start after a D-SACK block
                if (leadsWithDsack(c)) {
                    dsacks.add(c);
                    usual = 1;
                }
                for (int i = usual; i < c.sackBlocks(); i++) {
                    assertTrue(Seq.gt(c.sackLeft(i), c.ack) && Seq.gt(c.sackRight(i), c.sackLeft(i)),
                            "block " + i + " at or below the ACK: " + c + " " + replay);
                    for (int j = usual; j < i; j++) {
                        assertTrue(Seq.le(c.sackRight(i), c.sackLeft(j)) || Seq.ge(c.sackLeft(i), c.sackRight(j)),
                                "blocks overlap: " + c + " " + replay);
                    }
                }
            }
            if (p.b.conn.oooIntervals() == 0 && !fromB.isEmpty()) {
                Captured last = fromB.get(fromB.size() - 1);
                assertEquals(leadsWithDsack(last) ? 1 : 0, last.sackBlocks(), "blocks with nothing held " + replay);
            }
            Captured arrival = p.b.arrived.size() == arrivedBefore + 1 ? p.b.arrived.get(arrivedBefore) : null;
            boolean duplicate = arrival != null && arrival.len() > 0 && !arrival.has(TcpSegment.SYN)
                    && !arrival.has(TcpSegment.RST) && p.b.conn.state() != TcpState.CLOSED
                    && allHeld(arrival.seq, arrival.seq + arrival.len(), rcvNxtBefore, heldBefore);
            if (duplicate) {
                assertEquals(1, dsacks.size(), "one D-SACK for duplicate " + arrival + ": " + fromB + " " + replay);
                Captured d = dsacks.get(0);
                assertEquals(arrival.seq, d.sackLeft(0), "D-SACK left edge: " + d + " " + replay);
                assertEquals(arrival.seq + arrival.len(), d.sackRight(0), "D-SACK right edge: " + d + " " + replay);
                dsacksSeen++;
            } else {
                assertEquals(List.of(), dsacks, "D-SACK without a duplicate (" + arrival + ") " + replay);
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
        assertTrue(dsacksSeen > 0, "no duplicate reported " + replay);
    }
}
