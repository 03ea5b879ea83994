package io.capybara.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Writes complete Ethernet frames for the host's transmit path. IPv4 headers get no options,
 * DF set and TTL 64; the caller supplies the IPv4 id (a per-host counter) so output stays
 * deterministic. MAC arguments follow wire order: destination first.
 */
public final class FrameEncoder {
    /** Ethernet plus option-less IPv4 header: where the L4 header starts. */
    public static final int IPV4_HEADERS_LENGTH = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH;
    public static final int TTL = Ipv4Header.DEFAULT_TTL;

    private FrameEncoder() {
    }

    /** Frame bytes {@link #encodeTcp} will write for {@code seg}. */
    public static int tcpFrameLength(TcpSegment seg) {
        return IPV4_HEADERS_LENGTH + TcpCodec.segmentLength(seg);
    }

    /**
     * Writes Ethernet + IPv4 + TCP (options, payload copy, both checksums) for {@code seg},
     * addressed from {@code seg.srcIp} to {@code seg.dstIp}. The buffer must hold
     * {@link #tcpFrameLength} bytes from {@code offset}.
     *
     * @return the frame length
     */
    public static int encodeTcp(MutableDirectBuffer buf, int offset, long dstMac, long srcMac, int ipId, TcpSegment seg) {
        return encodeTcp(buf, offset, dstMac, srcMac, ipId, seg, false);
    }

    /**
     * {@link #encodeTcp(MutableDirectBuffer, int, long, long, int, TcpSegment)}; with
     * {@code partialTcpChecksum} the TCP checksum is left for the device (see
     * {@link TcpCodec#write(MutableDirectBuffer, int, TcpSegment, boolean)}); the IPv4 header's
     * is always complete.
     */
    public static int encodeTcp(MutableDirectBuffer buf, int offset, long dstMac, long srcMac, int ipId, TcpSegment seg,
                                boolean partialTcpChecksum) {
        EthernetHeader.write(buf, offset, dstMac, srcMac, EthernetHeader.TYPE_IPV4);
        int ip = offset + EthernetHeader.LENGTH;
        // TCP first: its length sets the IPv4 total length.
        int tcpLength = TcpCodec.write(buf, ip + Ipv4Header.MIN_LENGTH, seg, partialTcpChecksum);
        return ipv4(buf, ip, ipId, seg, tcpLength);
    }

    /**
     * The frame's headers alone (Ethernet, IPv4, TCP with a partial checksum, lengths counting
     * the payload): for a channel that sends the payload from where it lies.
     *
     * @return the whole frame's length; its headers are that minus {@code seg.payloadLength}
     */
    public static int encodeTcpHeaders(MutableDirectBuffer buf, int offset, long dstMac, long srcMac, int ipId,
                                       TcpSegment seg) {
        EthernetHeader.write(buf, offset, dstMac, srcMac, EthernetHeader.TYPE_IPV4);
        int ip = offset + EthernetHeader.LENGTH;
        return ipv4(buf, ip, ipId, seg, TcpCodec.writeHeader(buf, ip + Ipv4Header.MIN_LENGTH, seg));
    }

    private static int ipv4(MutableDirectBuffer buf, int ip, int ipId, TcpSegment seg, int tcpLength) {
        Ipv4Header.write(buf, ip, Ipv4Header.MIN_LENGTH + tcpLength, ipId, Ipv4Header.FLAG_DF, TTL,
                Ipv4Header.PROTO_TCP, seg.srcIp, seg.dstIp);
        return IPV4_HEADERS_LENGTH + tcpLength;
    }

    /**
     * Writes Ethernet + IPv4 + UDP with a copy of the payload and both checksums.
     *
     * @return the frame length
     */
    public static int encodeUdp(MutableDirectBuffer buf, int offset, long dstMac, long srcMac, int ipId,
                                int srcIp, int dstIp, int srcPort, int dstPort,
                                DirectBuffer payload, int payloadOffset, int payloadLength) {
        EthernetHeader.write(buf, offset, dstMac, srcMac, EthernetHeader.TYPE_IPV4);
        int ip = offset + EthernetHeader.LENGTH;
        int udp = ip + Ipv4Header.MIN_LENGTH;
        if (payloadLength > 0) {
            buf.putBytes(udp + UdpHeader.LENGTH, payload, payloadOffset, payloadLength);
        }
        UdpHeader.write(buf, udp, srcPort, dstPort, payloadLength, srcIp, dstIp);
        int udpLength = UdpHeader.LENGTH + payloadLength;
        Ipv4Header.write(buf, ip, Ipv4Header.MIN_LENGTH + udpLength, ipId, Ipv4Header.FLAG_DF, TTL,
                Ipv4Header.PROTO_UDP, srcIp, dstIp);
        return IPV4_HEADERS_LENGTH + udpLength;
    }

    /**
     * Writes an Ethernet/IPv4 ARP frame (42 bytes; the NIC pads to the 60-byte minimum).
     *
     * @return the frame length
     */
    public static int encodeArp(MutableDirectBuffer buf, int offset, long dstMac, long srcMac, int op,
                                long senderMac, int senderIp, long targetMac, int targetIp) {
        EthernetHeader.write(buf, offset, dstMac, srcMac, EthernetHeader.TYPE_ARP);
        ArpPacket.write(buf, offset + EthernetHeader.LENGTH, op, senderMac, senderIp, targetMac, targetIp);
        return EthernetHeader.LENGTH + ArpPacket.LENGTH;
    }
}
