package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.MemoryLink;
import io.capybara.wire.ArpPacket;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.DropReason;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.MacAddress;
import io.capybara.wire.TcpSegment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The host's Ethernet/ARP/IPv4 layer and closed-port behaviour, driven with raw frames. */
class HostStackTest {
    static final long HOST_MAC = 0x02_00_00_00_00_01L;
    static final long PEER_MAC = 0x02_00_00_00_00_02L;
    static final int HOST_IP = Ipv4Address.parse("10.0.0.1");
    static final int PEER_IP = Ipv4Address.parse("10.0.0.2");
    static final long MS = 1_000_000L;

    MemoryLink link;
    RawPeer peer;

    @BeforeEach
    void setUp() {
        link = MemoryLink.pair("t", 64);
        peer = new RawPeer(link.b(), PEER_MAC, PEER_IP);
    }

    Host host(HostConfig config) {
        Host h = new Host(config, link.a());
        h.poll(0);
        peer.receive(); // the gratuitous ARP
        return h;
    }

    Host host() {
        return host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withArpTiming(1_000 * MS, 100 * MS, 3));
    }

    @Test
    void firstPollSendsGratuitousArp() {
        Host h = new Host(HostConfig.of("h", HOST_MAC, HOST_IP, 24), link.a());
        assertEquals(0, peer.receive().size());
        h.poll(0);
        List<RawPeer.Frame> frames = peer.receive();
        assertEquals(1, frames.size());
        RawPeer.Frame f = frames.get(0);
        assertEquals(DecodedFrame.Kind.ARP, f.kind());
        assertEquals(MacAddress.BROADCAST, f.dstMac());
        assertEquals(ArpPacket.OP_REQUEST, f.arpOp());
        assertEquals(HOST_IP, f.arpSenderIp());
        assertEquals(HOST_IP, f.arpTargetIp());
        assertEquals(HOST_MAC, f.arpSenderMac());
        h.poll(1);
        assertEquals(0, peer.receive().size(), "only once");
        assertEquals(1, h.stats().arpGratuitousSent());
    }

    @Test
    void gratuitousArpUpdatesAnExistingEntryOnly() {
        Host h = host();
        int other = Ipv4Address.parse("10.0.0.3");
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, 0x02_00_00_00_00_03L, other, 0, other);
        h.poll(1);
        assertEquals(-1, h.arpLookup(other), "not learned: not addressed to us and not cached");
        // the peer talks to us: learned; then it announces a new MAC: updated
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, PEER_MAC, PEER_IP, 0, HOST_IP);
        h.poll(2);
        assertEquals(PEER_MAC, h.arpLookup(PEER_IP));
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, 0x02_00_00_00_00_99L, PEER_IP, 0, PEER_IP);
        h.poll(3);
        assertEquals(0x02_00_00_00_00_99L, h.arpLookup(PEER_IP));
    }

    @Test
    void answersArpRequestForItsAddressAndLearnsTheAsker() {
        Host h = host();
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, PEER_MAC, PEER_IP, 0, HOST_IP);
        h.poll(10);
        List<RawPeer.Frame> frames = peer.receive();
        assertEquals(1, frames.size());
        RawPeer.Frame f = frames.get(0);
        assertEquals(ArpPacket.OP_REPLY, f.arpOp());
        assertEquals(PEER_MAC, f.dstMac());
        assertEquals(HOST_MAC, f.arpSenderMac());
        assertEquals(HOST_IP, f.arpSenderIp());
        assertEquals(PEER_IP, f.arpTargetIp());
        assertEquals(PEER_MAC, f.arpTargetMac());
        assertEquals(PEER_MAC, h.arpLookup(PEER_IP));

        // a request for someone else: no answer
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, PEER_MAC, PEER_IP, 0, Ipv4Address.parse("10.0.0.9"));
        h.poll(11);
        assertEquals(0, peer.receive().size());
        assertEquals(1, h.stats().arpRequestsAnswered());

        // an RFC 5227 probe for our address (sender 0.0.0.0) is answered, nothing is learned
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, 0x02_00_00_00_00_44L, 0, 0, HOST_IP);
        h.poll(12);
        frames = peer.receive();
        assertEquals(1, frames.size());
        assertEquals(0x02_00_00_00_00_44L, frames.get(0).dstMac());
        assertEquals(-1, h.arpLookup(0));
    }

    @Test
    void learnedEntriesExpireStaticOnesDoNot() {
        int staticIp = Ipv4Address.parse("10.0.0.7");
        Host h = host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withArpTiming(1_000 * MS, 100 * MS, 3)
                .withStaticArp(Map.of(staticIp, 0x02_00_00_00_00_07L)));
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, PEER_MAC, PEER_IP, 0, HOST_IP);
        h.poll(5 * MS);
        peer.receive();
        h.poll(1_004 * MS);
        assertEquals(PEER_MAC, h.arpLookup(PEER_IP), "still valid just before expiry");
        h.poll(1_005 * MS);
        assertEquals(-1, h.arpLookup(PEER_IP), "expired after the timeout");
        assertEquals(1, h.stats().arpExpired());
        h.poll(1_000_000 * MS);
        assertEquals(0x02_00_00_00_00_07L, h.arpLookup(staticIp));
        // a static entry is not overwritten by ARP traffic
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REPLY, 0x02_00_00_00_00_66L, staticIp, HOST_MAC, HOST_IP);
        h.poll(1_000_001 * MS);
        assertEquals(0x02_00_00_00_00_07L, h.arpLookup(staticIp));
    }

    @Test
    void closedPortAnswersSynWithRstAckAndAckWithRst() {
        Host h = host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withStaticArp(Map.of(PEER_IP, PEER_MAC)));
        peer.sendTcp(HOST_MAC, HOST_IP, 40000, 80, 1000, 0, TcpSegment.SYN);
        h.poll(1);
        List<RawPeer.Frame> frames = peer.receive();
        assertEquals(1, frames.size());
        RawPeer.Frame r = frames.get(0);
        assertEquals(DecodedFrame.Kind.TCP, r.kind(), "RST must decode with valid checksums");
        assertEquals(TcpSegment.RST | TcpSegment.ACK, r.flags());
        assertEquals(0, r.seq());
        assertEquals(1001, r.ack(), "SYN occupies one sequence number");
        assertEquals(80, r.srcPort());
        assertEquals(40000, r.dstPort());
        assertEquals(HOST_IP, r.srcIp());
        assertEquals(PEER_IP, r.dstIp());
        assertEquals(PEER_MAC, r.dstMac());

        peer.sendTcp(HOST_MAC, HOST_IP, 40000, 80, 1000, 777_777, TcpSegment.ACK);
        h.poll(2);
        r = peer.receive().get(0);
        assertEquals(TcpSegment.RST, r.flags());
        assertEquals(777_777, r.seq());

        peer.sendTcp(HOST_MAC, HOST_IP, 40000, 80, 1000, 0, TcpSegment.RST);
        h.poll(3);
        assertEquals(0, peer.receive().size(), "never answer a RST");
        assertEquals(2, h.stats().tcpRstSent());
        assertEquals(1, h.stats().tcpRstIgnored());
    }

    @Test
    void unknownNextHopIsResolvedAndTheParkedFrameSent() {
        Host h = host();
        peer.sendTcp(HOST_MAC, HOST_IP, 40000, 80, 5, 0, TcpSegment.SYN);
        h.poll(MS);
        List<RawPeer.Frame> frames = peer.receive();
        assertEquals(1, frames.size());
        assertEquals(ArpPacket.OP_REQUEST, frames.get(0).arpOp());
        assertEquals(PEER_IP, frames.get(0).arpTargetIp());
        assertEquals(MacAddress.BROADCAST, frames.get(0).dstMac());
        assertEquals(MS + 100 * MS, h.nextDeadline(), "retry armed");
        peer.sendArp(HOST_MAC, ArpPacket.OP_REPLY, PEER_MAC, PEER_IP, HOST_MAC, HOST_IP);
        h.poll(2 * MS);
        frames = peer.receive();
        assertEquals(1, frames.size());
        assertEquals(TcpSegment.RST | TcpSegment.ACK, frames.get(0).flags());
        assertEquals(PEER_MAC, frames.get(0).dstMac());
        assertEquals(Long.MAX_VALUE, h.nextDeadline(), "resolution finished");
    }

    @Test
    void unresolvedNextHopIsRetriedThenGivenUp() {
        Host h = host();
        peer.sendTcp(HOST_MAC, HOST_IP, 40000, 80, 5, 0, TcpSegment.SYN);
        h.poll(0);
        int requests = 0;
        long t = 0;
        for (int i = 0; i < 10; i++) {
            requests += (int) peer.receive().stream().filter(f -> f.kind() == DecodedFrame.Kind.ARP).count();
            t = Math.max(t + 1, h.nextDeadline() == Long.MAX_VALUE ? t + 1 : h.nextDeadline());
            h.poll(t);
        }
        assertEquals(3, requests, "arpMaxRequests");
        assertEquals(1, h.stats().arpUnresolvedDrops());
        assertEquals(Long.MAX_VALUE, h.nextDeadline());
    }

    @Test
    void framesForOtherMacsAreDroppedAndCounted() {
        Host h = host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withStaticArp(Map.of(PEER_IP, PEER_MAC)));
        peer.sendTcp(0x02_00_00_00_00_55L, HOST_IP, 40000, 80, 5, 0, TcpSegment.SYN);
        peer.sendTcp(0x01_00_5E_00_00_01L, HOST_IP, 40000, 80, 5, 0, TcpSegment.SYN);
        h.poll(1);
        assertEquals(0, peer.receive().size());
        assertEquals(2, h.stats().rxOtherMac());
        assertEquals(0, h.stats().tcpRstSent());
    }

    @Test
    void packetsForOtherAddressesAndNonTcpAreCounted() {
        Host h = host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withStaticArp(Map.of(PEER_IP, PEER_MAC)));
        peer.sendTcp(HOST_MAC, Ipv4Address.parse("10.0.0.99"), 40000, 80, 5, 0, TcpSegment.SYN);
        int len = peer.encodeTcp(HOST_MAC, HOST_IP, 40000, 80, 5, 0, TcpSegment.SYN);
        peer.tx.putByte(EthernetHeader.LENGTH + Ipv4Header.PROTOCOL_OFFSET, (byte) 200);
        Ipv4Header.updateChecksum(peer.tx, EthernetHeader.LENGTH, Ipv4Header.MIN_LENGTH);
        peer.channel.send(peer.tx, 0, len);
        peer.tx.putShort(12, (short) 0x86DD);
        peer.channel.send(peer.tx, 0, len);
        h.poll(1);
        assertEquals(0, peer.receive().size());
        assertEquals(1, h.stats().ipNotForUs());
        assertEquals(1, h.stats().ipOtherProtocol());
        assertEquals(1, h.wireCounters().drops(DropReason.UNSUPPORTED_ETHERTYPE));
    }

    @Test
    void fragmentsAreDroppedAndCounted() {
        Host h = host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withStaticArp(Map.of(PEER_IP, PEER_MAC)));
        int len = peer.encodeTcp(HOST_MAC, HOST_IP, 40000, 80, 5, 0, TcpSegment.SYN);
        int ip = EthernetHeader.LENGTH;
        peer.tx.putShort(ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET, (short) Ipv4Header.FLAG_MF,
                java.nio.ByteOrder.BIG_ENDIAN);
        Ipv4Header.updateChecksum(peer.tx, ip, Ipv4Header.MIN_LENGTH);
        peer.channel.send(peer.tx, 0, len);
        peer.tx.putShort(ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET, (short) 185, java.nio.ByteOrder.BIG_ENDIAN);
        Ipv4Header.updateChecksum(peer.tx, ip, Ipv4Header.MIN_LENGTH);
        peer.channel.send(peer.tx, 0, len);
        h.poll(1);
        assertEquals(0, peer.receive().size(), "no RST for a fragment");
        assertEquals(2, h.wireCounters().drops(DropReason.IPV4_FRAGMENT));
    }

    @Test
    void corruptedSegmentsAreDroppedByChecksum() {
        Host h = host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withStaticArp(Map.of(PEER_IP, PEER_MAC)));
        int len = peer.encodeTcp(HOST_MAC, HOST_IP, 40000, 80, 5, 0, TcpSegment.SYN);
        peer.tx.putByte(len - 1, (byte) (peer.tx.getByte(len - 1) ^ 4));
        peer.channel.send(peer.tx, 0, len);
        h.poll(1);
        assertEquals(0, peer.receive().size());
        assertTrue(h.wireCounters().drops(DropReason.TCP_BAD_CHECKSUM) == 1, h.wireCounters().toString());
    }
}
