package io.capybara.tcp;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Sequential big-endian reader over snapshot bytes. Every read is bounds-checked against the
 * body's end (checked against the buffer once, in wrap) so crafted input fails with a
 * {@link SnapshotException} naming the field, never an IndexOutOfBoundsException. Reads go
 * through {@link UnsafeApi} for the reason given in {@link SnapshotWriter}.
 */
final class SnapshotReader {
    private static final boolean SWAP = ByteOrder.nativeOrder() != ByteOrder.BIG_ENDIAN;

    private DirectBuffer buffer;
    private byte[] array;
    private long base;
    private int position;
    private int limit;

    SnapshotReader wrap(DirectBuffer buffer, int offset, int length) {
        if (offset < 0 || length < 0 || (long) offset + length > buffer.capacity()) {
            throw new IndexOutOfBoundsException("snapshot range [" + offset + ", +" + length + ") outside the buffer");
        }
        this.buffer = buffer;
        this.array = buffer.byteArray();
        this.base = buffer.addressOffset();
        this.position = offset;
        this.limit = offset + length;
        return this;
    }

    int remaining() {
        return limit - position;
    }

    private void need(int n, String field) throws SnapshotException {
        if (n < 0 || limit - position < n) {
            throw truncated(n, field);
        }
    }

    private SnapshotException truncated(int n, String field) {
        return new SnapshotException("snapshot truncated: field '" + field + "' needs " + n
                + " bytes, " + (limit - position) + " left");
    }

    int getByte(String field) throws SnapshotException {
        need(1, field);
        return UnsafeApi.getByte(array, base + position++) & 0xFF;
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
        int v = UnsafeApi.getInt(array, base + position);
        position += 4;
        return SWAP ? Integer.reverseBytes(v) : v;
    }

    /** An int that must lie in [min, max]. */
    int getInt(String field, long min, long max) throws SnapshotException {
        int v = getInt(field);
        if (v < min || v > max) {
            throw outside(field, v, min, max);
        }
        return v;
    }

    long getLong(String field) throws SnapshotException {
        need(8, field);
        long v = UnsafeApi.getLong(array, base + position);
        position += 8;
        return SWAP ? Long.reverseBytes(v) : v;
    }

    long getLong(String field, long min, long max) throws SnapshotException {
        long v = getLong(field);
        if (v < min || v > max) {
            throw outside(field, v, min, max);
        }
        return v;
    }

    private static SnapshotException outside(String field, long v, long min, long max) {
        return new SnapshotException("snapshot corrupt: field '" + field + "' = " + v
                + " outside [" + min + ", " + max + "]");
    }

    void getBytes(MutableDirectBuffer dst, int dstOffset, int length, String field) throws SnapshotException {
        need(length, field);
        dst.putBytes(dstOffset, buffer, position, length);
        position += length;
    }
}
