package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** UDP header accessors (RFC 768); {@code offset} is the start of the UDP header. */
public final class UdpHeader {
    public static final int LENGTH = 8;
    public static final int CHECKSUM_OFFSET = 6;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private UdpHeader() {
    }

    public static int srcPort(DirectBuffer b, int offset) {
        return b.getShort(offset, BE) & 0xFFFF;
    }

    public static int dstPort(DirectBuffer b, int offset) {
        return b.getShort(offset + 2, BE) & 0xFFFF;
    }

    /** Header plus payload bytes, as carried in the header. */
    public static int length(DirectBuffer b, int offset) {
        return b.getShort(offset + 4, BE) & 0xFFFF;
    }

    public static int checksum(DirectBuffer b, int offset) {
        return b.getShort(offset + CHECKSUM_OFFSET, BE) & 0xFFFF;
    }

    /**
     * Verifies the checksum over {@code udpLength} bytes with the pseudo-header. A checksum
     * field of 0 means the sender computed none, which IPv4 allows.
     */
    public static boolean verifyChecksum(DirectBuffer b, int offset, int udpLength, int srcIp, int dstIp) {
        if (checksum(b, offset) == 0) {
            return true;
        }
        long sum = Checksums.sum(b, offset, udpLength)
                + Checksums.pseudoHeaderSum(srcIp, dstIp, Ipv4Header.PROTO_UDP, udpLength);
        return Checksums.verify(sum);
    }

    /**
     * Writes the header for a payload already placed right after it, checksum included.
     *
     * @return {@link #LENGTH}
     */
    public static int write(MutableDirectBuffer b, int offset, int srcPort, int dstPort,
                            int payloadLength, int srcIp, int dstIp) {
        int udpLength = LENGTH + payloadLength;
        b.putShort(offset, (short) srcPort, BE);
        b.putShort(offset + 2, (short) dstPort, BE);
        b.putShort(offset + 4, (short) udpLength, BE);
        b.putShort(offset + CHECKSUM_OFFSET, (short) 0, BE);
        int c = Checksums.finish(Checksums.sum(b, offset, udpLength)
                + Checksums.pseudoHeaderSum(srcIp, dstIp, Ipv4Header.PROTO_UDP, udpLength));
        // RFC 768: a computed 0 is sent as all ones, since 0 means "no checksum".
        b.putShort(offset + CHECKSUM_OFFSET, (short) (c == 0 ? 0xFFFF : c), BE);
        return LENGTH;
    }
}
