package io.capybara.sim.scenario;

import org.agrona.DirectBuffer;

/**
 * FNV-1a (64 bit) over a byte stream, fed in pieces of any size: the byte oracle that checks a
 * transfer without {@link StreamContent}. The sender hashes what it handed to TCP, the receiver
 * what it got; equal hashes mean the same bytes in the same order. The whole state is one
 * {@code long}, so it can travel in a migrated application's state.
 */
public final class StreamHash {
    /** The hash of the empty stream. */
    public static final long EMPTY = 0xCBF29CE484222325L;
    private static final long PRIME = 0x100000001B3L;

    private StreamHash() {
    }

    /** The hash of the stream so far ({@code hash}) followed by {@code src[offset, offset + length)}. */
    public static long update(long hash, DirectBuffer src, int offset, int length) {
        long h = hash;
        for (int i = 0; i < length; i++) {
            h = (h ^ (src.getByte(offset + i) & 0xFF)) * PRIME;
        }
        return h;
    }

    /** The same over a byte array. */
    public static long update(long hash, byte[] src, int offset, int length) {
        long h = hash;
        for (int i = 0; i < length; i++) {
            h = (h ^ (src[offset + i] & 0xFF)) * PRIME;
        }
        return h;
    }

    /**
     * The hash of stream bytes [0, length) of {@code content}, generated afresh with
     * {@link StreamContent#fill}: the expectation for a receiver, on a path that does not use
     * {@link StreamContent#firstMismatch}.
     */
    public static long of(StreamContent content, long length) {
        org.agrona.concurrent.UnsafeBuffer b = new org.agrona.concurrent.UnsafeBuffer(new byte[1 << 16]);
        long h = EMPTY;
        for (long p = 0; p < length; p += b.capacity()) {
            int n = (int) Math.min(b.capacity(), length - p);
            content.fill(b, 0, p, n);
            h = update(h, b.byteArray(), 0, n);
        }
        return h;
    }
}
