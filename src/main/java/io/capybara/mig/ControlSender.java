package io.capybara.mig;

import io.capybara.host.Host;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.UdpHeader;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Builds TCPMig messages in frames of its own and hands them to the host: bodyless messages
 * whole, CONN_STATE fragments in three pieces around a body that stays where it lies. One per
 * engine; both protocol sides send through it, so IPv4 ids follow one sequence per server.
 */
final class ControlSender {
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final int MSG_OFFSET = FrameEncoder.IPV4_HEADERS_LENGTH + UdpHeader.LENGTH;
    /** Ethernet, IPv4, UDP and TCPMig headers: what precedes a CONN_STATE fragment's body. */
    private static final int HEADERS = MSG_OFFSET + TcpMigHeader.HEADER_LENGTH;

    private final Host host;
    private final int self;
    private final TcpMigHeader tx = new TcpMigHeader();
    private final UnsafeBuffer txFrame;
    /** A CONN_STATE fragment's headers and trailer, sent around its body where it lies. */
    private final UnsafeBuffer fragmentHeaders = new UnsafeBuffer(new byte[HEADERS]);
    private final UnsafeBuffer fragmentTrailer = new UnsafeBuffer(new byte[TcpMigHeader.TRAILER_LENGTH]);
    /** Body bytes per CONN_STATE fragment (the rack's MTU less headers and trailer). */
    private final int fragmentBody;
    private int ipId;

    ControlSender(Host host, int mtu) {
        this.host = host;
        this.self = host.config().ip();
        this.txFrame = new UnsafeBuffer(new byte[mtu + EthernetHeader.LENGTH]);
        this.fragmentBody = MigrationConfig.fragmentBody(mtu);
    }

    int fragmentBody() {
        return fragmentBody;
    }

    /** CONN_STATE fragments a state of {@code length} bytes takes. */
    int fragments(int length) {
        return (length + fragmentBody - 1) / fragmentBody;
    }

    /** A message without body, built and sealed in the sender's frame buffer. */
    void send(int dstIp, int type, int reason, int id, int clientIp, int clientPort, int serverPort, int originIp,
              int targetIp, long value) {
        int msgLength = headers(txFrame, dstIp, type, reason, id, clientIp, clientPort, serverPort, originIp, targetIp,
                value, 0, 1, 0);
        tx.seal();
        host.transmitIpv4(txFrame, 0, MSG_OFFSET + msgLength, dstIp);
    }

    /**
     * Sends {@code length} bytes of state as CONN_STATE fragments without copying it first:
     * each fragment goes to the host in three pieces (headers, its body where it lies, the
     * trailer with the headers' CRC32C), which the channel copies back to back.
     *
     * @return fragments sent
     */
    int sendState(int targetIp, int id, int clientIp, int clientPort, int serverPort, DirectBuffer state, int length) {
        int n = fragments(length);
        for (int i = 0; i < n; i++) {
            int len = Math.min(fragmentBody, length - i * fragmentBody);
            headers(fragmentHeaders, targetIp, TcpMigHeader.CONN_STATE, 0, id, clientIp, clientPort, serverPort, self,
                    targetIp, length, i, n, len);
            fragmentTrailer.putInt(0, tx.trailerValue(), BE);
            host.transmitIpv4(fragmentHeaders, 0, HEADERS, state, i * fragmentBody, len, fragmentTrailer, 0,
                    TcpMigHeader.TRAILER_LENGTH, targetIp);
        }
        return n;
    }

    /**
     * Writes Ethernet (type only: the host fills in the addresses), IPv4, UDP and TCPMig headers
     * at the start of {@code b}, leaving {@link #tx} on the message; returns the message length.
     * The UDP checksum is 0 (RFC 768 allows it on IPv4): the message's CRC32C protects it end to
     * end (a CONN_STATE fragment's covers its header; the state's own CRC32C its body), and the
     * switch edits messages anyway.
     */
    private int headers(UnsafeBuffer b, int dstIp, int type, int reason, int id, int clientIp, int clientPort,
                        int serverPort, int originIp, int targetIp, long value, int fragIndex, int fragCount,
                        int bodyLength) {
        tx.wrap(b, MSG_OFFSET).init(type, id).reason(reason).clientIp(clientIp).clientPort(clientPort)
                .serverPort(serverPort).originIp(originIp).targetIp(targetIp).fragment(fragIndex, fragCount)
                .value(value).bodyLength(bodyLength);
        int msgLength = tx.length();
        int udp = FrameEncoder.IPV4_HEADERS_LENGTH;
        b.putShort(udp, (short) TcpMigHeader.UDP_PORT, BE);
        b.putShort(udp + 2, (short) TcpMigHeader.UDP_PORT, BE);
        b.putShort(udp + 4, (short) (UdpHeader.LENGTH + msgLength), BE);
        b.putShort(udp + UdpHeader.CHECKSUM_OFFSET, (short) 0, BE);
        Ipv4Header.write(b, EthernetHeader.LENGTH, Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH + msgLength,
                ipId++ & 0xFFFF, Ipv4Header.FLAG_DF, Ipv4Header.DEFAULT_TTL, Ipv4Header.PROTO_UDP, self, dstIp);
        b.putShort(EthernetHeader.TYPE_OFFSET, (short) EthernetHeader.TYPE_IPV4, BE);
        return msgLength;
    }
}
