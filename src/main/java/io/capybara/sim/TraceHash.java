package io.capybara.sim;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/**
 * A 64-bit running hash over every frame the simulator's links deliver: link, direction,
 * delivery time and bytes. Two runs with equal hashes carried the same frames at the same
 * times. Word-at-a-time multiply/rotate mixing over fixed little-endian words (equal on every
 * platform) with a strong final avalanche; not
 * cryptographic, just fast and sensitive to every bit and to order.
 */
public final class TraceHash {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;

    private long state = 0x6A09E667F3BCC909L;
    private long frames;

    /** Folds one delivered frame into the trace. */
    public void add(int linkId, int direction, long timeNanos, DirectBuffer buffer, int offset, int length) {
        long h = frameHash(buffer, offset, length);
        h ^= mix(((long) linkId << 1 | direction) * P3 + timeNanos);
        state = Long.rotateLeft(state ^ mix(h), 29) * P1 + P2;
        frames++;
    }

    public long value() {
        return avalanche(state ^ frames);
    }

    public long frames() {
        return frames;
    }

    /** Hash of a byte range alone (also handy for checking payloads). */
    public static long frameHash(DirectBuffer buffer, int offset, int length) {
        long h = P3 + length;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            h = Long.rotateLeft(h ^ (buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN) * P2), 31) * P1;
        }
        for (; i < length; i++) {
            h = Long.rotateLeft(h ^ ((buffer.getByte(offset + i) & 0xFFL) * P3), 11) * P1;
        }
        return avalanche(h);
    }

    private static long mix(long v) {
        return Long.rotateLeft(v * P2, 31) * P1;
    }

    private static long avalanche(long h) {
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }
}
