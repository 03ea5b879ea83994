package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Segments longer than the MSS when the sink offers segmentation offload (TSO/GSO), as
 * connection scenarios with explicit time: A sends, the test plays B's ACKs. The rule under
 * test: a large segment is only ever whole MSS pieces, within cwnd and the peer's window and the
 * offload bound, and the connection keeps its books as if each piece had been sent alone at the
 * same instant, so SACK, loss, retransmission (an MSS at a time) and snapshots work per piece.
 */
class TcpSegmentOffloadTest {
    private static TcpConfig cfg() {
        return TcpConfig.defaults().withBuffers(1 << 20, 1 << 20);
    }

    /** A warmed-up sender rig whose sink offers {@code offloadBytes}. */
    private static TcpSackRecoveryTest.Rig rig(int offloadMss) {
        TcpSackRecoveryTest.Rig r = new TcpSackRecoveryTest.Rig(cfg());
        r.p.a.offload = offloadMss * r.mss + r.mss / 2; // not a multiple: the connection rounds down
        return r;
    }

    private static List<Captured> data(List<Captured> out) {
        return out.stream().filter(c -> c.len() > 0).toList();
    }

    /** What the wire carries: every segment cut into MSS pieces as TSO does. */
    private static List<Captured> cut(List<Captured> out, int mss) {
        List<Captured> pieces = new ArrayList<>();
        for (Captured c : out) {
            if (c.len() > mss) {
                for (int off = 0; off < c.len(); off += mss) {
                    pieces.add(c.piece(off, Math.min(mss, c.len() - off)));
                }
            } else {
                pieces.add(c);
            }
        }
        return pieces;
    }

    /**
     * The edges: an offload of exactly two MSS makes two-MSS segments (one byte less, single
     * ones), and with exactly two MSS in flight a short segment waits for the next ACK.
     */
    @Test
    void twoMssOfOffloadMakeTwoMssSegmentsAndTwoMssInFlightDeferTheNext() {
        TcpSackRecoveryTest.Rig r = new TcpSackRecoveryTest.Rig(cfg());
        int mss = r.mss;
        r.p.a.offload = 2 * mss;
        List<Captured> first = data(r.write(2));
        assertEquals(1, first.size());
        assertEquals(2 * mss, first.get(0).len());
        assertEquals(0, data(r.write(1)).size(), "a short write waits: two MSS are in flight, an ACK will come");
        r.p.now += 100_000;
        List<Captured> next = data(r.ack(2));
        assertEquals(1, next.size());
        assertEquals(mss, next.get(0).len());
        r.p.a.offload = 2 * mss - 1;
        r.p.now += 100_000;
        r.ack(3);
        List<Captured> single = data(r.write(2));
        assertEquals(2, single.size());
        assertTrue(single.stream().allMatch(c -> c.len() == mss), "less than two MSS of offload: one at a time");
    }

    @Test
    void largeSegmentsAreWholeMssUnderTheBoundWithinCwndAndCutToWhatSingleSegmentsWouldBe() {
        TcpSackRecoveryTest.Rig plain = new TcpSackRecoveryTest.Rig(cfg());
        TcpSackRecoveryTest.Rig r = rig(8);
        int mss = r.mss;
        int cwnd = r.a.congestionWindow();
        assertEquals(plain.a.congestionWindow(), cwnd, "the same warmed-up connection");
        List<Captured> big = data(r.write(200));
        List<Captured> small = data(plain.write(200));
        int total = 0;
        boolean anyLarge = false;
        for (Captured c : big) {
            assertEquals(0, c.len() % mss, "whole MSS pieces: " + c);
            assertTrue(c.len() <= 8 * mss, "within the bound: " + c.len());
            anyLarge |= c.len() > mss;
            total += c.len();
        }
        assertTrue(anyLarge, "offload used");
        assertTrue(total <= cwnd && total <= r.a.snd.wnd, "within cwnd " + cwnd + " and rwnd: " + total);
        for (Captured c : small) {
            assertTrue(c.len() <= mss);
        }
        // cut on the wire, the large segments are exactly the single ones, headers included, but
        // for a rest shorter than a third of the window that waits for ACKs to make it larger
        List<Captured> pieces = cut(big, mss);
        assertEquals(small.subList(0, pieces.size()), pieces);
        int waiting = small.stream().skip(pieces.size()).mapToInt(Captured::len).sum();
        assertTrue(waiting < cwnd / 3, "waiting " + waiting + " of cwnd " + cwnd);
        // and the books are the same: one MSS record per piece
        LossRecovery b = r.board();
        LossRecovery s = plain.board();
        assertEquals(pieces.size(), b.count());
        for (int i = 0; i < b.count(); i++) {
            assertEquals(s.start(i), b.start(i));
            assertEquals(mss, b.end(i) - b.start(i));
        }
        assertEquals(s.pipe() - waiting, b.pipe());
        assertEquals(plain.a.stats().segmentsOut() - (small.size() - pieces.size()), r.a.stats().segmentsOut(),
                "segments counted as on the wire");
    }

    @Test
    void noOffloadNoLargeSegmentAndTheBoundBelowTwoMssMeansNone() {
        TcpSackRecoveryTest.Rig r = new TcpSackRecoveryTest.Rig(cfg());
        r.p.a.offload = 2 * r.mss - 1;
        for (Captured c : data(r.write(40))) {
            assertTrue(c.len() <= r.mss, c.toString());
        }
    }

    @Test
    void thePeersWindowBoundsALargeSegment() {
        TcpSackRecoveryTest.Rig r = rig(40);
        int mss = r.mss;
        r.write(4);
        r.p.now += 100 * TcpSackRecoveryTest.US;
        r.window = 0; // B's window closes with everything acknowledged: nothing may go
        r.ack(4);
        assertEquals(0, data(r.write(40)).size());
        // it opens by 5 MSS (window scaled by B's shift): one segment of at most that
        r.window = (5 * mss) >> r.a.sendWindowShift();
        List<Captured> out = data(r.ack(4));
        int sent = out.stream().mapToInt(Captured::len).sum();
        assertTrue(sent > 0 && sent <= r.window << r.a.sendWindowShift(), "sent " + sent);
        for (Captured c : out) {
            assertEquals(0, c.len() % mss);
        }
    }

    @Test
    void aPartialSackOfALargeSegmentMarksItsPiecesAndLostPiecesGoAgainAnMssAtATime() {
        TcpSackRecoveryTest.Rig r = rig(10);
        int mss = r.mss;
        List<Captured> out = data(r.write(10));
        assertEquals(1, out.size(), "one segment of 10 MSS: " + out);
        assertEquals(10 * mss, out.get(0).len());
        LossRecovery b = r.board();
        assertEquals(10, b.count());
        r.p.now += 100 * TcpSackRecoveryTest.US;
        // B holds pieces 5 and 6 only: those records are SACKed, not the rest of the segment
        assertEquals(0, r.segs(r.ack(0, 5, 7)).length);
        for (int i = 0; i < 10; i++) {
            assertEquals(i == 5 || i == 6 ? LossRecovery.SACKED : 0, b.flags(i), "record " + i);
        }
        assertEquals(8 * mss, b.pipe());
        // then 7 too: pieces 0..4 have three SACKed pieces above them and are lost (IsLost);
        // each goes again alone, an MSS long, lowest first; 8 and 9 are not lost
        List<Captured> repair = data(r.ack(0, 5, 8));
        assertTrue(r.a.inFastRecovery());
        int[] segs = r.segs(repair);
        assertTrue(segs.length >= 1 && segs[0] == 0, Arrays.toString(segs));
        for (Captured c : repair) {
            assertEquals(mss, c.len(), "a retransmission is one MSS: " + c);
        }
        for (int seg : segs) {
            assertTrue(seg <= 4 || seg == 9, "only lost pieces, or the rescue of the tail: " + Arrays.toString(segs));
        }
        // the ACK of the repaired first piece moves SND.UNA by exactly one MSS record
        r.ack(1, 5, 8);
        assertEquals(9, b.count());
        assertEquals(r.base + mss, b.start(0));
    }

    @Test
    void aTimeoutWithoutSackGoesBackAnMssAtATime() {
        TcpSackRecoveryTest.Rig r = new TcpSackRecoveryTest.Rig(cfg().withSack(false));
        r.p.a.offload = 16 * r.mss;
        List<Captured> first = data(r.write(16));
        assertTrue(first.stream().anyMatch(c -> c.len() > r.mss), "offload used: " + first);
        // nothing is acknowledged: the retransmission timeout resends from SND.UNA, one MSS
        List<Captured> again = data(r.advanceTo(r.a.nextDeadline()));
        assertEquals(1, r.timeouts());
        assertEquals(1, again.size(), again.toString());
        assertEquals(r.base, again.get(0).seq);
        assertEquals(r.mss, again.get(0).len());
        // the ACK of it: go-back-N continues with single segments below SND.MAX
        r.p.now += 100 * TcpSackRecoveryTest.US;
        for (Captured c : data(r.ack(1))) {
            assertTrue(c.len() <= r.mss, "below SND.MAX only single segments: " + c);
        }
    }

    @Test
    void aShortSegmentWaitsForMoreRoomWhileAcksAreDueAndGoesLarger() {
        TcpSackRecoveryTest.Rig r = rig(44);
        TcpSackRecoveryTest.Rig plain = new TcpSackRecoveryTest.Rig(cfg());
        int mss = r.mss;
        int cwndSegs = r.a.congestionWindow() / mss;
        int queued = 3 * cwndSegs;
        r.write(queued);
        plain.write(queued);
        r.p.now += 100 * TcpSackRecoveryTest.US;
        plain.p.now = r.p.now;
        // an ACK of two segments: without offload two single segments go at once; with it the
        // room (about two MSS) is under a third of the window, so the connection waits
        assertTrue(data(plain.ack(2)).size() >= 2);
        assertEquals(0, data(r.ack(2)).size(), "deferred");
        // ACKs keep coming; once the room reaches a third of the window one large segment goes
        int acked = 2;
        List<Captured> out = List.of();
        while (out.isEmpty() && acked < cwndSegs) {
            acked += 2;
            r.p.now += 10 * TcpSackRecoveryTest.US;
            out = data(r.ack(acked));
        }
        assertEquals(1, out.size(), out.toString());
        int len = out.get(0).len();
        // a third of the window (less the last ACK's two MSS), or the whole offload bound
        assertTrue(len > 2 * mss && (len == 44 * mss
                || len >= Math.min(r.a.snd.wnd, r.a.congestionWindow()) / 3 - 2 * mss), "len " + len);
    }

    @Test
    void aSnapshotInTheMiddleOfRecoveryOfLargeSegmentsContinuesIdentically() {
        for (boolean swap : new boolean[]{false, true}) {
            TcpPair p = new TcpPair(11, cfg());
            p.a.offload = 64_000;
            byte[] bytes = TcpBasicsTest.data(3, 3 << 20);
            p.a.toSend = bytes;
            p.a.closeWhenSent = true;
            p.b.closeWhenSent = true;
            // every 50th piece on the wire is lost (pieces of large segments among them)
            int[] n = {0};
            p.dropFilter = c -> c.len() > 0 && ++n[0] % 50 == 0;
            p.open(100, 200);
            assertTrue(p.runUntil(() -> p.a.conn.inFastRecovery() && p.a.conn.lossRecovery().count() > 20,
                    p.now + 10_000 * TcpSackRecoveryTest.MS), "reached recovery");
            p.a.snapshotAndShadow(swap);
            p.dropFilter = c -> c.len() > 0 && ++n[0] % 50 == 0;
            assertTrue(p.runUntil(() -> p.b.received.size() == bytes.length && p.a.conn.state() == TcpState.CLOSED
                    && p.b.conn.state() == TcpState.CLOSED, p.now + 600_000 * TcpSackRecoveryTest.MS), "finished");
            assertArrayEquals(bytes, p.b.received.toByteArray());
            assertTrue(p.a.shadow.sameStateAs(p.a.conn, p.now), "the restored copy ended where the original did");
            assertTrue(p.a.conn.stats().retransmits() > 0);
        }
    }

    static LongStream seeds() {
        return LongStream.range(0, Integer.getInteger("capybara.offloadSeeds", 120));
    }

    /** The property test's random transfers, faults and snapshots, with offload on both sides. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void exactBytesUnderFaultsAcrossSnapshotsWithOffload(long seed) {
        int offload = new SplittableRandom(seed).nextInt(2, 64_000);
        try {
            TcpPropertyTest.run(seed, offload);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " (offload " + offload + ") failed: " + e.getMessage(), e);
        }
    }
}
