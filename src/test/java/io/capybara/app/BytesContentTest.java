package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class BytesContentTest {

    @Test
    void fillMatchesByteAtOnHeapOffsetAndOffHeapBuffers() {
        long from = 123_456_789_000L;
        UnsafeBuffer heap = new UnsafeBuffer(new byte[5000]);
        UnsafeBuffer wrapped = new UnsafeBuffer(new byte[6000], 700, 5000);
        UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(5000));
        for (UnsafeBuffer b : new UnsafeBuffer[] {heap, wrapped, direct}) {
            BytesContent.fill(b, 3, from, 4000);
            for (int i = 0; i < 4000; i++) {
                assertEquals(BytesContent.byteAt(from + i), b.getByte(3 + i), "byte " + i);
            }
            assertEquals(0, b.getByte(2), "nothing written before the range");
            assertEquals(0, b.getByte(4003), "nothing written after the range");
        }
        assertThrows(IndexOutOfBoundsException.class, () -> BytesContent.fill(heap, 4000, 0, 1001));
    }

    @Test
    void documentedPrefixMatches() {
        // the vector in the Javadoc, computed independently with the Python formula there
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append((char) BytesContent.byteAt(i));
        }
        assertEquals("acuxkjkfresdbslboczqgqxmzulqdrdckhuttkxu", sb.toString());
    }

    @Test
    void lettersAreRoughlyUniform() {
        long[] counts = new long[26];
        int n = 2_600_000;
        for (int i = 0; i < n; i++) {
            byte b = BytesContent.byteAt(i);
            assertTrue(b >= 'a' && b <= 'z');
            counts[b - 'a']++;
        }
        for (long c : counts) {
            assertEquals(100_000, c, 1_000);
        }
    }

    @Test
    void noShiftUpToSixtyFourKiBLooksTheSame() {
        // a run of 32 bytes misplaced by any distance d is detected: the content at i and i+d differ
        byte[] window = new byte[70_000];
        for (int i = 0; i < window.length; i++) {
            window[i] = BytesContent.byteAt(i);
        }
        for (int d = 1; d <= 65_536; d++) {
            boolean differs = false;
            for (int i = 0; i < 32 && !differs; i++) {
                differs = window[i] != window[i + d];
            }
            assertTrue(differs, "shift " + d + " undetectable");
        }
        assertNotEquals(BytesContent.byteAt(0), BytesContent.byteAt(1));
    }
}
