package io.capybara.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ChecksumsTest {
    static java.util.stream.LongStream seeds() {
        return Seeds.seeds();
    }

    /** Plain 16-bit-at-a-time reference, written as RFC 1071 section 4.1 describes it. */
    private static int referenceSum(byte[] data, int offset, int length) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += ((data[offset + i] & 0xFF) << 8) | (data[offset + i + 1] & 0xFF);
        }
        if (i < length) {
            sum += (data[offset + i] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    @Test
    void rfc1071WorkedExample() {
        // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        byte[] bytes = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        UnsafeBuffer b = new UnsafeBuffer(bytes);
        assertEquals(0xddf2, Checksums.fold(Checksums.sum(b, 0, 8)));
        assertEquals(0x220d, Checksums.compute(b, 0, 8));
    }

    @Test
    void rfc1624WorkedExample() {
        // RFC 1624 section 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000 (eqn. 3).
        assertEquals(0x0000, Checksums.update16(0xDD2F, 0x5555, 0x3285));
    }

    @Test
    void knownIpv4Header() {
        // A widely used textbook header: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
        byte[] h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
            (byte) 0xc0, (byte) 0xa8, 0x00, 0x01, (byte) 0xc0, (byte) 0xa8, 0x00, (byte) 0xc7};
        UnsafeBuffer b = new UnsafeBuffer(h);
        assertEquals(0xb861, Checksums.compute(b, 0, 20));
        b.putShort(10, (short) 0xb861, ByteOrder.BIG_ENDIAN);
        assertTrue(Ipv4Header.verifyChecksum(b, 0, 20));
        b.putByte(15, (byte) 2);
        assertFalse(Ipv4Header.verifyChecksum(b, 0, 20));
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void wideSumEqualsReferenceAtAnyOffsetAndLength(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] data = new byte[rnd.nextInt(1, 200)];
        rnd.nextBytes(data);
        int offset = rnd.nextInt(data.length);
        int length = rnd.nextInt(data.length - offset + 1);
        UnsafeBuffer b = new UnsafeBuffer(data);
        assertEquals(referenceSum(data, offset, length), Checksums.fold(Checksums.sum(b, offset, length)),
                "offset=" + offset + " length=" + length
                        + Seeds.replay(ChecksumsTest.class, "wideSumEqualsReferenceAtAnyOffsetAndLength", seed));
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void incrementalUpdateEqualsFullRecompute(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        String replay = Seeds.replay(ChecksumsTest.class, "incrementalUpdateEqualsFullRecompute", seed);
        UnsafeBuffer b = new UnsafeBuffer(new byte[20]);
        Ipv4Header.write(b, 0, rnd.nextInt(20, 65536), rnd.nextInt(65536), Ipv4Header.FLAG_DF,
                rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(), rnd.nextInt());
        assertTrue(Ipv4Header.verifyChecksum(b, 0, 20), replay);

        // 16-bit word change anywhere but the checksum field.
        int word = rnd.nextInt(10);
        if (word == 5) {
            word = 0;
        }
        int oldWord = b.getShort(word * 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        int newWord = rnd.nextInt(65536);
        int incremental = Checksums.update16(Ipv4Header.checksum(b, 0), oldWord, newWord);
        b.putShort(word * 2, (short) newWord, ByteOrder.BIG_ENDIAN);
        Ipv4Header.updateChecksum(b, 0, 20);
        assertEquals(Ipv4Header.checksum(b, 0), incremental, "word " + word + replay);

        // 32-bit address change through the setters.
        int newDst = rnd.nextInt();
        Ipv4Header.setDst(b, 0, newDst);
        int viaSetter = Ipv4Header.checksum(b, 0);
        Ipv4Header.updateChecksum(b, 0, 20);
        assertEquals(Ipv4Header.checksum(b, 0), viaSetter, "dst" + replay);
        Ipv4Header.setSrc(b, 0, rnd.nextInt());
        viaSetter = Ipv4Header.checksum(b, 0);
        Ipv4Header.updateChecksum(b, 0, 20);
        assertEquals(Ipv4Header.checksum(b, 0), viaSetter, "src" + replay);
        Ipv4Header.setTtl(b, 0, rnd.nextInt(256));
        viaSetter = Ipv4Header.checksum(b, 0);
        Ipv4Header.updateChecksum(b, 0, 20);
        assertEquals(Ipv4Header.checksum(b, 0), viaSetter, "ttl" + replay);
        assertTrue(Ipv4Header.verifyChecksum(b, 0, 20), replay);
    }

    @Test
    void incrementalMatchesRecomputeWhenResultIsZero() {
        // Build a header whose full checksum is 0x0000 by search, then reach it incrementally.
        UnsafeBuffer b = new UnsafeBuffer(new byte[20]);
        Ipv4Header.write(b, 0, 40, 0, 0, 64, 6, 0x0A000001, 0x0A000002);
        int start = Ipv4Header.checksum(b, 0);
        int oldId = 0;
        for (int id = 1; id < 65536; id++) {
            b.putShort(4, (short) id, ByteOrder.BIG_ENDIAN);
            Ipv4Header.updateChecksum(b, 0, 20);
            if (Ipv4Header.checksum(b, 0) == 0) {
                assertEquals(0, Checksums.update16(start, oldId, id));
                return;
            }
        }
        throw new AssertionError("no id gives a zero checksum");
    }

    @Test
    void update32EqualsTwoUpdate16() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            int hc = rnd.nextInt(0xFFFF);
            int a = rnd.nextInt();
            int c = rnd.nextInt();
            int twice = Checksums.update16(Checksums.update16(hc, a >>> 16, c >>> 16), a & 0xFFFF, c & 0xFFFF);
            assertEquals(twice, Checksums.update32(hc, a, c));
        }
    }

    @Test
    void pseudoHeaderSumFoldsLikeTheTwelveByteHeader() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[12]);
        b.putInt(0, 0xC0A80001, ByteOrder.BIG_ENDIAN);
        b.putInt(4, 0xC0A800C7, ByteOrder.BIG_ENDIAN);
        b.putShort(8, (short) 6, ByteOrder.BIG_ENDIAN);
        b.putShort(10, (short) 1480, ByteOrder.BIG_ENDIAN);
        assertEquals(Checksums.fold(Checksums.sum(b, 0, 12)),
                Checksums.fold(Checksums.pseudoHeaderSum(0xC0A80001, 0xC0A800C7, 6, 1480)));
    }
}
