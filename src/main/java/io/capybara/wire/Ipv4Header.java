package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * IPv4 header accessors (RFC 791); {@code offset} is the start of the IP header. Readers do
 * not validate: {@link FrameDecoder} checks lengths first. Setters for TTL and addresses keep
 * the header checksum valid incrementally (RFC 1624), which is what a forwarding switch needs.
 */
public final class Ipv4Header {
    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    public static final int DEFAULT_TTL = 64;

    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    private static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int ID_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SRC_OFFSET = 12;
    public static final int DST_OFFSET = 16;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private Ipv4Header() {
    }

    public static int version(DirectBuffer b, int offset) {
        return (b.getByte(offset) >> 4) & 0xF;
    }

    /** Header length in 32-bit words. */
    public static int ihl(DirectBuffer b, int offset) {
        return b.getByte(offset) & 0xF;
    }

    /** Header length in bytes, options included. */
    public static int headerLength(DirectBuffer b, int offset) {
        return ihl(b, offset) * 4;
    }

    public static int tos(DirectBuffer b, int offset) {
        return b.getByte(offset + TOS_OFFSET) & 0xFF;
    }

    public static int totalLength(DirectBuffer b, int offset) {
        return b.getShort(offset + TOTAL_LENGTH_OFFSET, BE) & 0xFFFF;
    }

    public static int id(DirectBuffer b, int offset) {
        return b.getShort(offset + ID_OFFSET, BE) & 0xFFFF;
    }

    /** The 16-bit flags + fragment offset word. */
    public static int flagsAndFragmentOffset(DirectBuffer b, int offset) {
        return b.getShort(offset + FLAGS_FRAGMENT_OFFSET, BE) & 0xFFFF;
    }

    public static boolean dontFragment(DirectBuffer b, int offset) {
        return (flagsAndFragmentOffset(b, offset) & FLAG_DF) != 0;
    }

    public static boolean moreFragments(DirectBuffer b, int offset) {
        return (flagsAndFragmentOffset(b, offset) & FLAG_MF) != 0;
    }

    /** Fragment offset in 8-byte units. */
    public static int fragmentOffset(DirectBuffer b, int offset) {
        return flagsAndFragmentOffset(b, offset) & FRAGMENT_OFFSET_MASK;
    }

    /** True for any piece of a fragmented datagram: MF set or a non-zero fragment offset. */
    public static boolean isFragment(DirectBuffer b, int offset) {
        return (flagsAndFragmentOffset(b, offset) & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public static int ttl(DirectBuffer b, int offset) {
        return b.getByte(offset + TTL_OFFSET) & 0xFF;
    }

    public static int protocol(DirectBuffer b, int offset) {
        return b.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    public static int checksum(DirectBuffer b, int offset) {
        return b.getShort(offset + CHECKSUM_OFFSET, BE) & 0xFFFF;
    }

    public static int src(DirectBuffer b, int offset) {
        return b.getInt(offset + SRC_OFFSET, BE);
    }

    public static int dst(DirectBuffer b, int offset) {
        return b.getInt(offset + DST_OFFSET, BE);
    }

    /** True if the header (of {@code headerLength} bytes, options included) sums correctly. */
    public static boolean verifyChecksum(DirectBuffer b, int offset, int headerLength) {
        return Checksums.verify(Checksums.sum(b, offset, headerLength));
    }

    /** Recomputes and stores the header checksum over {@code headerLength} bytes. */
    public static void updateChecksum(MutableDirectBuffer b, int offset, int headerLength) {
        b.putShort(offset + CHECKSUM_OFFSET, (short) 0, BE);
        b.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.compute(b, offset, headerLength), BE);
    }

    /**
     * Writes a 20-byte header without options, checksum included.
     *
     * @param totalLength header plus payload bytes
     * @param flags {@link #FLAG_DF} or 0
     * @return {@link #MIN_LENGTH}
     */
    public static int write(MutableDirectBuffer b, int offset, int totalLength, int id, int flags,
                            int ttl, int protocol, int src, int dst) {
        b.putByte(offset + VERSION_IHL_OFFSET, (byte) 0x45);
        b.putByte(offset + TOS_OFFSET, (byte) 0);
        b.putShort(offset + TOTAL_LENGTH_OFFSET, (short) totalLength, BE);
        b.putShort(offset + ID_OFFSET, (short) id, BE);
        b.putShort(offset + FLAGS_FRAGMENT_OFFSET, (short) (flags & (FLAG_DF | FLAG_MF)), BE);
        b.putByte(offset + TTL_OFFSET, (byte) ttl);
        b.putByte(offset + PROTOCOL_OFFSET, (byte) protocol);
        b.putInt(offset + SRC_OFFSET, src, BE);
        b.putInt(offset + DST_OFFSET, dst, BE);
        updateChecksum(b, offset, MIN_LENGTH);
        return MIN_LENGTH;
    }

    /** Replaces the source address and patches the header checksum incrementally. */
    public static void setSrc(MutableDirectBuffer b, int offset, int newSrc) {
        int old = src(b, offset);
        b.putInt(offset + SRC_OFFSET, newSrc, BE);
        b.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.update32(checksum(b, offset), old, newSrc), BE);
    }

    /** Replaces the destination address and patches the header checksum incrementally. */
    public static void setDst(MutableDirectBuffer b, int offset, int newDst) {
        int old = dst(b, offset);
        b.putInt(offset + DST_OFFSET, newDst, BE);
        b.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.update32(checksum(b, offset), old, newDst), BE);
    }

    /** Replaces the TTL and patches the header checksum incrementally (TTL shares a word with protocol). */
    public static void setTtl(MutableDirectBuffer b, int offset, int newTtl) {
        int oldWord = b.getShort(offset + TTL_OFFSET, BE) & 0xFFFF;
        b.putByte(offset + TTL_OFFSET, (byte) newTtl);
        int newWord = b.getShort(offset + TTL_OFFSET, BE) & 0xFFFF;
        b.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.update16(checksum(b, offset), oldWord, newWord), BE);
    }
}
