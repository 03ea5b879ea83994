package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Ring memory recycling: LIFO per size, bounded, and recycled connections are inert. */
class BufferPoolTest {

    @Test
    void takesTheMostRecentlyGivenBufferOfThatSize() {
        BufferPool pool = new BufferPool(8);
        UnsafeBuffer a = new UnsafeBuffer(new byte[4096]);
        UnsafeBuffer b = new UnsafeBuffer(new byte[4096]);
        UnsafeBuffer big = new UnsafeBuffer(new byte[8192]);
        pool.give(a);
        pool.give(big);
        pool.give(b);
        assertEquals(2, pool.available(4096));
        assertSame(b, pool.take(4096));
        assertSame(a, pool.take(4096));
        assertSame(big, pool.take(8192));
        UnsafeBuffer fresh = pool.take(4096);
        assertNotSame(a, fresh);
        assertEquals(4096, fresh.capacity());
        assertEquals(3, pool.reused());
        assertEquals(1, pool.allocated());
    }

    @Test
    void aFullStackForgetsItsOldestBuffer() {
        BufferPool pool = new BufferPool(2);
        UnsafeBuffer[] bs = new UnsafeBuffer[3];
        for (int i = 0; i < bs.length; i++) {
            bs[i] = new UnsafeBuffer(new byte[1024]);
            pool.give(bs[i]);
        }
        assertEquals(2, pool.available(1024));
        assertSame(bs[2], pool.take(1024));
        assertSame(bs[1], pool.take(1024));
        assertEquals(0, pool.available(1024));
    }

    @Test
    void largeBuffersAreKeptByBytesSmallOnesByCount() {
        BufferPool pool = new BufferPool(8, 16 * 1024);
        for (int i = 0; i < 10; i++) {
            pool.give(new UnsafeBuffer(new byte[1024]));
            pool.give(new UnsafeBuffer(new byte[8192]));
            pool.give(new UnsafeBuffer(new byte[32 * 1024]));
        }
        assertEquals(8, pool.available(1024), "the count binds");
        assertEquals(2, pool.available(8192), "16 KiB of 8 KiB buffers");
        assertEquals(1, pool.available(32 * 1024), "always one of any size");
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(1, -1));
    }

    /**
     * A pool of native memory (for a channel that sends from the rings where they lie) hands out
     * off-heap buffers, recycles them, and keeps no heap buffer (nor a native one in a heap pool).
     */
    @Test
    void aNativePoolKeepsOffHeapBuffersOnly() {
        BufferPool pool = new BufferPool(4, Long.MAX_VALUE, true);
        UnsafeBuffer a = pool.take(4096);
        assertEquals(null, a.byteArray(), "off the heap");
        assertEquals(4096, a.capacity());
        pool.give(a);
        assertSame(a, pool.take(4096));
        pool.give(new UnsafeBuffer(new byte[4096]));
        assertEquals(0, pool.available(4096), "a heap buffer is not kept in a native pool");
        BufferPool heap = new BufferPool(4);
        heap.give(a);
        assertEquals(0, heap.available(4096), "nor a native one in a heap pool");
        assertNotSame(null, heap.take(4096).byteArray());
    }

    @Test
    void ignoresPlaceholdersAndOddSizes() {
        BufferPool pool = new BufferPool(4);
        pool.give(new UnsafeBuffer(new byte[1]));
        pool.give(new UnsafeBuffer(new byte[3000]));
        pool.give(new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(4096)));
        assertEquals(0, pool.available(1));
        assertEquals(0, pool.available(4096));
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(-1));
    }

    @Test
    void aRecycledConnectionIsClosedEmptyAndGaveItsRings() throws SnapshotException {
        TcpPair p = new TcpPair(7, TcpConfig.defaults().withBuffers(16 * 1024, 16 * 1024));
        p.a.toSend = TcpBasicsTest.data(7, 6000);
        p.b.reading = false;
        p.open(1, 2);
        p.runFor(50_000_000L);
        TcpConnection b = p.b.conn;
        byte[] before = TcpPair.snapshotBytes(b, p.now);
        int readable = b.readableBytes();
        assertEquals(6000, readable);
        BufferPool pool = new BufferPool(4);
        b.attach("session");
        b.recycle(pool);
        assertEquals(null, b.attachment(), "the application's object is let go");
        assertEquals(TcpState.CLOSED, b.state());
        assertEquals(0, b.readableBytes());
        assertEquals(0, b.send(new UnsafeBuffer(new byte[10]), 0, 10, p.now));
        assertEquals(0, b.receive(new UnsafeBuffer(new byte[10]), 0, 10, p.now));
        int kept = 0;
        for (int size = 64; size <= 1 << 16; size <<= 1) {
            kept += pool.available(size);
        }
        // b only received: its send ring never queued a byte, so it never held memory (rings take
        // memory when bytes are queued); the receive ring, holding 6000 bytes, gave its memory back
        assertEquals(1, kept, "the receive ring went to the pool, the unused send ring held none");
        // the bytes taken before recycling still restore, into that very (now dirty) memory
        TcpConnection r = TcpConnection.restore(new UnsafeBuffer(before), 0, before.length, p.now, (c, s) -> { },
                true, pool);
        assertArrayEquals(before, TcpPair.snapshotBytes(r, p.now));
        assertEquals(1, pool.reused(), "the receive ring reuses the pooled memory; the empty send ring takes none");
        assertEquals(null, r.attachment(), "a snapshot does not carry the application's object");
    }

    /**
     * A restore takes a sender's scoreboard arrays from the pool, noise and all, and a recycled
     * connection gives them back: both times the restored connection is the one snapshotted.
     */
    @Test
    void aSendersScoreboardIsRestoredIntoPooledArrays() throws SnapshotException {
        TcpPair p = new TcpPair(9, TcpConfig.defaults().withBuffers(64 * 1024, 64 * 1024));
        p.open(1, 2);
        p.runFor(10_000_000L);
        p.loss = 1.0; // what a sends next stays on its scoreboard, unacknowledged
        p.a.conn.send(new UnsafeBuffer(TcpBasicsTest.data(9, 20_000)), 0, 20_000, p.now);
        int records = p.a.conn.lossRecovery().count();
        assertEquals(true, records > 1, "segments in flight: " + records);
        byte[] before = TcpPair.snapshotBytes(p.a.conn, p.now);
        BufferPool pool = TcpPair.dirtyPool(9);
        for (int round = 0; round < 2; round++) {
            long reused = pool.reused();
            TcpConnection r = TcpConnection.restore(new UnsafeBuffer(before), 0, before.length, p.now,
                    (c, s) -> { }, true, pool);
            assertArrayEquals(before, TcpPair.snapshotBytes(r, p.now), "round " + round);
            assertEquals(reused + 2, pool.reused(), "the send ring and the scoreboard came from the pool");
            r.recycle(pool);
            assertEquals(0, r.lossRecovery().count(), "the recycled connection's scoreboard is empty");
        }
    }

    /** In a host, a board that empties gives its arrays back, and the next send takes them again. */
    @Test
    void anEmptiedScoreboardGoesBackToTheHostsPool() {
        TcpPair p = new TcpPair(11, TcpConfig.defaults());
        p.open(1, 2);
        p.runFor(10_000_000L);
        BufferPool pool = new BufferPool(4);
        TcpConnection a = p.a.conn;
        a.bufferPool(pool);
        long allocated = -1;
        for (int round = 0; round < 3; round++) {
            a.send(new UnsafeBuffer(TcpBasicsTest.data(round, 3000)), 0, 3000, p.now);
            assertEquals(32, a.lossRecovery().capacity(), "round " + round + ": the board holds arrays while data is out");
            p.runFor(10_000_000L);
            assertEquals(0, a.unacknowledgedBytes());
            assertEquals(0, a.lossRecovery().capacity(), "round " + round + ": all acknowledged, the arrays went back");
            if (round == 0) {
                allocated = pool.allocated();
            }
        }
        assertEquals(allocated, pool.allocated(), "later rounds take what the first gave back");
    }
}
