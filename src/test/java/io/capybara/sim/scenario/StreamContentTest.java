package io.capybara.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The byte oracle of every transfer and migration test, tested on its own: against a
 * reference written from the specification (SplitMix64 words, little-endian), and with
 * planted damage that it must find at the exact position.
 */
class StreamContentTest {
    /** The reference: byte p is byte p % 8 (little-endian) of splitmix64's finalizer of seed + (p / 8) * golden. */
    static byte reference(long seed, long p) {
        long z = seed + (p / 8) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (byte) (z >>> (8 * (p % 8)));
    }

    @Test
    void fillProducesTheSpecifiedStreamAtAnyPositionAndLength() {
        SplittableRandom r = new SplittableRandom(1);
        UnsafeBuffer b = new UnsafeBuffer(new byte[300]);
        for (int t = 0; t < 2000; t++) {
            long seed = r.nextLong();
            long pos = r.nextLong(1L << 40);
            int off = r.nextInt(20);
            int len = r.nextInt(b.capacity() - off + 1);
            StreamContent s = new StreamContent(seed);
            s.fill(b, off, pos, len);
            for (int i = 0; i < len; i++) {
                assertEquals(reference(seed, pos + i), b.getByte(off + i), "seed " + seed + " position " + (pos + i));
                assertEquals(reference(seed, pos + i), s.byteAt(pos + i));
            }
        }
    }

    @Test
    void firstMismatchAcceptsTheStreamItself() {
        SplittableRandom r = new SplittableRandom(2);
        UnsafeBuffer b = new UnsafeBuffer(new byte[300]);
        for (int t = 0; t < 2000; t++) {
            StreamContent s = new StreamContent(r.nextLong());
            long pos = r.nextLong(1L << 40);
            int len = r.nextInt(b.capacity() + 1);
            s.fill(b, 0, pos, len);
            assertEquals(-1, s.firstMismatch(b, 0, pos, len));
        }
    }

    /** Kills the mutation "firstMismatch always says equal": one flipped bit anywhere is found, at its position. */
    @Test
    void firstMismatchFindsTheExactPositionOfAnyFlippedByte() {
        SplittableRandom r = new SplittableRandom(3);
        UnsafeBuffer b = new UnsafeBuffer(new byte[300]);
        for (int t = 0; t < 3000; t++) {
            StreamContent s = new StreamContent(r.nextLong());
            long pos = r.nextLong(1L << 40);
            int len = 1 + r.nextInt(b.capacity());
            s.fill(b, 0, pos, len);
            // head (before the first aligned word), middle (inside a word) or tail: all three loops
            int at = r.nextInt(len);
            b.putByte(at, (byte) (b.getByte(at) ^ (1 << r.nextInt(8))));
            int second = at + r.nextInt(len - at);
            if (second != at) { // a later second error: the first one is still the one reported
                b.putByte(second, (byte) (b.getByte(second) ^ 0x80));
            }
            assertEquals(pos + at, s.firstMismatch(b, 0, pos, len), "flip at " + at + " of " + len + " from " + pos);
        }
    }

    @Test
    void aMisplacedBlockAndAWrongStartAreMismatches() {
        StreamContent s = new StreamContent(42);
        UnsafeBuffer b = new UnsafeBuffer(new byte[8192]);
        s.fill(b, 0, 0, 8192);
        // swap two 1 KiB blocks: every byte is a stream byte, just at the wrong place
        byte[] tmp = new byte[1024];
        b.getBytes(1024, tmp);
        b.putBytes(1024, b, 4096, 1024);
        b.putBytes(4096, tmp);
        assertEquals(1024, s.firstMismatch(b, 0, 0, 8192));
        s.fill(b, 0, 0, 8192);
        assertEquals(0, s.firstMismatch(b, 8, 0, 100), "bytes from position 8 checked as position 0");
        assertEquals(-1, s.firstMismatch(b, 8, 8, 100));
        assertTrue(new StreamContent(43).firstMismatch(b, 0, 0, 64) >= 0, "another seed's stream differs");
    }

    @Test
    void theStreamDoesNotRepeatSoMisplacedBlocksCannotMatch() {
        StreamContent s = new StreamContent(7);
        UnsafeBuffer b = new UnsafeBuffer(new byte[1 << 16]);
        Set<Long> words = new HashSet<>();
        for (long pos = 0; pos < 4L << 20; pos += b.capacity()) {
            s.fill(b, 0, pos, b.capacity());
            for (int i = 0; i < b.capacity(); i += 8) {
                assertTrue(words.add(b.getLong(i)), "an 8-byte word repeats within 4 MiB at " + (pos + i));
            }
        }
        assertNotEquals(s.byteAt(0), s.byteAt(1L << 20), "not periodic at 1 MiB");
    }

    @Test
    void streamHashIsOrderSensitiveAndPieceIndependent() {
        StreamContent s = new StreamContent(9);
        UnsafeBuffer b = new UnsafeBuffer(new byte[10_000]);
        s.fill(b, 0, 0, b.capacity());
        long whole = StreamHash.update(StreamHash.EMPTY, b, 0, b.capacity());
        long pieces = StreamHash.EMPTY;
        SplittableRandom r = new SplittableRandom(4);
        for (int off = 0; off < b.capacity(); ) {
            int n = Math.min(b.capacity() - off, 1 + r.nextInt(1500));
            pieces = StreamHash.update(pieces, b.byteArray(), off, n);
            off += n;
        }
        assertEquals(whole, pieces);
        byte x = b.getByte(100);
        b.putByte(100, b.getByte(101));
        b.putByte(101, x);
        assertNotEquals(whole, StreamHash.update(StreamHash.EMPTY, b, 0, b.capacity()), "two bytes swapped");
        assertNotEquals(StreamHash.EMPTY, StreamHash.update(StreamHash.EMPTY, new byte[1], 0, 1), "a zero byte counts");
    }
}
