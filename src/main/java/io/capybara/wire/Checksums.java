package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * <p>Sums are carried as unfolded {@code long} partial sums so callers can add ranges and the
 * pseudo-header together and fold once. Summing big-endian 32-bit words and folding gives the
 * same 16-bit one's-complement sum as summing 16-bit words, because 2^16 = 1 (mod 0xFFFF).
 */
public final class Checksums {
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private Checksums() {
    }

    /**
     * Unfolded one's-complement partial sum of {@code length} bytes starting at {@code offset},
     * as 16-bit big-endian words relative to {@code offset}; an odd last byte is padded with zero.
     */
    public static long sum(DirectBuffer buffer, int offset, int length) {
        long sum = 0;
        int i = offset;
        int end = offset + length;
        // 8 bytes per step: two 32-bit halves added into a 64-bit accumulator cannot overflow
        // for any buffer smaller than 2^31 bytes.
        while (end - i >= 8) {
            long v = buffer.getLong(i, BE);
            sum += (v >>> 32) + (v & 0xFFFF_FFFFL);
            i += 8;
        }
        if (end - i >= 4) {
            sum += buffer.getInt(i, BE) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (end - i >= 2) {
            sum += buffer.getShort(i, BE) & 0xFFFF;
            i += 2;
        }
        if (end - i == 1) {
            sum += (buffer.getByte(i) & 0xFF) << 8;
        }
        return sum;
    }

    /** Partial sum of the IPv4 pseudo-header used by TCP and UDP (RFC 793, RFC 768). */
    public static long pseudoHeaderSum(int srcIp, int dstIp, int protocol, int length) {
        return (srcIp & 0xFFFF_FFFFL) + (dstIp & 0xFFFF_FFFFL) + (protocol & 0xFF) + (length & 0xFFFF);
    }

    /** Folds a partial sum to 16 bits with end-around carry; a non-zero sum folds to 1..0xFFFF. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The checksum field value for a partial sum taken with the checksum field zeroed. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xFFFF;
    }

    /** True if a partial sum that includes the checksum field verifies (folds to 0xFFFF). */
    public static boolean verify(long sum) {
        return fold(sum) == 0xFFFF;
    }

    /** Checksum field value for a range whose checksum field is currently zero. */
    public static int compute(DirectBuffer buffer, int offset, int length) {
        return finish(sum(buffer, offset, length));
    }

    /**
     * RFC 1624 eqn. 3: the new checksum after one 16-bit word changed from {@code oldWord} to
     * {@code newWord}: HC' = ~(~HC + ~m + m'). Matches a full recompute, including never
     * producing 0xFFFF for a non-zero header.
     */
    public static int update16(int oldChecksum, int oldWord, int newWord) {
        long sum = (~oldChecksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /** RFC 1624 eqn. 3 for a changed 32-bit value, e.g. an IPv4 address, as two 16-bit words. */
    public static int update32(int oldChecksum, int oldValue, int newValue) {
        long sum = (~oldChecksum & 0xFFFF)
                + (~(oldValue >>> 16) & 0xFFFF) + (~oldValue & 0xFFFF)
                + ((newValue >>> 16) & 0xFFFF) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }
}
