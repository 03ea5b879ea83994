package io.capybara.tcp;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Sequential big-endian reader over snapshot bytes. Every read is bounds-checked against the
 * body's end so crafted input fails with a {@link SnapshotException} naming the field, never an
 * IndexOutOfBoundsException.
 */
final class SnapshotReader {
    private DirectBuffer buffer;
    private int position;
    private int limit;

    SnapshotReader wrap(DirectBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.position = offset;
        this.limit = offset + length;
        return this;
    }

    int remaining() {
        return limit - position;
    }

    private void need(int n, String field) throws SnapshotException {
        if (n < 0 || limit - position < n) {
            throw new SnapshotException("snapshot truncated: field '" + field + "' needs " + n
                    + " bytes, " + (limit - position) + " left");
        }
    }

    int getByte(String field) throws SnapshotException {
        need(1, field);
        return buffer.getByte(position++) & 0xFF;
    }

    boolean getBoolean(String field) throws SnapshotException {
        int v = getByte(field);
        if (v > 1) {
            throw new SnapshotException("snapshot corrupt: field '" + field + "' is not a boolean: " + v);
        }
        return v == 1;
    }

    int getInt(String field) throws SnapshotException {
        need(4, field);
        int v = buffer.getInt(position, ByteOrder.BIG_ENDIAN);
        position += 4;
        return v;
    }

    /** An int that must lie in [min, max]. */
    int getInt(String field, long min, long max) throws SnapshotException {
        int v = getInt(field);
        if (v < min || v > max) {
            throw new SnapshotException("snapshot corrupt: field '" + field + "' = " + v
                    + " outside [" + min + ", " + max + "]");
        }
        return v;
    }

    long getLong(String field) throws SnapshotException {
        need(8, field);
        long v = buffer.getLong(position, ByteOrder.BIG_ENDIAN);
        position += 8;
        return v;
    }

    long getLong(String field, long min, long max) throws SnapshotException {
        long v = getLong(field);
        if (v < min || v > max) {
            throw new SnapshotException("snapshot corrupt: field '" + field + "' = " + v
                    + " outside [" + min + ", " + max + "]");
        }
        return v;
    }

    void getBytes(MutableDirectBuffer dst, int dstOffset, int length, String field) throws SnapshotException {
        need(length, field);
        dst.putBytes(dstOffset, buffer, position, length);
        position += length;
    }
}
