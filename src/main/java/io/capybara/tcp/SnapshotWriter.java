package io.capybara.tcp;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** Sequential big-endian writer over a caller's buffer; the caller sized it via snapshotSize. */
final class SnapshotWriter {
    private MutableDirectBuffer buffer;
    private int position;

    SnapshotWriter wrap(MutableDirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.position = offset;
        return this;
    }

    int position() {
        return position;
    }

    void putByte(int v) {
        buffer.putByte(position, (byte) v);
        position += 1;
    }

    void putBoolean(boolean v) {
        putByte(v ? 1 : 0);
    }

    void putInt(int v) {
        buffer.putInt(position, v, ByteOrder.BIG_ENDIAN);
        position += 4;
    }

    void putLong(long v) {
        buffer.putLong(position, v, ByteOrder.BIG_ENDIAN);
        position += 8;
    }

    void putBytes(DirectBuffer src, int offset, int length) {
        buffer.putBytes(position, src, offset, length);
        position += length;
    }
}
