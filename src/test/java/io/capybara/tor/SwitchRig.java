package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.WireCounters;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;

/**
 * The switch tests' rig: a switch with three servers and a client on capture ports, frames to
 * inject and the switch's output decoded and checked.
 */
abstract class SwitchRig {
    static final int SWITCH_IP = Ipv4Address.parse("10.0.0.254");
    static final long SWITCH_MAC = MacAddress.parse("02:00:00:00:00:fe");
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");
    static final int C = Ipv4Address.parse("10.0.0.3");
    static final int CLIENT = Ipv4Address.parse("10.0.1.1");
    static final long MAC_A = MacAddress.parse("02:00:00:00:00:01");
    static final long MAC_B = MacAddress.parse("02:00:00:00:00:02");
    static final long MAC_C = MacAddress.parse("02:00:00:00:00:03");
    static final long MAC_CLIENT = MacAddress.parse("02:00:00:00:01:01");
    static final int CLIENT_PORT = 40000;

    CapturePort[] ports;
    TorSwitch sw;
    /** The clock every injected frame is polled at. */
    long now = 1_000;
    final DecodedFrame decoded = new DecodedFrame();
    final FrameDecoder decoder = new FrameDecoder(new WireCounters());

    static SwitchConfig config() {
        return SwitchConfig.of(SWITCH_IP, SWITCH_MAC, List.of(
                new SwitchConfig.Host(A, MAC_A, 0, true),
                new SwitchConfig.Host(B, MAC_B, 1, true),
                new SwitchConfig.Host(C, MAC_C, 2, true),
                new SwitchConfig.Host(CLIENT, MAC_CLIENT, 3, false)));
    }

    @BeforeEach
    void setUp() {
        build(config());
    }

    void build(SwitchConfig cfg) {
        ports = new CapturePort[] {new CapturePort("A"), new CapturePort("B"), new CapturePort("C"), new CapturePort("client")};
        sw = new TorSwitch(cfg, ports);
    }

    static byte[] tcp(int srcIp, int srcPort, int dstIp, int dstPort, int flags, int seq, int ack, int payload) {
        TcpSegment s = new TcpSegment().between(srcIp, srcPort, dstIp, dstPort);
        s.flags = flags;
        s.seq = seq;
        s.ack = ack;
        s.window = 1000;
        if (payload > 0) {
            s.payload = new UnsafeBuffer(new byte[payload]);
            s.payloadLength = payload;
        }
        byte[] f = new byte[FrameEncoder.tcpFrameLength(s)];
        FrameEncoder.encodeTcp(new UnsafeBuffer(f), 0, SWITCH_MAC, 0x020000000099L, 1, s);
        return f;
    }

    static byte[] control(int type, int from, int to, int origin, int target, long value, int client, int port) {
        byte[] msg = new byte[TcpMigHeader.MIN_LENGTH];
        TcpMigHeader h = new TcpMigHeader().wrap(new UnsafeBuffer(msg), 0);
        h.init(type, 77).clientIp(client).clientPort(port).serverPort(80).originIp(origin).targetIp(target).value(value).seal();
        byte[] f = new byte[FrameEncoder.IPV4_HEADERS_LENGTH + 8 + msg.length];
        FrameEncoder.encodeUdp(new UnsafeBuffer(f), 0, SWITCH_MAC, 0x020000000099L, 1, from, to,
                TcpMigHeader.UDP_PORT, TcpMigHeader.UDP_PORT, new UnsafeBuffer(msg), 0, msg.length);
        return f;
    }

    /** Hands {@code frame} to the switch on {@code port} and polls it; returns the poll's work. */
    int inject(int port, byte[] frame) {
        ports[port].inbound.add(frame);
        return sw.poll(now);
    }

    DecodedFrame decode(byte[] f) {
        DecodedFrame.Kind k = decoder.decode(new UnsafeBuffer(f), 0, f.length, decoded);
        assertNotEquals(DecodedFrame.Kind.DROPPED, k, "switch emitted an invalid frame: " + decoded.dropReason);
        return decoded;
    }

    TcpMigHeader mig(byte[] f) {
        DecodedFrame d = decode(f);
        TcpMigHeader h = new TcpMigHeader().wrap(new UnsafeBuffer(f), d.udpPayloadOffset);
        assertEquals(TcpMigHeader.OK, h.validate(d.udpPayloadLength));
        return h;
    }

    void heartbeats(long a, long b, long c) {
        inject(0, control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, a, 0, 0));
        inject(1, control(TcpMigHeader.HEARTBEAT, B, SWITCH_IP, B, 0, b, 0, 0));
        inject(2, control(TcpMigHeader.HEARTBEAT, C, SWITCH_IP, C, 0, c, 0, 0));
    }

    void clearSent() {
        for (CapturePort p : ports) {
            p.sent.clear();
        }
    }
}
