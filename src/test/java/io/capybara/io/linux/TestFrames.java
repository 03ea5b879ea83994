package io.capybara.io.linux;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Builds and checks the few frames the channel tests exchange with a kernel (ARP, ICMP echo).
 * Test-only and deliberately independent of the {@code wire} codecs, so a codec bug cannot
 * hide a channel bug.
 */
final class TestFrames {
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private TestFrames() {
    }

    static void putMac(UnsafeBuffer b, int at, long mac) {
        b.putInt(at, (int) (mac >>> 16), BE);
        b.putShort(at + 4, (short) mac, BE);
    }

    static long getMac(DirectBuffer b, int at) {
        return ((b.getInt(at, BE) & 0xFFFF_FFFFL) << 16) | (b.getShort(at + 4, BE) & 0xFFFFL);
    }

    /** Broadcast ARP request: who has {@code targetIp}? tell {@code senderIp} at {@code senderMac}. */
    static UnsafeBuffer arpRequest(long senderMac, int senderIp, int targetIp) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[42]);
        putMac(b, 0, 0xFFFF_FFFF_FFFFL);
        putMac(b, 6, senderMac);
        b.putShort(12, (short) ETHERTYPE_ARP, BE);
        b.putShort(14, (short) 1, BE);       // hardware type Ethernet
        b.putShort(16, (short) 0x0800, BE);  // protocol IPv4
        b.putByte(18, (byte) 6);
        b.putByte(19, (byte) 4);
        b.putShort(20, (short) 1, BE);       // request
        putMac(b, 22, senderMac);
        b.putInt(28, senderIp, BE);
        putMac(b, 32, 0);
        b.putInt(38, targetIp, BE);
        return b;
    }

    /** The sender MAC if this frame is an ARP reply from {@code senderIp} to {@code targetMac}, else -1. */
    static long arpReplySender(DirectBuffer b, int off, int len, int senderIp, long targetMac) {
        if (len < 42 || (b.getShort(off + 12, BE) & 0xFFFF) != ETHERTYPE_ARP) {
            return -1;
        }
        if (b.getShort(off + 20, BE) != 2 || b.getInt(off + 28, BE) != senderIp
                || getMac(b, off + 32) != targetMac || getMac(b, off) != targetMac) {
            return -1;
        }
        return getMac(b, off + 22);
    }

    /** Internet checksum (RFC 1071) of {@code len} bytes at {@code off}. */
    static int checksum(DirectBuffer b, int off, int len) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += b.getShort(off + i, BE) & 0xFFFF;
        }
        if (i < len) {
            sum += (b.getByte(off + i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    /** Ethernet + IPv4 + ICMP echo request with correct IP and ICMP checksums. */
    static UnsafeBuffer icmpEchoRequest(long srcMac, long dstMac, int srcIp, int dstIp,
                                        int id, int seq, byte[] payload) {
        int icmpLen = 8 + payload.length;
        int ipLen = 20 + icmpLen;
        UnsafeBuffer b = new UnsafeBuffer(new byte[14 + ipLen]);
        putMac(b, 0, dstMac);
        putMac(b, 6, srcMac);
        b.putShort(12, (short) ETHERTYPE_IPV4, BE);
        b.putByte(14, (byte) 0x45);
        b.putShort(16, (short) ipLen, BE);
        b.putShort(18, (short) id, BE);      // IP identification
        b.putShort(20, (short) 0x4000, BE);  // DF
        b.putByte(22, (byte) 64);
        b.putByte(23, (byte) 1);              // ICMP
        b.putInt(26, srcIp, BE);
        b.putInt(30, dstIp, BE);
        b.putShort(24, (short) checksum(b, 14, 20), BE);
        b.putByte(34, (byte) 8);              // echo request
        b.putShort(38, (short) id, BE);
        b.putShort(40, (short) seq, BE);
        b.putBytes(42, payload);
        b.putShort(36, (short) checksum(b, 34, icmpLen), BE);
        return b;
    }

    /**
     * True if this frame is an ICMP echo reply from {@code fromIp} to {@code toIp}/{@code toMac}
     * with the given id, seq and payload, and valid IP and ICMP checksums.
     */
    static boolean isEchoReply(DirectBuffer b, int off, int len, long toMac, int fromIp, int toIp,
                               int id, int seq, byte[] payload) {
        if (len < 42 + payload.length || (b.getShort(off + 12, BE) & 0xFFFF) != ETHERTYPE_IPV4) {
            return false;
        }
        int ihl = (b.getByte(off + 14) & 0x0F) * 4;
        int ipLen = b.getShort(off + 16, BE) & 0xFFFF;
        if (getMac(b, off) != toMac || b.getByte(off + 23) != 1
                || b.getInt(off + 26, BE) != fromIp || b.getInt(off + 30, BE) != toIp
                || checksum(b, off + 14, ihl) != 0) {
            return false;
        }
        int icmp = off + 14 + ihl;
        int icmpLen = ipLen - ihl;
        if (b.getByte(icmp) != 0 || (b.getShort(icmp + 4, BE) & 0xFFFF) != id
                || (b.getShort(icmp + 6, BE) & 0xFFFF) != seq || icmpLen != 8 + payload.length
                || checksum(b, icmp, icmpLen) != 0) {
            return false;
        }
        for (int i = 0; i < payload.length; i++) {
            if (b.getByte(icmp + 8 + i) != payload[i]) {
                return false;
            }
        }
        return true;
    }

    /** The sender IP if this frame is an ARP request for {@code targetIp}, else 0. */
    static int arpRequestFor(DirectBuffer b, int off, int len, int targetIp) {
        if (len < 42 || (b.getShort(off + 12, BE) & 0xFFFF) != ETHERTYPE_ARP
                || b.getShort(off + 20, BE) != 1 || b.getInt(off + 38, BE) != targetIp) {
            return 0;
        }
        return b.getInt(off + 28, BE);
    }

    /** ARP reply: {@code senderIp} is at {@code senderMac}, to {@code targetMac}/{@code targetIp}. */
    static UnsafeBuffer arpReply(long senderMac, int senderIp, long targetMac, int targetIp) {
        UnsafeBuffer b = arpRequest(senderMac, senderIp, targetIp);
        putMac(b, 0, targetMac);
        b.putShort(20, (short) 2, BE);
        putMac(b, 32, targetMac);
        return b;
    }

    /** True if this is an IPv4/TCP frame whose IP header and TCP checksums (with pseudo-header) verify. */
    static boolean isTcpWithValidChecksums(DirectBuffer b, int off, int len) {
        if (len < 54 || (b.getShort(off + 12, BE) & 0xFFFF) != ETHERTYPE_IPV4 || b.getByte(off + 23) != 6) {
            return false;
        }
        int ihl = (b.getByte(off + 14) & 0x0F) * 4;
        int ipLen = b.getShort(off + 16, BE) & 0xFFFF;
        if (checksum(b, off + 14, ihl) != 0 || 14 + ipLen > len) {
            return false;
        }
        int tcpLen = ipLen - ihl;
        UnsafeBuffer pseudo = new UnsafeBuffer(new byte[12 + tcpLen]);
        pseudo.putInt(0, b.getInt(off + 26, BE), BE);
        pseudo.putInt(4, b.getInt(off + 30, BE), BE);
        pseudo.putShort(8, (short) 6, BE);
        pseudo.putShort(10, (short) tcpLen, BE);
        pseudo.putBytes(12, b, off + 14 + ihl, tcpLen);
        return checksum(pseudo, 0, pseudo.capacity()) == 0;
    }

    static boolean isTcp(DirectBuffer b, int off, int len) {
        return len >= 54 && (b.getShort(off + 12, BE) & 0xFFFF) == ETHERTYPE_IPV4 && b.getByte(off + 23) == 6;
    }
}
