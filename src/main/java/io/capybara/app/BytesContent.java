package io.capybara.app;

import org.agrona.MutableDirectBuffer;

/**
 * The deterministic body of {@code GET /bytes/N}: byte {@code i} (0-based) is a lowercase letter
 * picked by a multiplicative hash of {@code i}, so clients can verify any byte of any response
 * without state, and a lost, duplicated or reordered run of bytes (of any length) shows up:
 *
 * <pre>
 *   h = (i * 0x9E3779B97F4A7C15) mod 2^64        // Fibonacci hashing
 *   byte[i] = 'a' + ((h >>> 32) * 26 >>> 32)      // top 32 bits scaled onto 0..25
 * </pre>
 *
 * In Python: {@code chr(97 + (((i * 0x9E3779B97F4A7C15) % 2**64 >> 32) * 26 >> 32))}.
 */
public final class BytesContent {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private BytesContent() {
    }

    /** The byte at {@code index} of every {@code /bytes/N} body with {@code N > index}. */
    public static byte byteAt(long index) {
        long top = (index * GOLDEN) >>> 32;
        return (byte) ('a' + (int) ((top * 26) >>> 32));
    }

    /** Writes bytes {@code [from, from + length)} of the content to {@code dst} at {@code offset}. */
    public static void fill(MutableDirectBuffer dst, int offset, long from, int length) {
        for (int i = 0; i < length; i++) {
            dst.putByte(offset + i, byteAt(from + i));
        }
    }
}
