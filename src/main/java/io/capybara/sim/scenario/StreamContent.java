package io.capybara.sim.scenario;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A reproducible pseudo-random byte stream: byte {@code p} is byte {@code p % 8} of the
 * little-endian word {@code mix(seed + p / 8)}. Any range can be produced or checked without
 * storing the stream, so a 64 MiB transfer costs no memory.
 */
public final class StreamContent {
    private final long seed;

    public StreamContent(long seed) {
        this.seed = seed;
    }

    private long word(long index) {
        long z = seed + index * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public byte byteAt(long position) {
        return (byte) (word(position >>> 3) >>> ((position & 7) * 8));
    }

    /** Writes stream bytes [position, position + length) to {@code dst} at {@code offset}. */
    public void fill(MutableDirectBuffer dst, int offset, long position, int length) {
        int i = 0;
        long p = position;
        while (i < length && (p & 7) != 0) {
            dst.putByte(offset + i++, byteAt(p++));
        }
        while (i + 8 <= length) {
            dst.putLong(offset + i, word(p >>> 3), ByteOrder.LITTLE_ENDIAN);
            i += 8;
            p += 8;
        }
        while (i < length) {
            dst.putByte(offset + i++, byteAt(p++));
        }
    }

    /**
     * Checks that {@code src[offset, offset + length)} equals stream bytes starting at
     * {@code position}.
     *
     * @return -1 if equal, else the stream position of the first differing byte
     */
    public long firstMismatch(DirectBuffer src, int offset, long position, int length) {
        int i = 0;
        long p = position;
        while (i < length && (p & 7) != 0) {
            if (src.getByte(offset + i) != byteAt(p)) {
                return p;
            }
            i++;
            p++;
        }
        while (i + 8 <= length) {
            if (src.getLong(offset + i, ByteOrder.LITTLE_ENDIAN) != word(p >>> 3)) {
                break;
            }
            i += 8;
            p += 8;
        }
        while (i < length) {
            if (src.getByte(offset + i) != byteAt(p)) {
                return p;
            }
            i++;
            p++;
        }
        return -1;
    }
}
