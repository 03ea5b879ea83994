package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** A connection is a value: snapshot/restore in every state, and hostile snapshot bytes. */
class TcpSnapshotTest {
    static final long MS = 1_000_000L;

    /**
     * Runs a full exchange (with faults) and, the first time either side is seen in a state,
     * snapshots it and continues with original and restored copy side by side.
     */
    private static Set<TcpState> runCoveringStates(long seed, boolean simultaneousClose) {
        TcpConfig cfg = TcpConfig.defaults().withTimeWait(2000 * MS).withBuffers(64 * 1024, 16 * 1024);
        TcpPair p = new TcpPair(seed, cfg);
        p.delayNanos = 2 * MS;
        p.loss = 0.05;
        p.reorder = 0.2;
        byte[] ab = TcpBasicsTest.data(seed, 150_000);
        byte[] ba = TcpBasicsTest.data(seed + 1, 90_000);
        p.a.toSend = ab;
        p.b.toSend = ba;
        p.open(-7000, 123);
        Set<TcpState> seen = EnumSet.noneOf(TcpState.class);
        boolean swap = false;
        boolean closedA = false;
        boolean closedB = false;
        long limit = p.now + 600_000 * MS;
        while (!(p.a.conn.state() == TcpState.CLOSED && p.b.conn != null && p.b.conn.state() == TcpState.CLOSED)) {
            for (TcpPair.Endpoint e : new TcpPair.Endpoint[]{p.a, p.b}) {
                if (e.conn != null && seen.add(e.conn.state())) {
                    e.snapshotAndShadow(swap);
                    swap = !swap;
                }
            }
            if (!closedA && p.a.sent == ab.length && p.b.received.size() > ab.length / 2) {
                closedA = true;
                p.a.closeWhenSent = true;
                p.a.pump();
            }
            if (!closedB && p.b.sent == ba.length && (simultaneousClose ? closedA : p.a.conn.state() == TcpState.FIN_WAIT_2)) {
                closedB = true;
                p.b.closeWhenSent = true;
                p.b.pump();
            }
            if (!p.step(limit)) {
                fail("stalled: " + p.a.conn + " / " + p.b.conn);
            }
        }
        assertArrayEquals(ab, p.b.received.toByteArray());
        assertArrayEquals(ba, p.a.received.toByteArray());
        return seen;
    }

    @Test
    void restoredCopiesBehaveIdenticallyInEveryState() {
        Set<TcpState> seen = EnumSet.noneOf(TcpState.class);
        for (long seed = 1; seed <= 12; seed++) {
            seen.addAll(runCoveringStates(seed, false));
            seen.addAll(runCoveringStates(seed + 100, true));
        }
        assertEquals(EnumSet.complementOf(EnumSet.of(TcpState.LISTEN)), seen, "states covered");
    }

    private static TcpPair busyPair() {
        TcpPair p = new TcpPair(50, TcpConfig.defaults().withBuffers(32 * 1024, 8 * 1024));
        p.delayNanos = 1 * MS;
        p.reorder = 0.3;
        p.a.toSend = TcpBasicsTest.data(50, 100_000);
        p.b.toSend = TcpBasicsTest.data(51, 100_000);
        p.b.reading = false;
        p.open(1, 2);
        p.runFor(30 * MS);
        return p;
    }

    @Test
    void restoreAtALaterTimeShiftsEveryDeadline() throws SnapshotException {
        TcpPair p = busyPair();
        TcpConnection a = p.a.conn;
        assertTrue(a.nextDeadline() != Long.MAX_VALUE);
        byte[] bytes = TcpPair.snapshotBytes(a, p.now);
        long later = p.now + 5_000 * MS;
        TcpConnection r = TcpConnection.restore(new UnsafeBuffer(bytes), 0, bytes.length, later, (c, s) -> { });
        assertEquals(a.nextDeadline() + 5_000 * MS, r.nextDeadline());
        assertEquals(a.retransmitDeadline() == Long.MAX_VALUE ? Long.MAX_VALUE : a.retransmitDeadline() + 5_000 * MS,
                r.retransmitDeadline());
        // restoring at the later time then snapshotting at that time gives the original bytes
        assertArrayEquals(bytes, TcpPair.snapshotBytes(r, later));
        assertEquals(a.state(), r.state());
        assertEquals(a.readableBytes(), r.readableBytes());
        assertEquals(a.writableBytes(), r.writableBytes());
        assertEquals(a.stats().toString(), r.stats().toString());
    }

    /** A restore shares the host's configuration when the snapshot's equals it, and only then. */
    @Test
    void restoreSharesAnEqualConfiguration() throws SnapshotException {
        TcpPair p = busyPair();
        TcpConnection a = p.a.conn;
        byte[] bytes = TcpPair.snapshotBytes(a, p.now);
        UnsafeBuffer src = new UnsafeBuffer(bytes);
        TcpConfig same = new TcpConfig(a.config().mss(), a.config().sendBufferBytes(),
                a.config().receiveBufferBytes(), a.config().windowScale(), a.config().sackPermitted(),
                a.config().timestamps(), a.config().nagle(), a.config().delayedAckNanos(), a.config().initialRtoNanos(),
                a.config().minRtoNanos(), a.config().maxRtoNanos(), a.config().maxRetransmissions(),
                a.config().timeWaitNanos(), a.config().maxOutOfOrderSegments(), a.config().finWait2Nanos());
        TcpConnection shared = TcpConnection.restore(src, 0, bytes.length, p.now, (c, s) -> { }, true, null, same);
        assertTrue(shared.config() == same, "the equal instance is shared");
        TcpConfig other = same.withMss(same.mss() - 100);
        TcpConnection own = TcpConnection.restore(src, 0, bytes.length, p.now, (c, s) -> { }, true, null, other);
        assertFalse(own.config() == other);
        assertEquals(a.config(), own.config());
        assertArrayEquals(bytes, TcpPair.snapshotBytes(shared, p.now));
    }

    @Test
    void snapshotIsDeterministicAndStateSensitive() {
        TcpPair p1 = busyPair();
        TcpPair p2 = busyPair();
        assertArrayEquals(TcpPair.snapshotBytes(p1.a.conn, p1.now), TcpPair.snapshotBytes(p2.a.conn, p2.now));
        assertArrayEquals(TcpPair.snapshotBytes(p1.b.conn, p1.now), TcpPair.snapshotBytes(p2.b.conn, p2.now));
        assertTrue(p2.b.conn.receive(new UnsafeBuffer(new byte[1]), 0, 1, p2.now) == 1);
        assertFalse(java.util.Arrays.equals(TcpPair.snapshotBytes(p1.b.conn, p2.now),
                TcpPair.snapshotBytes(p2.b.conn, p2.now)));
    }

    @Test
    void snapshotSizeIsAnUpperBound() {
        TcpPair p = busyPair();
        for (TcpConnection c : new TcpConnection[]{p.a.conn, p.b.conn}) {
            UnsafeBuffer buf = new UnsafeBuffer(new byte[c.snapshotSize()]);
            int n = c.snapshot(buf, 0, p.now);
            assertTrue(n <= c.snapshotSize());
            assertTrue(n > c.unacknowledgedBytes() + c.readableBytes());
        }
    }

    @Test
    void snapshotAtAnOffsetInADirectBufferRoundTrips() throws SnapshotException {
        TcpPair p = busyPair();
        TcpConnection b = p.b.conn;
        UnsafeBuffer direct = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(b.snapshotSize() + 100));
        int n = b.snapshot(direct, 37, p.now);
        TcpConnection r = TcpConnection.restore(direct, 37, n, p.now, (c, s) -> { });
        assertArrayEquals(TcpPair.snapshotBytes(b, p.now), TcpPair.snapshotBytes(r, p.now));
    }

    @Test
    void anUncheckedSnapshotRestoresOnlyWhenTheCallerVouchesForItsBytes() throws SnapshotException {
        TcpPair p = busyPair();
        TcpConnection b = p.b.conn;
        UnsafeBuffer buf = new UnsafeBuffer(new byte[b.snapshotSize()]);
        int n = b.snapshot(buf, 0, p.now, false);
        assertEquals(0, buf.getInt(12), "no CRC computed");
        assertThrows(SnapshotException.class, () -> TcpConnection.restore(buf, 0, n, p.now, (c, s) -> { }));
        TcpConnection r = TcpConnection.restore(buf, 0, n, p.now, (c, s) -> { }, false, null);
        assertArrayEquals(TcpPair.snapshotBytes(b, p.now), TcpPair.snapshotBytes(r, p.now));
        // fields are still checked without the CRC: a bad state ordinal is refused
        int config = 4 * 4 + 3 + 8 * 4 + 4 + 8 + 4 + 8 + 1; // the TcpConfig fields lead the body
        buf.putByte(16 + config + 16, (byte) 0x7F); // after the four address fields: the state
        assertThrows(SnapshotException.class, () -> TcpConnection.restore(buf, 0, n, p.now, (c, s) -> { }, true, null));
        assertThrows(SnapshotException.class, () -> TcpConnection.restore(buf, 0, n, p.now, (c, s) -> { }, false, null));
    }

    private static byte[] sample() {
        TcpPair p = busyPair();
        return TcpPair.snapshotBytes(p.b.conn, p.now);
    }

    private static String restoreError(byte[] bytes, int len) {
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> TcpConnection.restore(new UnsafeBuffer(bytes), 0, len, 0, (c, s) -> { }));
        return e.getMessage();
    }

    @Test
    void rejectsTruncatedInputAtEveryLength() {
        byte[] bytes = sample();
        for (int len = 0; len < bytes.length; len++) {
            String msg = restoreError(bytes, len);
            assertTrue(msg.contains("truncated") || msg.contains("length mismatch"), msg);
        }
    }

    @Test
    void rejectsWrongMagicVersionLengthAndChecksum() {
        byte[] bytes = sample();
        byte[] magic = bytes.clone();
        magic[0] ^= 1;
        assertTrue(restoreError(magic, magic.length).contains("magic"));
        byte[] version = bytes.clone();
        version[7] = 9;
        assertTrue(restoreError(version, version.length).contains("version"));
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertTrue(restoreError(longer, longer.length).contains("length mismatch"));
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < 200; i++) {
            byte[] flipped = bytes.clone();
            int at = r.nextInt(SnapshotFormat.HEADER, bytes.length);
            flipped[at] ^= (byte) (1 << r.nextInt(8));
            assertTrue(restoreError(flipped, flipped.length).contains("CRC32C"));
        }
    }

    /** {@code bytes} with the byte at body offset {@code at} set to {@code v} (or a long there), CRC made right again. */
    private static byte[] edited(byte[] bytes, int at, long v, int width) {
        byte[] m = bytes.clone();
        UnsafeBuffer buf = new UnsafeBuffer(m);
        if (width == 1) {
            buf.putByte(SnapshotFormat.HEADER + at, (byte) v);
        } else {
            buf.putLong(SnapshotFormat.HEADER + at, v, ByteOrder.BIG_ENDIAN);
        }
        buf.putInt(12, SnapshotFormat.crc32c(buf, SnapshotFormat.HEADER, m.length - SnapshotFormat.HEADER),
                ByteOrder.BIG_ENDIAN);
        return m;
    }

    /** Each header and field check at its edge: what passes exactly there, and the message one past it. */
    @Test
    void headerAndFieldChecksHoldAtTheirEdges() throws SnapshotException {
        byte[] bytes = sample();
        assertTrue(restoreError(bytes, SnapshotFormat.HEADER).contains("length mismatch: header says "
                + (bytes.length - SnapshotFormat.HEADER) + " body bytes, 0 given"), "a whole header is read");
        assertTrue(restoreError(java.util.Arrays.copyOf(bytes, bytes.length + 1), bytes.length + 1).contains(
                (bytes.length - SnapshotFormat.HEADER) + " body bytes, " + (bytes.length + 1 - SnapshotFormat.HEADER)
                        + " given"));
        // at an offset, ending exactly at the buffer's end: fine; one byte more: outside
        byte[] shifted = new byte[10 + bytes.length];
        System.arraycopy(bytes, 0, shifted, 10, bytes.length);
        assertNotNull(TcpConnection.restore(new UnsafeBuffer(shifted), 10, bytes.length, 0, (c, s) -> { }));
        SnapshotException outside = assertThrows(SnapshotException.class, () -> TcpConnection.restore(
                new UnsafeBuffer(shifted), 10, bytes.length + 1, 0, (c, s) -> { }));
        assertTrue(outside.getMessage().contains("outside the buffer"), outside.getMessage());
        byte[] older = bytes.clone();
        older[7] = (byte) (SnapshotFormat.VERSION - 1);
        assertTrue(restoreError(older, older.length).contains("versions before 3"));
        byte[] zero = bytes.clone();
        zero[7] = 0;
        assertFalse(restoreError(zero, zero.length).contains("versions before"), "0 is no version");
        byte[] newer = bytes.clone();
        newer[7] = (byte) (SnapshotFormat.VERSION + 1);
        assertFalse(restoreError(newer, newer.length).contains("versions before"));

        int config = 4 * 4 + 3 + 8 * 4 + 4 + 8 + 4 + 8 + 1; // the TcpConfig fields lead the body
        int state = config + 16;
        assertTrue(restoreError(edited(bytes, state, SnapshotFormat.STATES.length, 1), bytes.length).contains(
                "state ordinal"));
        assertTrue(restoreError(edited(bytes, config - 1, TcpConfig.Congestion.values().length, 1), bytes.length)
                .contains("congestion controller"));
        int minRto = 4 * 4 + 3 + 2 * 8;
        long min = new UnsafeBuffer(bytes).getLong(SnapshotFormat.HEADER + minRto, ByteOrder.BIG_ENDIAN);
        assertNotNull(TcpConnection.restore(new UnsafeBuffer(edited(bytes, minRto + 8, min, 8)), 0, bytes.length, 0,
                (c, s) -> { }), "the maximum RTO may equal the minimum");
        assertTrue(restoreError(edited(bytes, minRto + 8, min - 1, 8), bytes.length).contains("maxRto < minRto"));
    }

    /** Crafted bodies with a valid CRC: only SnapshotException may come out, never anything else. */
    @Test
    void craftedBodiesWithValidChecksumNeverThrowAnythingElse() {
        byte[] bytes = sample();
        SplittableRandom r = new SplittableRandom(10);
        int rejected = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] m = bytes.clone();
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits; k++) {
                // mostly the fixed fields (the first ~450 body bytes), sometimes the buffers
                int at = r.nextInt(5) == 0 ? r.nextInt(SnapshotFormat.HEADER, m.length)
                        : r.nextInt(SnapshotFormat.HEADER, SnapshotFormat.HEADER + 450);
                switch (r.nextInt(3)) {
                    case 0 -> m[at] = (byte) r.nextInt(256);
                    case 1 -> m[at] = (byte) 0xFF;
                    default -> {
                        // a big or negative int over a (likely) length field
                        int v = r.nextBoolean() ? Integer.MAX_VALUE - r.nextInt(100) : -1 - r.nextInt(100);
                        for (int j = 0; j < 4 && at + j < m.length; j++) {
                            m[at + j] = (byte) (v >>> (24 - 8 * j));
                        }
                    }
                }
            }
            UnsafeBuffer buf = new UnsafeBuffer(m);
            buf.putInt(12, SnapshotFormat.crc32c(buf, SnapshotFormat.HEADER, m.length - SnapshotFormat.HEADER),
                    ByteOrder.BIG_ENDIAN);
            try {
                TcpConnection c = TcpConnection.restore(buf, 0, m.length, 1000, (cc, s) -> { });
                // whatever was accepted must also run without blowing up
                long t = 2000;
                c.onSegment(TcpLossTest.data(c.rcvNxt(), c.sndNxt(), 100, 1), t);
                io.capybara.wire.TcpSegment ack = TcpStateTest.toB(c.rcvNxt(), c.sndNxt(), io.capybara.wire.TcpSegment.ACK);
                ack.window = 65535;
                c.onSegment(ack, t);
                c.onTimer(c.nextDeadline() == Long.MAX_VALUE ? t : Math.max(t, c.nextDeadline()));
                c.onTimer(Long.MAX_VALUE / 4);
                c.send(new UnsafeBuffer(new byte[5000]), 0, 5000, Long.MAX_VALUE / 4);
                c.receive(new UnsafeBuffer(new byte[5000]), 0, 5000, Long.MAX_VALUE / 4);
                c.snapshot(new UnsafeBuffer(new byte[c.snapshotSize()]), 0, Long.MAX_VALUE / 4);
            } catch (SnapshotException e) {
                rejected++;
            }
        }
        assertTrue(rejected > 1000, "rejected " + rejected);
    }

    @Test
    void outOfRangeArgumentsAreSnapshotExceptions() {
        byte[] bytes = sample();
        assertThrows(SnapshotException.class,
                () -> TcpConnection.restore(new UnsafeBuffer(bytes), 10, bytes.length, 0, (c, s) -> { }));
        assertThrows(SnapshotException.class,
                () -> TcpConnection.restore(new UnsafeBuffer(bytes), -1, 5, 0, (c, s) -> { }));
    }

    @Test
    void snapshotDuringFastRecoveryWithOutOfOrderDataContinuesIdentically() {
        TcpPair p = new TcpPair(70, TcpConfig.defaults());
        p.dropFilter = TcpLossTest.dropNth(30, 33);
        byte[] ab = TcpBasicsTest.data(70, 300_000);
        p.a.toSend = ab;
        p.open(-50_000, 3);
        assertTrue(p.runUntil(() -> p.a.conn != null && p.a.conn.inFastRecovery(), p.now + 10_000 * MS));
        assertTrue(p.b.conn.oooIntervals() > 0);
        p.a.snapshotAndShadow(true);
        p.b.snapshotAndShadow(false);
        assertTrue(p.a.conn.inFastRecovery());
        assertTrue(p.a.conn.sameStateAs(p.a.shadow, p.now));
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 10_000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
        assertEquals(0, p.a.conn.stats().timeouts());
        assertTrue(p.a.conn.sameStateAs(p.a.shadow, p.now));
        assertTrue(p.b.conn.sameStateAs(p.b.shadow, p.now));
    }

    /**
     * The migration shape: snapshot A, A is gone for a while (segments for it are held, as the
     * target buffers them), restore later elsewhere, replay the held segments; the transfer in
     * both directions completes exactly.
     */
    @Test
    void restoreLaterThenReplayHeldSegmentsCompletesTheTransfer() throws SnapshotException {
        for (long gap : new long[]{50_000L, 5 * MS, 3_000 * MS}) {
            TcpPair p = new TcpPair(80 + gap, TcpConfig.defaults().withBuffers(64 * 1024, 64 * 1024));
            p.delayNanos = 100_000;
            p.reorder = 0.1;
            byte[] ab = TcpBasicsTest.data(80, 400_000);
            byte[] ba = TcpBasicsTest.data(81, 300_000);
            p.a.toSend = ab;
            p.b.toSend = ba;
            p.open(-123_456, 99);
            assertTrue(p.runUntil(() -> p.b.received.size() >= 100_000, p.now + 1000 * MS)); // mid-transfer
            assertTrue(p.b.received.size() < ab.length && p.a.received.size() < ba.length);
            byte[] state = TcpPair.snapshotBytes(p.a.conn, p.now);
            TcpState before = p.a.conn.state();
            p.a.conn = null; // the origin forgets it silently (no RST, no FIN)
            p.a.listening = false;
            p.a.arrived.clear();
            p.runFor(gap);
            java.util.List<Captured> held = new java.util.ArrayList<>(p.a.arrived);
            TcpConnection restored = TcpConnection.restore(new UnsafeBuffer(state), 0, state.length, p.now, p.a.sink);
            assertEquals(before, restored.state());
            p.a.conn = restored;
            for (Captured c : held) {
                restored.onSegment(c.toSegment(), p.now);
            }
            p.a.flush();
            assertTrue(p.runUntil(() -> p.b.received.size() == ab.length && p.a.received.size() == ba.length,
                    p.now + 600_000 * MS), "gap " + gap + ": " + p.a.conn + " / " + p.b.conn);
            assertArrayEquals(ab, p.b.received.toByteArray());
            assertArrayEquals(ba, p.a.received.toByteArray());
            assertEquals(0, p.a.conn.stats().resetsIn() + p.b.conn.stats().resetsIn());
        }
    }
}
