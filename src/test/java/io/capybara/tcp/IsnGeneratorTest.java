package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class IsnGeneratorTest {
    @Test
    void sipHashMatchesReferenceVector() {
        // SipHash paper, appendix A: key 00..0f, message 00..0e
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        byte[] m = new byte[15];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) i;
        }
        assertEquals(0xa129ca6149be45e5L, IsnGenerator.sipHash24(k0, k1, m));
    }

    @Test
    void fixedSizeFormEqualsGenericForm() {
        long k0 = 0x1234_5678_9abc_def0L;
        long k1 = 0x0fed_cba9_8765_4321L;
        long w0 = 0x0A00_0001_0A00_0002L;
        long w1 = 0x0000_0000_9C40_0050L;
        byte[] m = new byte[16];
        for (int i = 0; i < 8; i++) {
            m[i] = (byte) (w0 >>> (8 * i));
            m[8 + i] = (byte) (w1 >>> (8 * i));
        }
        assertEquals(IsnGenerator.sipHash24(k0, k1, m), IsnGenerator.sipHash24(k0, k1, w0, w1));
    }

    @Test
    void isnIsPureAndAdvancesEvery4Microseconds() {
        IsnGenerator g = new IsnGenerator(42);
        int a = g.isn(0x0A000001, 40000, 0x0A000002, 80, 1_000_000);
        assertEquals(a, new IsnGenerator(42).isn(0x0A000001, 40000, 0x0A000002, 80, 1_000_000));
        assertEquals(a + 1, g.isn(0x0A000001, 40000, 0x0A000002, 80, 1_004_000));
        assertEquals(a + 250, g.isn(0x0A000001, 40000, 0x0A000002, 80, 2_000_000));
        assertNotEquals(a, g.isn(0x0A000001, 40001, 0x0A000002, 80, 1_000_000));
        assertNotEquals(a, g.isn(0x0A000002, 40000, 0x0A000001, 80, 1_000_000));
        assertNotEquals(a, new IsnGenerator(43).isn(0x0A000001, 40000, 0x0A000002, 80, 1_000_000));
    }

    /** The byte form on empty, 8-byte and 16-byte messages: SipHash paper, appendix A (key 00..0f, message 00..len-1). */
    @Test
    void sipHashMatchesTheReferenceVectorsAtBlockBoundaries() {
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        assertEquals(0x726fdb47dd0e0e31L, IsnGenerator.sipHash24(k0, k1, counting(0)));
        assertEquals(0x93f5f5799a932462L, IsnGenerator.sipHash24(k0, k1, counting(8)));
        assertEquals(0x3f2acc7f57c29bdbL, IsnGenerator.sipHash24(k0, k1, counting(16)));
        assertEquals(0x3f2acc7f57c29bdbL, IsnGenerator.sipHash24(k0, k1, 0x0706050403020100L, 0x0f0e0d0c0b0a0908L));
    }

    private static byte[] counting(int n) {
        byte[] m = new byte[n];
        for (int i = 0; i < n; i++) {
            m[i] = (byte) i;
        }
        return m;
    }

    /** The second key word is SplitMix64's first output from the seed (for seed 0: 0xe220a8397b1dcdaf). */
    @Test
    void theSecondKeyWordIsSplitMix64OfTheSeed() {
        assertEquals(0xe220a8397b1dcdafL, IsnGenerator.mix64(0x9E3779B97F4A7C15L));
        assertEquals(0x6e789e6aa1b965f4L, IsnGenerator.mix64(0x9E3779B97F4A7C15L * 2));
    }

    /**
     * RFC 6528 by a second path: M (4 us ticks) plus F, SipHash-2-4 under (seed, SplitMix64(seed))
     * of the tuple's 16 bytes (local and remote address, then the ports) in the byte form, folded to 32 bits.
     */
    @Test
    void theIsnIsTheTimerPlusTheFoldedHashOfTheTuple() {
        int localIp = 0x0A000001;
        int remoteIp = 0xC0A80102; // high bit set: no sign extension may leak into the word
        int localPort = 0xA001;
        int remotePort = 0x0050;
        byte[] m = new byte[16];
        long[] words = {(long) localIp << 32 | (remoteIp & 0xFFFFFFFFL), (long) localPort << 16 | remotePort};
        for (int w = 0; w < 2; w++) {
            for (int i = 0; i < 8; i++) {
                m[8 * w + i] = (byte) (words[w] >>> (8 * i));
            }
        }
        long f = IsnGenerator.sipHash24(0, 0xe220a8397b1dcdafL, m);
        long now = 123_456_789L;
        assertEquals((int) (now / 4000) + (int) (f ^ (f >>> 32)), new IsnGenerator(0).isn(localIp, localPort, remoteIp,
                remotePort, now));
    }
}
