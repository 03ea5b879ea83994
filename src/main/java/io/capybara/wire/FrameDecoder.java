package io.capybara.wire;

import org.agrona.DirectBuffer;

/**
 * Decodes a whole Ethernet frame in one call: Ethernet, then ARP or IPv4, then TCP or UDP.
 * Every rejection is counted by reason in {@link WireCounters}; nothing throws for any byte
 * content, provided {@code [offset, offset + length)} lies inside the buffer. No allocation.
 *
 * <p>IPv4 fragments are dropped (counted apart): the stack sends with DF set and an MSS that
 * fits, so it never needs reassembly.
 */
public final class FrameDecoder {
    private final WireCounters counters;
    private final boolean verifyL4Checksums;

    /** A decoder that verifies IPv4, TCP and UDP checksums. */
    public FrameDecoder(WireCounters counters) {
        this(counters, true);
    }

    /**
     * @param verifyL4Checksums false to trust TCP/UDP checksums, e.g. on a link whose NIC
     *     offloads them and delivers local frames unchecksummed. The IPv4 header is always checked.
     */
    public FrameDecoder(WireCounters counters, boolean verifyL4Checksums) {
        this.counters = counters;
        this.verifyL4Checksums = verifyL4Checksums;
    }

    public WireCounters counters() {
        return counters;
    }

    /**
     * Decodes the frame into {@code out}.
     *
     * @return {@code out.kind}; {@link DecodedFrame.Kind#DROPPED} with {@code out.dropReason} set
     *     if the frame was rejected
     */
    public DecodedFrame.Kind decode(DirectBuffer buf, int offset, int length, DecodedFrame out) {
        out.buffer = buf;
        out.frameOffset = offset;
        out.frameLength = length;
        out.dropReason = null;
        // A range outside the buffer is the caller's bug, but still must not throw from here.
        if (offset < 0 || length < 0 || offset > buf.capacity() - length) {
            return drop(out, DropReason.ETHERNET_TRUNCATED);
        }
        if (length < EthernetHeader.LENGTH) {
            return drop(out, DropReason.ETHERNET_TRUNCATED);
        }
        out.dstMac = EthernetHeader.dst(buf, offset);
        out.srcMac = EthernetHeader.src(buf, offset);
        out.etherType = EthernetHeader.etherType(buf, offset);
        int l3 = offset + EthernetHeader.LENGTH;
        int l3Length = length - EthernetHeader.LENGTH;
        return switch (out.etherType) {
            case EthernetHeader.TYPE_IPV4 -> decodeIpv4(buf, l3, l3Length, out);
            case EthernetHeader.TYPE_ARP -> decodeArp(buf, l3, l3Length, out);
            default -> drop(out, DropReason.UNSUPPORTED_ETHERTYPE);
        };
    }

    private DecodedFrame.Kind decodeArp(DirectBuffer buf, int at, int length, DecodedFrame out) {
        int check = ArpPacket.check(buf, at, length);
        if (check == ArpPacket.TRUNCATED) {
            return drop(out, DropReason.ARP_TRUNCATED);
        }
        if (check != ArpPacket.OK) {
            return drop(out, DropReason.ARP_UNSUPPORTED);
        }
        out.arpOp = ArpPacket.op(buf, at);
        out.arpSenderMac = ArpPacket.senderMac(buf, at);
        out.arpSenderIp = ArpPacket.senderIp(buf, at);
        out.arpTargetMac = ArpPacket.targetMac(buf, at);
        out.arpTargetIp = ArpPacket.targetIp(buf, at);
        return accept(out, DecodedFrame.Kind.ARP);
    }

    private DecodedFrame.Kind decodeIpv4(DirectBuffer buf, int ip, int available, DecodedFrame out) {
        if (available < Ipv4Header.MIN_LENGTH) {
            return drop(out, DropReason.IPV4_TRUNCATED);
        }
        if (Ipv4Header.version(buf, ip) != 4) {
            return drop(out, DropReason.IPV4_BAD_VERSION);
        }
        int headerLength = Ipv4Header.headerLength(buf, ip);
        if (headerLength < Ipv4Header.MIN_LENGTH) {
            return drop(out, DropReason.IPV4_BAD_HEADER_LENGTH);
        }
        if (headerLength > available) {
            return drop(out, DropReason.IPV4_TRUNCATED);
        }
        int totalLength = Ipv4Header.totalLength(buf, ip);
        if (totalLength < headerLength) {
            return drop(out, DropReason.IPV4_BAD_TOTAL_LENGTH);
        }
        // Shorter frames than the header claims were cut; longer ones carry Ethernet padding.
        if (totalLength > available) {
            return drop(out, DropReason.IPV4_TRUNCATED);
        }
        if (!Ipv4Header.verifyChecksum(buf, ip, headerLength)) {
            return drop(out, DropReason.IPV4_BAD_CHECKSUM);
        }
        if (Ipv4Header.isFragment(buf, ip)) {
            return drop(out, DropReason.IPV4_FRAGMENT);
        }
        out.ipOffset = ip;
        out.ipHeaderLength = headerLength;
        out.ipTotalLength = totalLength;
        out.ipTos = Ipv4Header.tos(buf, ip);
        out.ipId = Ipv4Header.id(buf, ip);
        out.ipDontFragment = Ipv4Header.dontFragment(buf, ip);
        out.ipTtl = Ipv4Header.ttl(buf, ip);
        out.ipProtocol = Ipv4Header.protocol(buf, ip);
        out.srcIp = Ipv4Header.src(buf, ip);
        out.dstIp = Ipv4Header.dst(buf, ip);
        out.l4Offset = ip + headerLength;
        out.l4Length = totalLength - headerLength;
        return switch (out.ipProtocol) {
            case Ipv4Header.PROTO_TCP -> decodeTcp(buf, out);
            case Ipv4Header.PROTO_UDP -> decodeUdp(buf, out);
            default -> accept(out, DecodedFrame.Kind.OTHER_IPV4);
        };
    }

    private DecodedFrame.Kind decodeTcp(DirectBuffer buf, DecodedFrame out) {
        int r = TcpCodec.parse(buf, out.l4Offset, out.l4Length, out.srcIp, out.dstIp, verifyL4Checksums, out.tcp);
        if (r != TcpCodec.OK) {
            return drop(out, DropReason.ofTcp(r));
        }
        return accept(out, DecodedFrame.Kind.TCP);
    }

    private DecodedFrame.Kind decodeUdp(DirectBuffer buf, DecodedFrame out) {
        int at = out.l4Offset;
        if (out.l4Length < UdpHeader.LENGTH) {
            return drop(out, DropReason.UDP_TRUNCATED);
        }
        int udpLength = UdpHeader.length(buf, at);
        if (udpLength < UdpHeader.LENGTH || udpLength > out.l4Length) {
            return drop(out, DropReason.UDP_BAD_LENGTH);
        }
        if (verifyL4Checksums && !UdpHeader.verifyChecksum(buf, at, udpLength, out.srcIp, out.dstIp)) {
            return drop(out, DropReason.UDP_BAD_CHECKSUM);
        }
        out.udpSrcPort = UdpHeader.srcPort(buf, at);
        out.udpDstPort = UdpHeader.dstPort(buf, at);
        out.udpPayloadOffset = at + UdpHeader.LENGTH;
        out.udpPayloadLength = udpLength - UdpHeader.LENGTH;
        return accept(out, DecodedFrame.Kind.UDP);
    }

    private DecodedFrame.Kind accept(DecodedFrame out, DecodedFrame.Kind kind) {
        counters.accept(kind);
        out.kind = kind;
        return kind;
    }

    private DecodedFrame.Kind drop(DecodedFrame out, DropReason reason) {
        counters.drop(reason);
        out.dropReason = reason;
        out.kind = DecodedFrame.Kind.DROPPED;
        return DecodedFrame.Kind.DROPPED;
    }
}
