package io.capybara.app;

import org.agrona.MutableDirectBuffer;

/**
 * The deterministic body of {@code GET /bytes/N}: byte {@code i} (0-based) is a lowercase letter
 * picked by a 64-bit mix of {@code i}, so clients can verify any byte of any response without
 * state, and a lost, duplicated or misplaced run of bytes (at any distance) shows up. All
 * arithmetic is mod 2^64, shifts unsigned:
 *
 * <pre>
 *   z = i * 0x9E3779B97F4A7C15
 *   z = z ^ (z >>> 32)
 *   z = z * 0xD6E8FEB86659FD93
 *   z = z ^ (z >>> 32)
 *   byte[i] = 'a' + (((z >>> 32) * 26) >>> 32)     // top 32 bits scaled onto 0..25
 * </pre>
 *
 * (A multiplicative hash alone is not enough: shifts by Fibonacci numbers would map almost onto
 * themselves.) In Python, with {@code M = 2**64}:
 * {@code z = i*0x9E3779B97F4A7C15 % M; z ^= z >> 32; z = z*0xD6E8FEB86659FD93 % M; z ^= z >> 32;
 * chr(97 + ((z >> 32) * 26 >> 32))}. The first 40 bytes are
 * {@code acuxkjkfresdbslboczqgqxmzulqdrdckhuttkxu}.
 */
public final class BytesContent {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long MIX = 0xD6E8FEB86659FD93L;

    private BytesContent() {
    }

    /** The byte at {@code index} of every {@code /bytes/N} body with {@code N > index}. */
    public static byte byteAt(long index) {
        return letter(index * GOLDEN);
    }

    private static byte letter(long z) {
        z ^= z >>> 32;
        z *= MIX;
        z ^= z >>> 32;
        return (byte) ('a' + (int) (((z >>> 32) * 26) >>> 32));
    }

    /** Writes bytes {@code [from, from + length)} of the content to {@code dst} at {@code offset}. */
    public static void fill(MutableDirectBuffer dst, int offset, long from, int length) {
        byte[] array = dst.byteArray();
        if (array != null) {
            // heap buffer: one range check, then a plain array loop
            dst.boundsCheck(offset, length);
            int base = dst.wrapAdjustment() + offset;
            long z = from * GOLDEN;
            for (int i = 0; i < length; i++) {
                array[base + i] = letter(z);
                z += GOLDEN;
            }
            return;
        }
        for (int i = 0; i < length; i++) {
            dst.putByte(offset + i, byteAt(from + i));
        }
    }
}
