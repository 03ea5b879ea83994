package io.capybara.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TcpCodecTest {
    private static final int SRC = 0x0A000001;
    private static final int DST = 0x0A000002;

    static java.util.stream.LongStream seeds() {
        return Seeds.seeds();
    }

    /** A Linux-style SYN, written byte by byte: MSS 1460, SACK-permitted, timestamps, NOP, WS 7. */
    static byte[] handBuiltSyn() {
        int[] b = {
            0xc3, 0x50, 0x00, 0x50, // ports 50000 -> 80
            0x12, 0x34, 0x56, 0x78, // seq
            0x00, 0x00, 0x00, 0x00, // ack
            0xa0, 0x02, 0xfa, 0xf0, // data offset 10 words, SYN, window 64240
            0x00, 0x00, 0x00, 0x00, // checksum (filled below), urgent pointer
            0x02, 0x04, 0x05, 0xb4, // MSS 1460
            0x04, 0x02, // SACK permitted
            0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, // TS val 0x00010203, ecr 0
            0x01, 0x03, 0x03, 0x07, // NOP, WS 7
        };
        byte[] bytes = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            bytes[i] = (byte) b[i];
        }
        // Checksum by the plain 16-bit reference over pseudo-header and segment.
        long sum = (SRC >>> 16) + (SRC & 0xFFFF) + (DST >>> 16) + (DST & 0xFFFF) + 6 + bytes.length;
        for (int i = 0; i < bytes.length; i += 2) {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        int c = ~(int) sum & 0xFFFF;
        bytes[16] = (byte) (c >>> 8);
        bytes[17] = (byte) c;
        return bytes;
    }

    @Test
    void parsesHandBuiltSynWithAllOptionsAndWritesItBackExactly() {
        byte[] syn = handBuiltSyn();
        UnsafeBuffer in = new UnsafeBuffer(syn);
        TcpSegment s = new TcpSegment();
        assertEquals(TcpCodec.OK, TcpCodec.parse(in, 0, syn.length, SRC, DST, true, s));
        assertEquals(50000, s.srcPort);
        assertEquals(80, s.dstPort);
        assertEquals(0x12345678, s.seq);
        assertEquals(TcpSegment.SYN, s.flags);
        assertEquals(64240, s.window);
        assertEquals(1460, s.mss);
        assertTrue(s.sackPermitted);
        assertTrue(s.hasTimestamps);
        assertEquals(0x00010203, s.tsVal);
        assertEquals(0, s.tsEcr);
        assertEquals(7, s.windowScale);
        assertEquals(0, s.payloadLength);
        assertEquals(SRC, s.srcIp);
        assertEquals(DST, s.dstIp);

        assertEquals(syn.length, TcpCodec.headerLength(s));
        UnsafeBuffer out = new UnsafeBuffer(new byte[syn.length]);
        assertEquals(syn.length, TcpCodec.write(out, 0, s));
        assertArrayEquals(syn, out.byteArray());
    }

    @Test
    void payloadIsAViewAndSurvivesRoundTrip() {
        byte[] frame = new byte[200];
        UnsafeBuffer buf = new UnsafeBuffer(frame);
        UnsafeBuffer data = new UnsafeBuffer("hello, capybara".getBytes());
        TcpSegment s = new TcpSegment();
        s.srcIp = SRC;
        s.dstIp = DST;
        s.srcPort = 1;
        s.dstPort = 2;
        s.flags = TcpSegment.ACK | TcpSegment.PSH;
        s.payload = data;
        s.payloadLength = data.capacity();
        int n = TcpCodec.write(buf, 7, s);
        assertEquals(20 + 15, n);
        TcpSegment p = new TcpSegment();
        assertEquals(TcpCodec.OK, TcpCodec.parse(buf, 7, n, SRC, DST, true, p));
        assertSame(buf, p.payload);
        assertEquals(27, p.payloadOffset);
        assertEquals("hello, capybara", buf.getStringWithoutLengthAscii(p.payloadOffset, p.payloadLength));
        assertEquals(TcpSegment.ABSENT, p.mss);
        assertFalse(p.hasTimestamps);
    }

    static TcpSegment randomSegment(SplittableRandom rnd, UnsafeBuffer payloadSource) {
        TcpSegment s = new TcpSegment();
        s.srcIp = rnd.nextInt();
        s.dstIp = rnd.nextInt();
        s.srcPort = rnd.nextInt(65536);
        s.dstPort = rnd.nextInt(65536);
        s.seq = rnd.nextInt();
        s.ack = rnd.nextInt();
        s.flags = rnd.nextInt(256);
        s.window = rnd.nextInt(65536);
        s.urgentPointer = rnd.nextInt(65536);
        s.mss = rnd.nextBoolean() ? rnd.nextInt(65536) : TcpSegment.ABSENT;
        s.windowScale = rnd.nextBoolean() ? rnd.nextInt(15) : TcpSegment.ABSENT;
        s.sackPermitted = rnd.nextBoolean();
        s.hasTimestamps = rnd.nextBoolean();
        if (s.hasTimestamps) {
            s.tsVal = rnd.nextInt();
            s.tsEcr = rnd.nextInt();
        }
        if (!s.has(TcpSegment.SYN) && rnd.nextBoolean()) {
            // up to what fits beside the other options (the codec would drop the rest)
            int fit = TcpCodec.sackBlocksThatFit(TcpCodec.headerLength(s) - TcpCodec.MIN_HEADER_LENGTH);
            s.sackCount = fit == 0 ? 0 : 1 + rnd.nextInt(fit);
            for (int i = 0; i < s.sackCount; i++) {
                s.sackLeft[i] = rnd.nextInt();
                s.sackRight[i] = rnd.nextInt();
            }
        }
        s.payload = payloadSource;
        s.payloadOffset = rnd.nextInt(100);
        s.payloadLength = rnd.nextInt(300);
        return s;
    }

    /** What the codec carries of a segment besides addresses, SACK blocks and payload, in one comparable list. */
    private static List<Object> headerFields(TcpSegment s) {
        return List.of(s.seq, s.ack, s.flags, s.window, s.urgentPointer, s.mss, s.windowScale, s.sackPermitted,
                s.hasTimestamps, s.tsVal, s.tsEcr, s.sackCount);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomSegmentsRoundTripByteExact(long seed) {
        String replay = Seeds.replay(TcpCodecTest.class, "randomSegmentsRoundTripByteExact", seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] src = new byte[400];
        rnd.nextBytes(src);
        TcpSegment s = randomSegment(rnd, new UnsafeBuffer(src));
        UnsafeBuffer first = new UnsafeBuffer(new byte[512]);
        int n = TcpCodec.write(first, 3, s);
        assertEquals(TcpCodec.segmentLength(s), n, replay);
        assertEquals(0, TcpCodec.headerLength(s) % 4, replay);

        TcpSegment p = new TcpSegment();
        assertEquals(TcpCodec.OK, TcpCodec.parse(first, 3, n, s.srcIp, s.dstIp, true, p), replay);
        assertEquals(headerFields(s), headerFields(p), replay);
        for (int i = 0; i < s.sackCount; i++) {
            assertEquals(s.sackLeft[i], p.sackLeft[i], "sack left " + i + replay);
            assertEquals(s.sackRight[i], p.sackRight[i], "sack right " + i + replay);
        }
        assertEquals(s.payloadLength, p.payloadLength, replay);

        UnsafeBuffer second = new UnsafeBuffer(new byte[512]);
        assertEquals(n, TcpCodec.write(second, 3, p), replay);
        assertEquals(0, first.compareTo(second), "build-parse-build differs" + replay);

        // Any single bit flip is caught by the checksum (a one's-complement sum detects all 1-bit errors).
        int bit = rnd.nextInt(n * 8);
        first.putByte(3 + bit / 8, (byte) (first.getByte(3 + bit / 8) ^ (1 << (bit % 8))));
        int r = TcpCodec.parse(first, 3, n, s.srcIp, s.dstIp, true, p);
        assertTrue(r != TcpCodec.OK, "bit " + bit + " flip accepted" + replay);
    }

    @Test
    void rejectsBadChecksumOnlyWhenVerifying() {
        byte[] syn = handBuiltSyn();
        syn[4] ^= 1;
        UnsafeBuffer b = new UnsafeBuffer(syn);
        TcpSegment s = new TcpSegment();
        assertEquals(TcpCodec.BAD_CHECKSUM, TcpCodec.parse(b, 0, syn.length, SRC, DST, true, s));
        assertEquals(TcpCodec.OK, TcpCodec.parse(b, 0, syn.length, SRC, DST, false, s));
        // The pseudo-header counts: right bytes, wrong addresses.
        byte[] good = handBuiltSyn();
        assertEquals(TcpCodec.BAD_CHECKSUM, TcpCodec.parse(new UnsafeBuffer(good), 0, good.length, SRC, DST + 1, true, s));
    }

    @Test
    void rejectsEveryTruncationAndBadDataOffset() {
        byte[] syn = handBuiltSyn();
        UnsafeBuffer b = new UnsafeBuffer(syn);
        TcpSegment s = new TcpSegment();
        for (int len = 0; len < syn.length; len++) {
            int r = TcpCodec.parse(b, 0, len, SRC, DST, false, s);
            assertEquals(len < 20 ? TcpCodec.TRUNCATED : TcpCodec.BAD_DATA_OFFSET, r, "length " + len);
        }
        for (int dataOffset = 0; dataOffset < 5; dataOffset++) {
            byte[] copy = syn.clone();
            copy[12] = (byte) (dataOffset << 4);
            assertEquals(TcpCodec.BAD_DATA_OFFSET, TcpCodec.parse(new UnsafeBuffer(copy), 0, copy.length, SRC, DST, false, s));
        }
    }

    /** Rewrites the option at {@code at} in the hand-built SYN and parses without checksum. */
    private static int parseWithOptionBytes(int at, int... bytes) {
        byte[] syn = handBuiltSyn();
        for (int i = 0; i < bytes.length; i++) {
            syn[at + i] = (byte) bytes[i];
        }
        return TcpCodec.parse(new UnsafeBuffer(syn), 0, syn.length, SRC, DST, false, new TcpSegment());
    }

    @Test
    void rejectsMalformedOptionLengths() {
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(20, 2, 0)); // length 0
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(20, 2, 1)); // length 1
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(20, 2, 5)); // MSS must be 4
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(20, 99, 21)); // past the header
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(24, 4, 3)); // SACK-permitted must be 2
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(26, 8, 9)); // timestamps must be 10
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(37, 3, 2)); // WS must be 3
        assertEquals(TcpCodec.BAD_OPTION, parseWithOptionBytes(37, 1, 1, 30)); // kind with no length byte
    }

    /** An ACK with timestamps and SACK blocks as Linux lays it out: NOP NOP TS, NOP NOP SACK. */
    private static byte[] ackWithSack(int blocks) {
        int optionBytes = 12 + 4 + 8 * blocks;
        UnsafeBuffer b = new UnsafeBuffer(new byte[20 + optionBytes]);
        b.putShort(0, (short) 80, ByteOrder.BIG_ENDIAN);
        b.putShort(2, (short) 50000, ByteOrder.BIG_ENDIAN);
        b.putInt(4, 1000, ByteOrder.BIG_ENDIAN);
        b.putInt(8, 0xFFFFFF00, ByteOrder.BIG_ENDIAN);
        b.putByte(12, (byte) (((20 + optionBytes) / 4) << 4));
        b.putByte(13, (byte) TcpSegment.ACK);
        b.putShort(14, (short) 500, ByteOrder.BIG_ENDIAN);
        byte[] opts = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 1, 1, 5, (byte) (2 + 8 * blocks)};
        b.putBytes(20, opts);
        for (int i = 0; i < blocks; i++) {
            // blocks straddle the sequence wrap: values are unsigned 32-bit
            b.putInt(36 + 8 * i, 0xFFFFFF00 + 0x100 * (i + 1), ByteOrder.BIG_ENDIAN);
            b.putInt(40 + 8 * i, 0xFFFFFF00 + 0x100 * (i + 1) + 0x80, ByteOrder.BIG_ENDIAN);
        }
        return b.byteArray();
    }

    @Test
    void parsesSackBlocksAndWritesThemBackExactly() {
        for (int blocks = 1; blocks <= 3; blocks++) {
            byte[] ack = ackWithSack(blocks);
            TcpSegment s = new TcpSegment();
            assertEquals(TcpCodec.OK, TcpCodec.parse(new UnsafeBuffer(ack), 0, ack.length, SRC, DST, false, s));
            assertEquals(blocks, s.sackCount);
            for (int i = 0; i < blocks; i++) {
                assertEquals(0xFFFFFF00 + 0x100 * (i + 1), s.sackLeft[i]);
                assertEquals(0xFFFFFF00 + 0x100 * (i + 1) + 0x80, s.sackRight[i]);
            }
            assertTrue(s.hasTimestamps);
            assertEquals(7, s.tsVal);
            assertEquals(ack.length, TcpCodec.headerLength(s));
            UnsafeBuffer out = new UnsafeBuffer(new byte[ack.length]);
            s.srcIp = SRC;
            s.dstIp = DST;
            assertEquals(ack.length, TcpCodec.write(out, 0, s));
            out.putShort(TcpCodec.CHECKSUM_OFFSET, (short) 0);
            assertArrayEquals(ack, out.byteArray(), "blocks " + blocks);
            // a reused holder forgets the blocks
            s.clear();
            assertEquals(0, s.sackCount);
        }
    }

    @Test
    void writesOnlyTheSackBlocksThatFitTheOptionSpace() {
        TcpSegment s = new TcpSegment();
        s.flags = TcpSegment.ACK;
        s.sackCount = TcpSegment.MAX_SACK_BLOCKS;
        for (int i = 0; i < s.sackCount; i++) {
            s.sackLeft[i] = 100 * (i + 1);
            s.sackRight[i] = 100 * (i + 1) + 10;
        }
        assertEquals(4, TcpCodec.sackBlocksThatFit(0));
        assertEquals(3, TcpCodec.sackBlocksThatFit(12));
        assertEquals(20 + 4 + 32, TcpCodec.headerLength(s)); // no timestamps: all four
        s.hasTimestamps = true;
        assertEquals(TcpCodec.MAX_HEADER_LENGTH, TcpCodec.headerLength(s)); // beside timestamps: three
        s.windowScale = 7;
        s.mss = 1460;
        assertEquals(20 + 4 + 12 + 4 + 4 + 16, TcpCodec.headerLength(s)); // two beside MSS, TS, WS
        UnsafeBuffer out = new UnsafeBuffer(new byte[128]);
        int n = TcpCodec.write(out, 0, s);
        assertEquals(TcpCodec.MAX_HEADER_LENGTH, n);
        TcpSegment p = new TcpSegment();
        assertEquals(TcpCodec.OK, TcpCodec.parse(out, 0, n, 0, 0, true, p));
        assertEquals(2, p.sackCount);
        assertEquals(100, p.sackLeft[0]);
        assertEquals(210, p.sackRight[1]);
        // a nonsense count writes nothing rather than failing
        s.sackCount = -3;
        assertEquals(20 + 4 + 12 + 4, TcpCodec.headerLength(s));
        assertEquals(20 + 4 + 12 + 4, TcpCodec.write(out, 0, s));
    }

    @Test
    void rejectsMalformedSackOptionsAsBadOption() {
        byte[] good = ackWithSack(2);
        int lenAt = 20 + 15;
        // lengths that are not 2 + 8n with 1 <= n <= 4 (the header has room for any of them)
        for (int len : new int[]{0, 1, 2, 3, 9, 11, 17, 19, 25}) {
            byte[] bad = good.clone();
            bad[lenAt] = (byte) len;
            TcpSegment s = new TcpSegment();
            int r = TcpCodec.parse(new UnsafeBuffer(bad), 0, bad.length, SRC, DST, false, s);
            assertEquals(TcpCodec.BAD_OPTION, r, "length " + len);
        }
        // 2 + 8n running past the header
        byte[] bad = good.clone();
        bad[lenAt] = (byte) 26;
        assertEquals(TcpCodec.BAD_OPTION, TcpCodec.parse(new UnsafeBuffer(bad), 0, bad.length, SRC, DST, false,
                new TcpSegment()));
        // every byte value in the length field, with random block bytes: a result, never an exception
        SplittableRandom rnd = new SplittableRandom(5);
        for (int len = 0; len < 256; len++) {
            byte[] any = good.clone();
            any[lenAt] = (byte) len;
            for (int i = lenAt + 1; i < any.length; i++) {
                any[i] = (byte) rnd.nextInt(256);
            }
            TcpSegment s = new TcpSegment();
            int r = TcpCodec.parse(new UnsafeBuffer(any), 0, any.length, SRC, DST, false, s);
            assertTrue(r == TcpCodec.OK || r == TcpCodec.BAD_OPTION, "length " + len + ": " + r);
            assertTrue(r != TcpCodec.OK || (s.sackCount >= 1 && s.sackCount <= 2), "length " + len);
        }
    }

    @Test
    void skipsUnknownOptionsAndStopsAtEol() {
        // Unknown kind 30 of length 4 in place of MSS is skipped; the rest still parses.
        byte[] syn = handBuiltSyn();
        syn[20] = 30;
        TcpSegment s = new TcpSegment();
        assertEquals(TcpCodec.OK, TcpCodec.parse(new UnsafeBuffer(syn), 0, syn.length, SRC, DST, false, s));
        assertEquals(TcpSegment.ABSENT, s.mss);
        assertEquals(7, s.windowScale);
        // EOL right after MSS: nothing further is read, even garbage.
        syn = handBuiltSyn();
        syn[24] = 0;
        syn[25] = (byte) 0xFF;
        assertEquals(TcpCodec.OK, TcpCodec.parse(new UnsafeBuffer(syn), 0, syn.length, SRC, DST, false, s));
        assertEquals(1460, s.mss);
        assertFalse(s.sackPermitted);
        assertEquals(TcpSegment.ABSENT, s.windowScale);
    }

    @Test
    void incrementalPortAndAddressRewriteKeepsChecksumValid() {
        byte[] syn = handBuiltSyn();
        UnsafeBuffer b = new UnsafeBuffer(syn);
        TcpCodec.setDstPort(b, 0, 8080);
        TcpCodec.updateChecksumForAddress(b, 0, DST, 0x0A0000FE);
        TcpSegment s = new TcpSegment();
        assertEquals(TcpCodec.OK, TcpCodec.parse(b, 0, syn.length, SRC, 0x0A0000FE, true, s));
        assertEquals(8080, s.dstPort);
        assertEquals(0, b.getShort(12, ByteOrder.BIG_ENDIAN) & 0x0F00); // reserved bits untouched
    }
}
