package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class RingTest {
    @Test
    void intervalsMergeAcrossSequenceWrap() {
        ReceiveRing r = new ReceiveRing(1 << 16, 3);
        int base = -50; // RCV.NXT just below 2^32
        assertTrue(r.addInterval(base + 100, base + 110));
        assertTrue(r.addInterval(base + 10, base + 20));
        assertTrue(r.addInterval(base + 40, base + 60)); // crosses 0
        assertEquals(3, r.oooCount());
        assertFalse(r.addInterval(base + 200, base + 210), "a fourth interval exceeds the bound");
        assertTrue(r.addInterval(base + 20, base + 40)); // adjacent both sides: joins two
        assertEquals(2, r.oooCount());
        assertEquals(base + 10, r.oooStart(0));
        assertEquals(base + 60, r.oooEnd(0));
        assertTrue(r.addInterval(base + 5, base + 105)); // swallows the rest
        assertEquals(1, r.oooCount());
        assertEquals(base + 5, r.oooStart(0));
        assertEquals(base + 110, r.oooEnd(0));
        assertEquals(base, r.absorb(base), "not reached yet");
        assertEquals(base + 110, r.absorb(base + 5));
        assertEquals(0, r.oooCount());
        assertEquals(105, r.readable());
    }

    @Test
    void ringsGrowByDoublingAndKeepBytesAcrossTheWrap() {
        SendRing s = new SendRing(1 << 16, new UnsafeBuffer(new byte[16]));
        byte[] data = new byte[3000];
        new SplittableRandom(1).nextBytes(data);
        UnsafeBuffer src = new UnsafeBuffer(data);
        assertEquals(10, s.write(src, 0, 10));
        s.consume(6); // head moves: the next writes wrap the 16-byte ring
        assertEquals(12, s.write(src, 10, 12));
        assertEquals(16, s.capacity());
        assertEquals(2978, s.write(src, 22, 2978)); // grows to 4096
        assertEquals(4096, s.capacity());
        byte[] out = new byte[s.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.buffer().getByte(s.index(i));
        }
        byte[] expected = java.util.Arrays.copyOfRange(data, 6, 3000);
        assertArrayEquals(expected, out);
        assertEquals(4096 - s.index(0), s.contiguous(0));
        assertEquals((1 << 16) - s.length(), s.free());
    }

    /** Readable bytes that wrap around the ring's end go into a snapshot and come back in order. */
    @Test
    void aReceiveRingsSnapshotKeepsBytesThatWrapAroundItsEnd() throws SnapshotException {
        ReceiveRing r = new ReceiveRing(1 << 16, new UnsafeBuffer(new byte[1024]), 4);
        byte[] data = new byte[1400];
        new SplittableRandom(2).nextBytes(data);
        UnsafeBuffer src = new UnsafeBuffer(data);
        r.put(0, src, 0, 1000);
        r.commit(1000);
        assertEquals(900, r.read(new UnsafeBuffer(new byte[900]), 0, 900));
        r.put(100, src, 1000, 400); // after the 100 left: 24 bytes at the end, 376 from the start
        r.commit(400);
        assertEquals(1024, r.capacity(), "no growth: it wrapped");
        UnsafeBuffer snap = new UnsafeBuffer(new byte[4096]);
        SnapshotWriter w = new SnapshotWriter().wrap(snap, 0);
        r.write(w, 5000);
        ReceiveRing back = ReceiveRing.read(new SnapshotReader().wrap(snap, 0, w.position()), 1 << 16, 4, 5000, null);
        byte[] out = new byte[600];
        assertEquals(500, back.read(new UnsafeBuffer(out), 0, 600));
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 900, 1400), java.util.Arrays.copyOf(out, 500));
    }

    @Test
    void receiveRingGrowsForOutOfOrderBytesBeyondItsCapacity() {
        ReceiveRing r = new ReceiveRing(1 << 16, new UnsafeBuffer(new byte[1024]), 4);
        UnsafeBuffer a = new UnsafeBuffer(new byte[]{1, 2, 3});
        r.put(5000, a, 0, 3); // out of order, far beyond the current 1 KiB
        assertEquals(8192, r.capacity());
        r.put(0, new UnsafeBuffer(new byte[5000]), 0, 5000);
        r.commit(5003);
        UnsafeBuffer out = new UnsafeBuffer(new byte[5003]);
        assertEquals(5003, r.read(out, 0, 5003));
        assertEquals(1, out.getByte(5000));
        assertEquals(3, out.getByte(5002));
    }

    @Test
    void ringsWithAPoolHoldMemoryOnlyWhileBytesAreInThem() {
        BufferPool pool = new BufferPool(16);
        SendRing s = new SendRing(1 << 16);
        s.pool = pool;
        assertEquals(0, s.capacity(), "no memory before anything is queued");
        UnsafeBuffer src = new UnsafeBuffer(new byte[100]);
        assertEquals(100, s.write(src, 0, 100));
        assertEquals(4096, s.capacity());
        s.consume(60);
        assertEquals(4096, s.capacity(), "40 bytes still unacknowledged");
        s.consume(40);
        assertEquals(0, s.capacity(), "empty: the memory went back");
        assertEquals(1, pool.available(4096));
        assertEquals(100, s.write(src, 0, 100));
        assertEquals(0, pool.available(4096), "and came from the pool again");
        assertEquals(1, pool.reused());

        ReceiveRing r = new ReceiveRing(1 << 16, 4);
        r.pool = pool;
        assertEquals(0, r.capacity());
        r.put(10, src, 0, 5); // out of order first
        assertTrue(r.addInterval(10, 15));
        r.put(0, src, 0, 10);
        r.commit(10);
        assertEquals(15, r.absorb(10));
        UnsafeBuffer out = new UnsafeBuffer(new byte[15]);
        assertEquals(7, r.read(out, 0, 7));
        assertEquals(4096, r.capacity(), "8 bytes unread");
        assertEquals(8, r.read(out, 7, 8));
        assertEquals(0, r.capacity(), "all read: the memory went back");
        assertEquals(1, pool.available(4096));
    }
}
