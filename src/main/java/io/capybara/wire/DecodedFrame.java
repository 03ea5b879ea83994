package io.capybara.wire;

import org.agrona.DirectBuffer;

/**
 * What {@link FrameDecoder} learned about one Ethernet frame: a reused holder of plain fields.
 * Only the fields of the decoded {@link #kind} (and its lower layers) are meaningful; offsets
 * are absolute indexes into {@link #buffer}, valid only while the frame is.
 */
public final class DecodedFrame {
    /** What the frame turned out to be. */
    public enum Kind {
        ARP,
        TCP,
        UDP,
        /** IPv4 with another protocol (ICMP, ...): IP fields and the L4 range are set. */
        OTHER_IPV4,
        DROPPED
    }

    public Kind kind = Kind.DROPPED;
    /** Set when {@link #kind} is {@link Kind#DROPPED}, else null. */
    public DropReason dropReason;

    public DirectBuffer buffer;
    public int frameOffset;
    public int frameLength;

    // Ethernet
    public long dstMac;
    public long srcMac;
    public int etherType;

    // ARP (Ethernet/IPv4 only)
    public int arpOp;
    public long arpSenderMac;
    public int arpSenderIp;
    public long arpTargetMac;
    public int arpTargetIp;

    // IPv4
    public int ipOffset;
    public int ipHeaderLength;
    public int ipTotalLength;
    public int ipTos;
    public int ipId;
    public boolean ipDontFragment;
    public int ipTtl;
    public int ipProtocol;
    public int srcIp;
    public int dstIp;

    // L4: the IPv4 payload range (trailing Ethernet padding excluded)
    public int l4Offset;
    public int l4Length;

    // UDP
    public int udpSrcPort;
    public int udpDstPort;
    public int udpPayloadOffset;
    public int udpPayloadLength;

    /** Filled for {@link Kind#TCP}; its payload is a view into {@link #buffer}. */
    public final TcpSegment tcp;

    public DecodedFrame() {
        this(new TcpSegment());
    }

    /** Uses the caller's segment holder, e.g. the one the host loop hands to connections. */
    public DecodedFrame(TcpSegment tcp) {
        this.tcp = tcp;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DecodedFrame{").append(kind);
        if (kind == Kind.DROPPED) {
            sb.append(' ').append(dropReason);
        } else if (kind == Kind.ARP) {
            sb.append(" op=").append(arpOp).append(' ').append(Ipv4Address.format(arpSenderIp))
                    .append("->").append(Ipv4Address.format(arpTargetIp));
        } else {
            sb.append(' ').append(Ipv4Address.format(srcIp)).append("->").append(Ipv4Address.format(dstIp));
            if (kind == Kind.TCP) {
                sb.append(' ').append(tcp);
            } else if (kind == Kind.UDP) {
                sb.append(" udp ").append(udpSrcPort).append("->").append(udpDstPort);
            }
        }
        return sb.append('}').toString();
    }
}
