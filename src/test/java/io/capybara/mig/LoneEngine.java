package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.MemoryLink;
import io.capybara.rack.RackSimulation;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.WireCounters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One migration engine on a host with no peers: the test hands it TCPMig messages and client
 * segments as if the switch had passed them on, and reads what it sends back off the link. For
 * the protocol's rules one message at a time, where a rack would need a race to reach them.
 * The engine is server 1; server 0 plays the origin, server 2 a second target, 10.0.1.16 the client.
 */
final class LoneEngine {
    static final int SELF = RackSimulation.ip(1);
    static final int ORIGIN = RackSimulation.ip(0);
    static final int OTHER = RackSimulation.ip(2);
    static final int CLIENT = RackSimulation.ip(16);
    /** The connection's original server, named in the messages' value field. */
    static final int ORIGINAL = RackSimulation.ip(3);
    static final int SWITCH = RackSimulation.SWITCH_IP;
    static final int CLIENT_PORT = 40000;
    static final int SERVER_PORT = 80;

    /** One TCPMig message the engine sent, with the address it went to. */
    record Sent(int dstIp, int type, int reason, int id, int clientIp, int clientPort, int serverPort, int originIp,
                int targetIp, long value) {
    }

    final MemoryLink link = MemoryLink.pair("lone", 4096);
    final Host host;
    final MigrationEngine engine;
    private final FrameDecoder decoder = new FrameDecoder(new WireCounters());
    private int ipId;

    LoneEngine(MigrationConfig config, MigratableApp app) {
        host = new Host(HostConfig.of("lone", RackSimulation.mac(1), SELF, 16).withStaticArp(Map.of(
                ORIGIN, RackSimulation.mac(0), OTHER, RackSimulation.mac(2), SWITCH, RackSimulation.SWITCH_MAC,
                CLIENT, RackSimulation.mac(16))), link.a());
        engine = new MigrationEngine(host, config, app, MigrationMetrics.constant());
    }

    /** The defaults, heartbeats off (so that nothing is sent unasked). */
    static MigrationConfig quiet() {
        return MigrationConfig.defaults(SWITCH).withHeartbeat(0);
    }

    long counter(MigCounter c) {
        return engine.counter(c);
    }

    /** A well-formed TCPMig datagram from {@code from} to this server, fields set by {@code fields}. */
    static byte[] message(int from, int type, int id, byte[] body, UnaryOperator<TcpMigHeader> fields) {
        byte[] msg = new byte[TcpMigHeader.MIN_LENGTH + body.length];
        System.arraycopy(body, 0, msg, TcpMigHeader.HEADER_LENGTH, body.length);
        fields.apply(new TcpMigHeader().wrap(new UnsafeBuffer(msg), 0).init(type, id).bodyLength(body.length)).seal();
        byte[] f = new byte[FrameEncoder.IPV4_HEADERS_LENGTH + 8 + msg.length];
        FrameEncoder.encodeUdp(new UnsafeBuffer(f), 0, RackSimulation.mac(1), RackSimulation.SWITCH_MAC, id, from, SELF,
                TcpMigHeader.UDP_PORT, TcpMigHeader.UDP_PORT, new UnsafeBuffer(msg), 0, msg.length);
        return f;
    }

    /** The fields of a message about this test's one connection, migration from {@link #ORIGIN} to us. */
    static TcpMigHeader about(TcpMigHeader h) {
        return h.clientIp(CLIENT).clientPort(CLIENT_PORT).serverPort(SERVER_PORT).originIp(ORIGIN).targetIp(SELF)
                .value(ORIGINAL);
    }

    DecodedFrame decode(byte[] frame) {
        DecodedFrame d = new DecodedFrame();
        decoder.decode(new UnsafeBuffer(frame), 0, frame.length, d);
        return d;
    }

    /** Hands the engine a message as the host would. */
    void receive(int from, int type, int id, UnaryOperator<TcpMigHeader> fields) {
        receive(message(from, type, id, new byte[0], fields));
    }

    /** Hands the engine a TCPMig datagram as the host would. */
    void receive(byte[] frame) {
        DecodedFrame d = decode(frame);
        assertEquals(DecodedFrame.Kind.UDP, d.kind);
        engine.onControl(d);
    }

    /** PREPARE_MIG for this test's connection, migration {@code id} from {@link #ORIGIN}. */
    void prepare(int id) {
        receive(ORIGIN, TcpMigHeader.PREPARE_MIG, id, LoneEngine::about);
    }

    /** ABORT of migration {@code id} from {@code from}, with {@code reason}. */
    void abort(int from, int id, int reason) {
        receive(from, TcpMigHeader.ABORT, id, h -> about(h).reason(reason));
    }

    /** A TCP frame from {@code clientIp}:{@link #CLIENT_PORT} to {@code dstIp}:{@link #SERVER_PORT} with {@code ttl}. */
    static byte[] clientSegment(int clientIp, int dstIp, int ttl, int flags, int seq, int ack, byte[] payload) {
        return clientSegment(clientIp, CLIENT_PORT, dstIp, ttl, flags, seq, ack, payload);
    }

    /** The same from {@code clientPort}. */
    static byte[] clientSegment(int clientIp, int clientPort, int dstIp, int ttl, int flags, int seq, int ack,
                                byte[] payload) {
        TcpSegment s = new TcpSegment().between(clientIp, clientPort, dstIp, SERVER_PORT);
        s.flags = flags;
        s.seq = seq;
        s.ack = ack;
        s.window = 1000;
        s.payload = new UnsafeBuffer(payload);
        s.payloadLength = payload.length;
        byte[] f = new byte[FrameEncoder.tcpFrameLength(s)];
        UnsafeBuffer b = new UnsafeBuffer(f);
        FrameEncoder.encodeTcp(b, 0, RackSimulation.mac(1), RackSimulation.mac(16), 1, s);
        b.putByte(EthernetHeader.LENGTH + 8, (byte) ttl);
        Ipv4Header.updateChecksum(b, EthernetHeader.LENGTH, Ipv4Header.MIN_LENGTH);
        return f;
    }

    /** The client's data segment (100 bytes) for this test's connection, addressed to us. */
    static byte[] segment(int seq, int ttl, int flags) {
        return clientSegment(CLIENT, SELF, ttl, flags, seq, 1, new byte[100]);
    }

    static byte[] segment(int seq) {
        return segment(seq, Ipv4Header.DEFAULT_TTL, TcpSegment.ACK);
    }

    /** Offers a client segment no connection of the host matched; true if the engine took it. */
    boolean unmatched(byte[] segment) {
        DecodedFrame d = decode(segment);
        assertEquals(DecodedFrame.Kind.TCP, d.kind);
        return engine.onUnmatchedSegment(d);
    }

    /** The TCPMig messages sent since the last look, in order. */
    List<Sent> sent() {
        drain();
        List<Sent> out = new ArrayList<>(messages);
        messages.clear();
        return out;
    }

    /** The TCP segments sent (forwarded or handed back) since the last look, decoded, in order. */
    List<DecodedFrame> sentSegments() {
        drain();
        List<DecodedFrame> out = new ArrayList<>(segments);
        segments.clear();
        return out;
    }

    private final List<Sent> messages = new ArrayList<>();
    private final List<DecodedFrame> segments = new ArrayList<>();

    private void drain() {
        TcpMigHeader h = new TcpMigHeader();
        link.b().poll((buf, off, len) -> {
            byte[] copy = new byte[len];
            buf.getBytes(off, copy);
            DecodedFrame d = decode(copy);
            if (d.kind == DecodedFrame.Kind.TCP) {
                segments.add(d);
            } else if (d.kind == DecodedFrame.Kind.UDP) {
                h.wrap(d.buffer, d.udpPayloadOffset);
                messages.add(new Sent(d.dstIp, h.type(), h.reason(), h.migrationId(), h.clientIp(), h.clientPort(),
                        h.serverPort(), h.originIp(), h.targetIp(), h.value()));
            }
        }, 4096);
    }
}
