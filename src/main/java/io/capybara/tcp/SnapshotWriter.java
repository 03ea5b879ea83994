package io.capybara.tcp;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Sequential big-endian writer over a caller's buffer (sized via snapshotSize). Each put checks
 * its own bounds with one comparison and stores through {@link UnsafeApi}: going through the
 * buffer's checked accessors made every put over a hundred bytecodes, and a snapshot's hundred
 * puts then blew the JIT's inlining budget, leaving half of them as real calls.
 */
final class SnapshotWriter {
    private static final boolean SWAP = ByteOrder.nativeOrder() != ByteOrder.BIG_ENDIAN;

    private MutableDirectBuffer buffer;
    private byte[] array;
    private long base;
    private int position;
    private int limit;

    SnapshotWriter wrap(MutableDirectBuffer buffer, int offset) {
        if (offset < 0 || offset > buffer.capacity()) {
            throw new IndexOutOfBoundsException("snapshot offset " + offset + " outside [0, " + buffer.capacity() + "]");
        }
        this.buffer = buffer;
        this.array = buffer.byteArray();
        this.base = buffer.addressOffset();
        this.position = offset;
        this.limit = buffer.capacity();
        return this;
    }

    int position() {
        return position;
    }

    private void room(int n) {
        if (limit - position < n) {
            throw new IndexOutOfBoundsException("snapshot needs more than the buffer's " + limit + " bytes");
        }
    }

    void putByte(int v) {
        room(1);
        UnsafeApi.putByte(array, base + position, (byte) v);
        position += 1;
    }

    void putBoolean(boolean v) {
        putByte(v ? 1 : 0);
    }

    void putInt(int v) {
        room(4);
        UnsafeApi.putInt(array, base + position, SWAP ? Integer.reverseBytes(v) : v);
        position += 4;
    }

    void putLong(long v) {
        room(8);
        UnsafeApi.putLong(array, base + position, SWAP ? Long.reverseBytes(v) : v);
        position += 8;
    }

    void putBytes(DirectBuffer src, int offset, int length) {
        buffer.putBytes(position, src, offset, length);
        position += length;
    }
}
