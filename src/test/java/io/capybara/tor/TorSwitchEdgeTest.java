package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.ArpPacket;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.MacAddress;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import java.util.Arrays;
import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The switch's edges: every counter a frame must move (and only that one), frames handed over
 * inside larger buffers, frames cut short at each layer, a transmit ring that refuses, FINs
 * that carry data, the idle clock that traffic keeps fresh, and the switch's own accessors.
 */
class TorSwitchEdgeTest extends SwitchRig {
    private static final int ORIGINAL_A = A;

    int sentTotal() {
        int n = 0;
        for (CapturePort p : ports) {
            n += p.sent.size();
        }
        return n;
    }

    /** With B the least loaded (heartbeats 50, 10, 30), moves the client's connection from A; returns the target's port. */
    int movedFromA() {
        heartbeats(50, 10, 30);
        return migrate(0, A, ORIGINAL_A);
    }

    /** Moves the client's connection from {@code origin} (on its port) to whichever server the switch picks; returns its port. */
    int migrate(int originPort, int origin, int original) {
        clearSent();
        inject(originPort, control(TcpMigHeader.PREPARE_MIG, origin, SWITCH_IP, origin, 0, original & 0xFFFF_FFFFL, CLIENT,
                CLIENT_PORT));
        int targetPort = -1;
        for (int p = 0; p < 3; p++) {
            if (!ports[p].sent.isEmpty()) {
                targetPort = p;
            }
        }
        int target = mig(ports[targetPort].takeOnly()).targetIp();
        inject(targetPort, control(TcpMigHeader.PREPARE_MIG_ACK, target, origin, origin, target, original & 0xFFFF_FFFFL,
                CLIENT, CLIENT_PORT));
        ports[originPort].takeOnly();
        return targetPort;
    }

    /** An Ethernet frame of {@code etherType} whose payload is {@code payload} bytes of 0x45 filler. */
    static byte[] ether(int etherType, int payload) {
        byte[] f = new byte[EthernetHeader.LENGTH + payload];
        Arrays.fill(f, (byte) 0x45);
        EthernetHeader.write(new UnsafeBuffer(f), 0, SWITCH_MAC, MAC_CLIENT, etherType);
        return f;
    }

    /** A bare IPv4 packet (no L4 payload interpretation needed) of {@code totalLength} bytes to {@code dst}. */
    static byte[] ipv4(int protocol, int dst, int totalLength, int frameIpBytes) {
        byte[] f = new byte[EthernetHeader.LENGTH + frameIpBytes];
        UnsafeBuffer b = new UnsafeBuffer(f);
        EthernetHeader.write(b, 0, SWITCH_MAC, MAC_CLIENT, EthernetHeader.TYPE_IPV4);
        Ipv4Header.write(b, EthernetHeader.LENGTH, totalLength, 1, Ipv4Header.FLAG_DF, 64, protocol, CLIENT, dst);
        return f;
    }

    @Test
    void pollReportsTheFramesItMovedAndEachFrameIsCountedOnce() {
        ports[3].inbound.add(tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.SYN, 1, 0, 0));
        ports[3].inbound.add(tcp(CLIENT, CLIENT_PORT, B, 80, TcpSegment.SYN, 1, 0, 0));
        ports[0].inbound.add(tcp(A, 80, CLIENT, CLIENT_PORT, TcpSegment.SYN | TcpSegment.ACK, 1, 2, 0));
        assertEquals(3, sw.poll(now), "three frames handled");
        assertEquals(0, sw.poll(now + 1), "nothing left: no work");
        assertEquals(3, sw.counter(SwitchCounter.RX_FRAMES));
        assertEquals(3, sw.counter(SwitchCounter.FORWARDED));
        assertEquals(3, sentTotal());
        assertEquals(0, sw.counter(SwitchCounter.REWRITE_REQUEST) + sw.counter(SwitchCounter.REWRITE_RESPONSE),
                "no entry: nothing rewritten");
    }

    @Test
    void theCounterMapAndTheAccessorsAgreeWithTheSwitch() {
        movedFromA();
        Map<SwitchCounter, Long> all = sw.counters();
        assertEquals(SwitchCounter.values().length, all.size());
        for (SwitchCounter c : SwitchCounter.values()) {
            assertEquals(sw.counter(c), all.get(c), c.name());
        }
        assertEquals(3, all.get(SwitchCounter.HEARTBEATS));
        assertEquals(1, all.get(SwitchCounter.PREPARE_STEERED));
        for (int ip : new int[] {A, B, C}) {
            assertEquals(ip, sw.serverIp(sw.serverIndex(ip)));
        }
        assertEquals(-1, sw.serverIndex(CLIENT), "a client is no server");
        SwitchConfig cfg = SwitchRig.config();
        build(cfg);
        assertSame(cfg, sw.config());
        assertEquals(Long.MAX_VALUE, sw.nextDeadline(), "no idle timeout, no VIPs: nothing to wake up for");
    }

    @Test
    void framesTooShortForTheirLayerAreDroppedAndCountedByReason() {
        inject(3, ether(EthernetHeader.TYPE_IPV6, 0)); // a bare Ethernet header of another protocol
        assertEquals(1, sw.counter(SwitchCounter.DROP_NOT_IPV4));
        inject(3, ether(EthernetHeader.TYPE_IPV6, 40));
        assertEquals(2, sw.counter(SwitchCounter.DROP_NOT_IPV4));
        assertEquals(0, sw.counter(SwitchCounter.DROP_MALFORMED));
        inject(3, ether(EthernetHeader.TYPE_IPV4, Ipv4Header.MIN_LENGTH - 1));
        assertEquals(1, sw.counter(SwitchCounter.DROP_MALFORMED), "less than an IPv4 header");
        inject(3, ipv4(Ipv4Header.PROTO_ICMP, B, 60, 40)); // claims 60 bytes, has 40
        assertEquals(2, sw.counter(SwitchCounter.DROP_MALFORMED), "total length beyond the frame");
        byte[] shortTotal = ipv4(Ipv4Header.PROTO_ICMP, B, Ipv4Header.MIN_LENGTH - 1, 40);
        inject(3, shortTotal);
        assertEquals(3, sw.counter(SwitchCounter.DROP_MALFORMED), "total length shorter than the header");
        byte[] v6 = ipv4(Ipv4Header.PROTO_ICMP, B, 40, 40);
        v6[EthernetHeader.LENGTH] = 0x65; // version 6 in an IPv4 frame
        inject(3, v6);
        byte[] shortIhl = ipv4(Ipv4Header.PROTO_ICMP, B, 40, 40);
        shortIhl[EthernetHeader.LENGTH] = 0x44; // a 16-byte header
        inject(3, shortIhl);
        assertEquals(5, sw.counter(SwitchCounter.DROP_MALFORMED));
        byte[] arp = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(arp), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST, MAC_CLIENT,
                CLIENT, 0, A);
        inject(3, Arrays.copyOf(arp, 30)); // an ARP packet cut short
        assertEquals(6, sw.counter(SwitchCounter.DROP_MALFORMED));
        assertEquals(0, sentTotal(), "nothing malformed goes anywhere");
        assertEquals(8, sw.counter(SwitchCounter.RX_FRAMES));

        // the smallest valid packets pass: a bare header, and a header filling the frame exactly
        inject(3, ipv4(Ipv4Header.PROTO_ICMP, B, Ipv4Header.MIN_LENGTH, Ipv4Header.MIN_LENGTH));
        inject(3, ipv4(Ipv4Header.PROTO_ICMP, B, 40, 40));
        assertEquals(2, ports[1].sent.size());
        assertEquals(6, sw.counter(SwitchCounter.DROP_MALFORMED));
    }

    /**
     * A header-only TCP segment (20 bytes, no options, no data) of a migrated connection is
     * still a TCP segment: it is rewritten like any other.
     */
    @Test
    void aHeaderOnlySegmentOfAMigratedConnectionIsRewritten() {
        int target = movedFromA();
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 1, 1, 0));
        assertEquals(sw.serverIp(target), decode(ports[target].takeOnly()).dstIp);
    }

    /** A driver may hand frames inside a larger buffer (a ring slot): lengths and rewrites must not depend on where. */
    @Test
    void framesInsideALargerBufferComeOutWithTheirOwnLength() {
        for (CapturePort p : ports) {
            p.deliverAt = 37;
        }
        heartbeats(50, 10, 30);
        byte[] prepare = control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, 0, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT);
        inject(0, prepare);
        byte[] steered = ports[1].takeOnly();
        assertEquals(prepare.length, steered.length);
        assertEquals(B, mig(steered).targetIp());
        byte[] ack = control(TcpMigHeader.PREPARE_MIG_ACK, B, A, A, B, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT);
        inject(1, ack);
        byte[] acked = ports[0].takeOnly();
        assertEquals(ack.length, acked.length);
        assertEquals(TcpMigHeader.PREPARE_MIG_ACK, mig(acked).type());
        byte[] state = control(TcpMigHeader.CONN_STATE, A, B, A, B, 0, CLIENT, CLIENT_PORT);
        inject(0, state);
        assertForwardedAsItCame(state, ports[1].takeOnly(), SwitchRig.MAC_B);
        byte[] data = tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK | TcpSegment.PSH, 100, 200, 33);
        inject(3, data);
        byte[] rewritten = ports[1].takeOnly();
        assertEquals(data.length, rewritten.length);
        assertEquals(B, decode(rewritten).dstIp);
        byte[] abort = control(TcpMigHeader.ABORT, A, B, A, B, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT);
        inject(0, abort);
        assertEquals(abort.length, ports[1].takeOnly().length);
        assertEquals(0, sw.directory().size());
        // no live target left but the origin: the REJECT goes back with its own length
        build(SwitchRig.config());
        ports[0].deliverAt = 21;
        inject(0, control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 5, 0, 0));
        inject(0, prepare);
        byte[] reject = ports[0].takeOnly();
        assertEquals(prepare.length, reject.length);
        assertEquals(TcpMigHeader.REJECT, mig(reject).type());
        // a full directory turns the ACK into a REJECT of the same length
        build(SwitchRig.config().withLevels(1));
        for (CapturePort p : ports) {
            p.deliverAt = 9;
        }
        heartbeats(50, 10, 30);
        occupySlotOf(CLIENT, CLIENT_PORT);
        inject(1, ack);
        byte[] refused = ports[0].takeOnly();
        assertEquals(ack.length, refused.length);
        assertEquals(TcpMigHeader.REASON_DIRECTORY_FULL, mig(refused).reason());
    }

    /** Server to server: only the destination MAC is the switch's to set; every other byte is as sent. */
    static void assertForwardedAsItCame(byte[] in, byte[] out, long dstMac) {
        assertEquals(dstMac, EthernetHeader.dst(new UnsafeBuffer(out), 0));
        assertArrayEquals(Arrays.copyOfRange(in, 6, in.length), Arrays.copyOfRange(out, 6, out.length));
    }

    void occupySlotOf(int clientIp, int clientPort) {
        int target = MigrationDirectory.hash16(clientIp, clientPort);
        int port = 0;
        while (MigrationDirectory.hash16(clientIp + 1, port) != target) {
            port++;
        }
        assertNotEquals(MigrationDirectory.NOT_FOUND, sw.directory().install(clientIp + 1, port, 2, 2, 0));
    }

    @Test
    void controlMessagesAreCountedByWhatHappenedToThem() {
        heartbeats(50, 10, 30);
        assertEquals(3, sw.counter(SwitchCounter.HEARTBEATS));
        assertEquals(0, sentTotal(), "heartbeats end at the switch");
        migrate(0, A, ORIGINAL_A); // A -> B
        assertEquals(1, sw.counter(SwitchCounter.PREPARE_STEERED));
        assertEquals(1, sw.counter(SwitchCounter.ACK_FORWARDED));
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_INSTALLED));
        assertEquals(0, sw.counter(SwitchCounter.DIRECTORY_UPDATED));
        // server-to-server messages are only forwarded
        for (int type : new int[] {TcpMigHeader.CONN_STATE, TcpMigHeader.CONN_STATE_ACK, TcpMigHeader.REJECT}) {
            byte[] m = control(type, B, A, A, B, 0, CLIENT, CLIENT_PORT);
            inject(1, m);
            assertForwardedAsItCame(m, ports[0].takeOnly(), MAC_A);
        }
        assertEquals(3, sw.counter(SwitchCounter.CONTROL_FORWARDED));
        assertEquals(1, sw.directory().size(), "a CONN_STATE_ACK from B (not the original) ends nothing");
        // B -> C: the existing entry is updated, not installed again
        heartbeats(60, 70, 5);
        int target = migrate(1, B, ORIGINAL_A);
        assertEquals(2, target);
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_UPDATED));
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_INSTALLED));
        assertEquals(2, sw.counter(SwitchCounter.ACK_FORWARDED));
        // the B -> C move aborted: the entry points back at B
        inject(1, control(TcpMigHeader.ABORT, B, C, B, C, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(1, sw.counter(SwitchCounter.ABORT_FORWARDED));
        assertEquals(1, ports[2].sent.size(), "the ABORT reaches the target");
        int slot = sw.directory().find(CLIENT, CLIENT_PORT);
        assertEquals(sw.serverIndex(B), sw.directory().currentServer(slot));
        assertEquals(0, sw.counter(SwitchCounter.REMOVED_ABORT));
        // an ACK naming an origin or an original server the switch does not know goes nowhere
        clearSent();
        int stranger = Ipv4Address.parse("10.0.0.77");
        inject(2, control(TcpMigHeader.PREPARE_MIG_ACK, C, A, stranger, C, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT + 1));
        inject(2, control(TcpMigHeader.PREPARE_MIG_ACK, C, A, A, C, stranger & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT + 1));
        inject(0, control(TcpMigHeader.ABORT, A, C, A, C, stranger & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(3, sw.counter(SwitchCounter.CONTROL_UNKNOWN_SERVER));
        assertEquals(0, sentTotal());
        assertEquals(1, sw.directory().size());
        // no live server but the origin: rejected by the switch, from the switch
        build(SwitchRig.config());
        inject(0, control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 5, 0, 0));
        inject(0, control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, 0, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        byte[] reject = ports[0].takeOnly();
        assertEquals(SWITCH_MAC, decode(reject).srcMac);
        assertEquals(1, sw.counter(SwitchCounter.PREPARE_REJECTED_NO_TARGET));
        assertEquals(0, sw.counter(SwitchCounter.PREPARE_STEERED));
    }

    @Test
    void anAbortOfTheFirstMoveRemovesTheEntryAndCountsIt() {
        movedFromA();
        inject(0, control(TcpMigHeader.ABORT, A, B, A, B, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(0, sw.directory().size());
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_ABORT));
        assertEquals(1, sw.counter(SwitchCounter.ABORT_FORWARDED));
        // an ABORT for a connection with no entry changes nothing but is still passed on
        inject(0, control(TcpMigHeader.ABORT, A, B, A, B, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT + 9));
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_ABORT));
        assertEquals(2, sw.counter(SwitchCounter.ABORT_FORWARDED));
    }

    /** A move away from a server that is not the original: responses still leave with the original's address. */
    @Test
    void responsesLeaveWithTheOriginalServersAddressWhateverTheOrigin() {
        heartbeats(50, 90, 10);
        int target = migrate(1, B, B); // B (server 1) owns it originally; C takes it
        assertEquals(2, target);
        inject(2, tcp(C, 80, CLIENT, CLIENT_PORT, TcpSegment.ACK, 7, 7, 5));
        DecodedFrame d = decode(ports[3].takeOnly());
        assertEquals(B, d.srcIp);
        assertEquals(SwitchRig.MAC_B, d.srcMac);
    }

    @Test
    void tcpMigMessagesCutShortAreMalformed() {
        heartbeats(50, 10, 30);
        byte[] hb = control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 1, 0, 0);
        // a UDP datagram to the TCPMig port with no room for a header at all
        byte[] empty = new byte[FrameEncoder.IPV4_HEADERS_LENGTH + 8];
        FrameEncoder.encodeUdp(new UnsafeBuffer(empty), 0, SWITCH_MAC, MAC_A, 1, A, SWITCH_IP, TcpMigHeader.UDP_PORT,
                TcpMigHeader.UDP_PORT, new UnsafeBuffer(new byte[0]), 0, 0);
        inject(0, empty);
        assertEquals(1, sw.counter(SwitchCounter.CONTROL_MALFORMED));
        // the UDP length field one byte short of the message the IP packet holds
        byte[] cut = hb.clone();
        UnsafeBuffer b = new UnsafeBuffer(cut);
        int udp = FrameEncoder.IPV4_HEADERS_LENGTH;
        b.putShort(udp + 4, (short) (8 + TcpMigHeader.MIN_LENGTH - 1), java.nio.ByteOrder.BIG_ENDIAN);
        inject(0, cut);
        assertEquals(2, sw.counter(SwitchCounter.CONTROL_MALFORMED));
        assertEquals(3, sw.counter(SwitchCounter.HEARTBEATS), "neither counted as a heartbeat");
        assertEquals(10, sw.loads().minLoad(), "nor did either change the loads");
        assertEquals(0, sentTotal());
        assertEquals(0, sw.counter(SwitchCounter.DROP_UNKNOWN_DESTINATION), "not forwarded as plain UDP either");
    }

    @Test
    void aPortThatRefusesCountsTxDroppedNotForwarded() {
        ports[1].refuse = true;
        inject(3, tcp(CLIENT, CLIENT_PORT, B, 80, TcpSegment.SYN, 1, 0, 0));
        assertEquals(1, sw.counter(SwitchCounter.TX_DROPPED));
        assertEquals(0, sw.counter(SwitchCounter.FORWARDED));
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.SYN, 1, 0, 0));
        assertEquals(1, sw.counter(SwitchCounter.FORWARDED));
        assertEquals(1, sw.counter(SwitchCounter.TX_DROPPED));
    }

    @Test
    void arpIsAnsweredFromTheAskedForAddressFloodedOrIgnoredAndCounted() {
        byte[] req = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(req), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST, MAC_CLIENT,
                CLIENT, 0, A);
        inject(3, req.clone());
        UnsafeBuffer reply = new UnsafeBuffer(ports[3].takeOnly());
        assertEquals(MAC_A, EthernetHeader.src(reply, 0), "the reply comes from the answered host's MAC");
        assertEquals(MAC_CLIENT, EthernetHeader.dst(reply, 0));
        assertEquals(1, sw.counter(SwitchCounter.ARP_ANSWERED));
        assertEquals(1, sw.counter(SwitchCounter.FORWARDED));
        byte[] forSwitch = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(forSwitch), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST,
                MAC_CLIENT, CLIENT, 0, SWITCH_IP);
        inject(3, forSwitch);
        assertEquals(SWITCH_MAC, ArpPacket.senderMac(new UnsafeBuffer(ports[3].takeOnly()), EthernetHeader.LENGTH));
        // a reply (not a request) for a known address is not answered
        byte[] replyIn = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(replyIn), 0, MAC_A, MAC_CLIENT, ArpPacket.OP_REPLY, MAC_CLIENT, CLIENT,
                MAC_A, A);
        inject(3, replyIn);
        assertEquals(1, sw.counter(SwitchCounter.ARP_IGNORED));
        assertEquals(0, sentTotal());
        build(SwitchRig.config().withArpAnswering(false));
        inject(3, req.clone());
        assertEquals(1, sw.counter(SwitchCounter.ARP_FLOODED));
        assertEquals(3, sw.counter(SwitchCounter.FORWARDED), "one copy per other port");
        assertEquals(0, sw.counter(SwitchCounter.ARP_ANSWERED));
    }

    /** Data in both directions keeps the entry; only FIN/RST handling or the idle timeout may end it. */
    @Test
    void trafficKeepsAnEntryAliveAndOnlySilenceReclaimsIt() {
        long idle = 1_000_000L;
        build(SwitchRig.config().withIdleTimeout(idle));
        movedFromA();
        long t = now;
        long lastData = t;
        for (int i = 0; i < 600; i++) {
            t += 5_000;
            if (i % 20 == 0) { // a segment each way every 100 us
                ports[3].inbound.add(tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK | TcpSegment.PSH, 1000 + i, 1, 10));
                ports[1].inbound.add(tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.ACK, 1, 1010 + i, 0));
                lastData = t;
            }
            sw.poll(t);
        }
        assertTrue(t > 2 * idle, "ran past two idle timeouts: " + t);
        assertEquals(1, sw.directory().size(), "an active connection keeps its entry");
        assertEquals(0, sw.counter(SwitchCounter.REMOVED_IDLE));
        long removedWork = 0;
        while (sw.directory().size() > 0 && t < 20 * idle) {
            t = Math.max(t + 1, sw.nextDeadline());
            int work = sw.poll(t);
            if (sw.directory().size() == 0) {
                removedWork = work;
            }
        }
        assertEquals(0, sw.directory().size());
        assertTrue(t - lastData >= idle, "not before the timeout: " + (t - lastData));
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_IDLE));
        assertEquals(1, removedWork, "the reclaiming poll reports the removal as work");
    }

    /** The first sweep is due at time 0 and reclaims what is already idle then, exactly at its deadline. */
    @Test
    void theIdleSweepRunsAtItsDeadline() {
        long idle = 1_000_000L;
        build(SwitchRig.config().withIdleTimeout(idle));
        int port = 0;
        while (MigrationDirectory.hash16(CLIENT, port) >= 1024) { // a slot the first slice visits
            port++;
        }
        sw.directory().install(CLIENT, port, 0, 1, -idle);
        assertEquals(0, sw.nextDeadline());
        assertEquals(1, sw.poll(0));
        assertEquals(0, sw.directory().size());
        long next = sw.nextDeadline();
        assertTrue(next > 0 && next <= idle, "the next slice is due within one timeout: " + next);
    }

    /**
     * A FIN that carries data ends after its last byte (seq + length + 1): an ACK short of that
     * acknowledges the data, not the FIN, so the entry stays until both FINs are covered.
     */
    @Test
    void aFinCarryingDataIsAcknowledgedOnlyPastItsLastByte() {
        movedFromA();
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.FIN | TcpSegment.ACK, 100, 500, 50)); // FIN ends at 151
        inject(1, tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.FIN | TcpSegment.ACK, 500, 150, 20)); // FIN ends at 521
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 151, 520, 0)); // one short of the server's FIN
        inject(1, tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.ACK, 521, 151, 0)); // the client's FIN is covered now
        assertEquals(1, sw.directory().size(), "the server's FIN is not acknowledged yet");
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 151, 521, 0));
        assertEquals(0, sw.directory().size());
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_FIN));
        assertEquals(0, sw.counter(SwitchCounter.END_IGNORED_CORRUPT));
    }

    /** The acknowledgment field means nothing unless the ACK flag is set (RFC 9293 3.1). */
    @Test
    void anAckNumberWithoutTheAckFlagAcknowledgesNothing() {
        movedFromA();
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.FIN | TcpSegment.ACK, 100, 500, 0)); // ends at 101
        inject(1, tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.FIN | TcpSegment.ACK, 500, 101, 0)); // ends at 501
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.FIN, 100, 501, 0)); // a FIN retransmitted without ACK
        assertEquals(1, sw.directory().size());
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 101, 501, 0));
        assertEquals(0, sw.directory().size());
    }

    /** A server's FIN before the client's: the client's later ACK of it counts once the client's own FIN is acked too. */
    @Test
    void aServerFinFirstIsTrackedTheSameWay() {
        movedFromA();
        inject(1, tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.FIN | TcpSegment.ACK, 500, 100, 0)); // ends at 501
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 100, 501, 0));
        assertEquals(1, sw.directory().size(), "one FIN only");
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.FIN | TcpSegment.ACK, 100, 501, 0)); // ends at 101
        inject(1, tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.ACK, 501, 101, 0));
        assertEquals(0, sw.directory().size());
    }
    /**
     * An operator may name the target ({@code migrate --to}): a live, not draining server other
     * than the origin is used even if it is not the least loaded; anything else is rejected by the
     * switch, never steered elsewhere.
     */
    @Test
    void aNamedTargetIsUsedOnlyIfItIsALiveOtherServer() {
        build(SwitchRig.config().withHeartbeatStale(10_000));
        heartbeats(50, 10, 30); // B is the least loaded, C is named
        inject(0, control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, C, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(C, mig(ports[2].takeOnly()).targetIp());
        assertEquals(1, sw.counter(SwitchCounter.PREPARE_STEERED));
        int[] refused = {A, Ipv4Address.parse("10.0.0.77"), CLIENT};
        for (int named : refused) { // the origin itself, an unknown address, a client
            inject(0, control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, named, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
            TcpMigHeader h = mig(ports[0].takeOnly());
            assertEquals(TcpMigHeader.REJECT, h.type(), Ipv4Address.format(named));
            assertEquals(TcpMigHeader.REASON_NO_TARGET, h.reason());
        }
        // C goes silent: naming it is refused once it is stale, exactly at the stale time
        now = 1_000 + 10_000;
        inject(0, control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 50, 0, 0));
        inject(1, control(TcpMigHeader.HEARTBEAT, B, SWITCH_IP, B, 0, 10, 0, 0));
        inject(0, control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, C, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(TcpMigHeader.REJECT, mig(ports[0].takeOnly()).type());
        // a draining server is refused too
        byte[] draining = control(TcpMigHeader.HEARTBEAT, B, SWITCH_IP, B, 0, 10, 0, 0);
        DecodedFrame d = decode(draining);
        new TcpMigHeader().wrap(new UnsafeBuffer(draining), d.udpPayloadOffset).reason(TcpMigHeader.HEARTBEAT_DRAINING).seal();
        inject(1, draining);
        inject(0, control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, B, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(TcpMigHeader.REJECT, mig(ports[0].takeOnly()).type());
        assertEquals(5, sw.counter(SwitchCounter.PREPARE_REJECTED_NO_TARGET));
        assertEquals(1, sw.counter(SwitchCounter.PREPARE_STEERED));
    }

    @Test
    void aMoveHomeUpdatesTheEntryRatherThanInstallingOne() {
        heartbeats(50, 10, 30);
        migrate(0, A, ORIGINAL_A); // A -> B
        heartbeats(5, 90, 95);
        assertEquals(0, migrate(1, B, ORIGINAL_A)); // B -> A: home
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_INSTALLED));
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_UPDATED));
        assertEquals(2, sw.counter(SwitchCounter.ACK_FORWARDED));
    }
}
