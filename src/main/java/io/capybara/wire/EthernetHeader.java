package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** Ethernet II header accessors over a buffer; {@code offset} is the start of the frame. */
public final class EthernetHeader {
    public static final int LENGTH = 14;
    public static final int DST_OFFSET = 0;
    public static final int SRC_OFFSET = 6;
    public static final int TYPE_OFFSET = 12;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_IPV6 = 0x86DD;

    private EthernetHeader() {
    }

    public static long dst(DirectBuffer buffer, int offset) {
        return MacAddress.read(buffer, offset + DST_OFFSET);
    }

    public static long src(DirectBuffer buffer, int offset) {
        return MacAddress.read(buffer, offset + SRC_OFFSET);
    }

    public static int etherType(DirectBuffer buffer, int offset) {
        return buffer.getShort(offset + TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public static void dst(MutableDirectBuffer buffer, int offset, long mac) {
        MacAddress.write(buffer, offset + DST_OFFSET, mac);
    }

    public static void src(MutableDirectBuffer buffer, int offset, long mac) {
        MacAddress.write(buffer, offset + SRC_OFFSET, mac);
    }

    /** Writes the whole header and returns {@link #LENGTH}. */
    public static int write(MutableDirectBuffer buffer, int offset, long dst, long src, int etherType) {
        MacAddress.write(buffer, offset + DST_OFFSET, dst);
        MacAddress.write(buffer, offset + SRC_OFFSET, src);
        buffer.putShort(offset + TYPE_OFFSET, (short) etherType, ByteOrder.BIG_ENDIAN);
        return LENGTH;
    }
}
