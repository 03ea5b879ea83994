package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The snapshot writer and reader keep to their window of the buffer: an exact fit works, one
 * byte more fails, also where the buffer itself goes on (their accesses are unchecked otherwise).
 */
class SnapshotIoTest {
    @Test
    void theWriterFillsItsBufferExactlyAndNotOneByteMore() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[17]);
        SnapshotWriter w = new SnapshotWriter().wrap(b, 4);
        w.putLong(0x0102030405060708L);
        w.putInt(0x0A0B0C0D);
        w.putByte(0xEE);
        assertEquals(17, w.position(), "an exact fit");
        assertEquals(0x0102030405060708L, b.getLong(4, java.nio.ByteOrder.BIG_ENDIAN), "big-endian");
        assertThrows(IndexOutOfBoundsException.class, () -> w.putByte(1));
        SnapshotWriter w2 = new SnapshotWriter().wrap(b, 10);
        w2.putInt(1);
        assertThrows(IndexOutOfBoundsException.class, () -> w2.putInt(2), "3 bytes left");
        assertThrows(IndexOutOfBoundsException.class, () -> w2.putLong(2));
        assertEquals(17, new SnapshotWriter().wrap(b, 17).position(), "an empty window at the end");
        assertThrows(IndexOutOfBoundsException.class, () -> new SnapshotWriter().wrap(b, 18));
    }

    @Test
    void theReaderStopsAtItsWindowEvenWhereTheBufferGoesOn() throws SnapshotException {
        UnsafeBuffer b = new UnsafeBuffer(new byte[32]);
        b.putInt(2, 7, java.nio.ByteOrder.BIG_ENDIAN);
        SnapshotReader r = new SnapshotReader().wrap(b, 2, 7);
        assertEquals(7, r.getInt("a"));
        assertEquals(3, r.remaining());
        SnapshotException e = assertThrows(SnapshotException.class, () -> r.getInt("b"));
        assertEquals("snapshot truncated: field 'b' needs 4 bytes, 3 left", e.getMessage());
        assertThrows(SnapshotException.class, () -> r.getLong("c"));
        assertThrows(SnapshotException.class, () -> r.getBytes(new UnsafeBuffer(new byte[8]), 0, 4, "d"));
        r.getBytes(new UnsafeBuffer(new byte[8]), 0, 2, "e");
        assertEquals(0, r.getByte("f"));
        assertThrows(SnapshotException.class, () -> r.getByte("g"));
        assertEquals(32, new SnapshotReader().wrap(b, 0, 32).remaining(), "the whole buffer");
        assertThrows(IndexOutOfBoundsException.class, () -> new SnapshotReader().wrap(b, 1, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> new SnapshotReader().wrap(b, 0, 33));
        assertEquals(0, new SnapshotReader().wrap(b, 32, 0).remaining(), "an empty window at the end");
    }
}
