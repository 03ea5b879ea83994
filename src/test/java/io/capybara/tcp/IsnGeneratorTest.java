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
}
