package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * ARP for Ethernet/IPv4 only (RFC 826); {@code offset} is the start of the ARP payload, right
 * after the Ethernet header. Other hardware or protocol types are not ours to answer.
 */
public final class ArpPacket {
    public static final int LENGTH = 28;
    public static final int HTYPE_ETHERNET = 1;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final int HTYPE = 0;
    private static final int PTYPE = 2;
    private static final int HLEN = 4;
    private static final int PLEN = 5;
    private static final int OP = 6;
    private static final int SENDER_MAC = 8;
    private static final int SENDER_IP = 14;
    private static final int TARGET_MAC = 18;
    private static final int TARGET_IP = 24;

    /** {@link #check} results. */
    public static final int OK = 0;
    public static final int TRUNCATED = 1;
    public static final int UNSUPPORTED = 2;

    private ArpPacket() {
    }

    /**
     * Checks that {@code length} bytes hold an Ethernet/IPv4 request or reply.
     *
     * @return {@link #OK}, {@link #TRUNCATED} or {@link #UNSUPPORTED}
     */
    public static int check(DirectBuffer buffer, int offset, int length) {
        if (length < LENGTH) {
            return TRUNCATED;
        }
        int op = op(buffer, offset);
        boolean ok = (buffer.getShort(offset + HTYPE, BE) & 0xFFFF) == HTYPE_ETHERNET
                && (buffer.getShort(offset + PTYPE, BE) & 0xFFFF) == EthernetHeader.TYPE_IPV4
                && (buffer.getByte(offset + HLEN) & 0xFF) == MacAddress.LENGTH
                && (buffer.getByte(offset + PLEN) & 0xFF) == 4
                && (op == OP_REQUEST || op == OP_REPLY);
        return ok ? OK : UNSUPPORTED;
    }

    public static int op(DirectBuffer buffer, int offset) {
        return buffer.getShort(offset + OP, BE) & 0xFFFF;
    }

    public static long senderMac(DirectBuffer buffer, int offset) {
        return MacAddress.read(buffer, offset + SENDER_MAC);
    }

    public static int senderIp(DirectBuffer buffer, int offset) {
        return buffer.getInt(offset + SENDER_IP, BE);
    }

    public static long targetMac(DirectBuffer buffer, int offset) {
        return MacAddress.read(buffer, offset + TARGET_MAC);
    }

    public static int targetIp(DirectBuffer buffer, int offset) {
        return buffer.getInt(offset + TARGET_IP, BE);
    }

    /** Writes a complete Ethernet/IPv4 ARP packet and returns {@link #LENGTH}. */
    public static int write(MutableDirectBuffer buffer, int offset, int op,
                            long senderMac, int senderIp, long targetMac, int targetIp) {
        buffer.putShort(offset + HTYPE, (short) HTYPE_ETHERNET, BE);
        buffer.putShort(offset + PTYPE, (short) EthernetHeader.TYPE_IPV4, BE);
        buffer.putByte(offset + HLEN, (byte) MacAddress.LENGTH);
        buffer.putByte(offset + PLEN, (byte) 4);
        buffer.putShort(offset + OP, (short) op, BE);
        MacAddress.write(buffer, offset + SENDER_MAC, senderMac);
        buffer.putInt(offset + SENDER_IP, senderIp, BE);
        MacAddress.write(buffer, offset + TARGET_MAC, targetMac);
        buffer.putInt(offset + TARGET_IP, targetIp, BE);
        return LENGTH;
    }
}
