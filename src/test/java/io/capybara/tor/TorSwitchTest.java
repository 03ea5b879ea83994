package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class TorSwitchTest extends SwitchRig {
    /** Runs PREPARE_MIG from A and the ACK from whichever target the switch chose. */
    int migrate(int originPort, int origin, long original) {
        clearSent();
        inject(originPort, control(TcpMigHeader.PREPARE_MIG, origin, SWITCH_IP, origin, 0, original, CLIENT, CLIENT_PORT));
        int targetPort = -1;
        for (int p = 0; p < 3; p++) {
            if (!ports[p].sent.isEmpty()) {
                targetPort = p;
            }
        }
        TcpMigHeader prep = mig(ports[targetPort].takeOnly());
        assertEquals(TcpMigHeader.PREPARE_MIG, prep.type());
        int target = prep.targetIp();
        inject(targetPort, control(TcpMigHeader.PREPARE_MIG_ACK, target, origin, origin, target, original, CLIENT, CLIENT_PORT));
        return target;
    }

    @Test
    void forwardsByDestinationAndRewritesTheMac() {
        inject(3, tcp(CLIENT, CLIENT_PORT, B, 80, TcpSegment.SYN, 1, 0, 0));
        DecodedFrame d = decode(ports[1].takeOnly());
        assertEquals(MAC_B, d.dstMac);
        assertEquals(B, d.dstIp);
        inject(3, tcp(CLIENT, CLIENT_PORT, Ipv4Address.parse("10.9.9.9"), 80, TcpSegment.SYN, 1, 0, 0));
        assertEquals(1, sw.counter(SwitchCounter.DROP_UNKNOWN_DESTINATION));
        inject(3, new byte[10]);
        assertEquals(1, sw.counter(SwitchCounter.DROP_MALFORMED));
    }

    @Test
    void answersArpForConfiguredAddressesOnly() {
        byte[] req = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(req), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST,
                MAC_CLIENT, CLIENT, 0, A);
        inject(3, req);
        byte[] reply = ports[3].takeOnly();
        UnsafeBuffer r = new UnsafeBuffer(reply);
        assertEquals(ArpPacket.OP_REPLY, ArpPacket.op(r, 14));
        assertEquals(MAC_A, ArpPacket.senderMac(r, 14));
        assertEquals(A, ArpPacket.senderIp(r, 14));
        assertEquals(MAC_CLIENT, EthernetHeader.dst(r, 0));
        byte[] unknown = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(unknown), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST,
                MAC_CLIENT, CLIENT, 0, Ipv4Address.parse("10.9.9.9"));
        inject(3, unknown);
        assertTrue(ports[3].sent.isEmpty());
        assertEquals(1, sw.counter(SwitchCounter.ARP_IGNORED));
    }

    @Test
    void floodsArpWhenConfiguredTo() {
        build(config().withArpAnswering(false));
        byte[] req = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(req), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST,
                MAC_CLIENT, CLIENT, 0, A);
        inject(3, req);
        for (int p = 0; p < 3; p++) {
            assertEquals(1, ports[p].sent.size(), "port " + p);
        }
        assertTrue(ports[3].sent.isEmpty(), "not back to the ingress port");
    }

    @Test
    void prepareGoesToTheLeastLoadedOtherServerAndAckInstallsTheEntry() {
        heartbeats(10, 50, 30); // A is least loaded but is the origin: C must be chosen
        int target = migrate(0, A, A & 0xFFFF_FFFFL);
        assertEquals(C, target);
        TcpMigHeader ack = mig(ports[0].takeOnly());
        assertEquals(TcpMigHeader.PREPARE_MIG_ACK, ack.type());
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_INSTALLED));

        // request: client -> A is redirected to C with valid checksums
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK | TcpSegment.PSH, 100, 200, 50));
        DecodedFrame d = decode(ports[2].takeOnly());
        assertEquals(C, d.dstIp);
        assertEquals(MAC_C, d.dstMac);
        assertEquals(50, d.tcp.payloadLength);
        // response: C -> client leaves with A's address
        inject(2, tcp(C, 80, CLIENT, CLIENT_PORT, TcpSegment.ACK, 200, 150, 10));
        d = decode(ports[3].takeOnly());
        assertEquals(A, d.srcIp);
        assertEquals(MAC_A, d.srcMac);
        assertEquals(1, sw.counter(SwitchCounter.REWRITE_REQUEST));
        assertEquals(1, sw.counter(SwitchCounter.REWRITE_RESPONSE));
        // another client's traffic is untouched
        inject(3, tcp(CLIENT, CLIENT_PORT + 1, A, 80, TcpSegment.ACK, 1, 1, 0));
        assertEquals(A, decode(ports[0].takeOnly()).dstIp);
    }

    @Test
    void noOtherLiveServerMeansReject() {
        inject(0, control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 90, 0, 0));
        inject(0, control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, 0, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        byte[] f = ports[0].takeOnly();
        TcpMigHeader h = mig(f);
        assertEquals(TcpMigHeader.REJECT, h.type());
        assertEquals(TcpMigHeader.REASON_NO_TARGET, h.reason());
        assertEquals(A, decode(f).dstIp);
        assertEquals(SWITCH_IP, decoded.srcIp);
        assertEquals(0, sw.directory().size());
    }

    @Test
    void heartbeatOfTheHolderRaisesTheMinimumAndSilentServersAreSkipped() {
        build(config().withHeartbeatStale(10_000));
        inject(1, control(TcpMigHeader.HEARTBEAT, B, SWITCH_IP, B, 0, 5, 0, 0));
        inject(2, control(TcpMigHeader.HEARTBEAT, C, SWITCH_IP, C, 0, 20, 0, 0));
        assertEquals(sw.serverIndex(B), sw.loads().minServer());
        inject(1, control(TcpMigHeader.HEARTBEAT, B, SWITCH_IP, B, 0, 99, 0, 0));
        assertEquals(99, sw.loads().minLoad(), "holder's rising load is tracked");
        ports[2].inbound.add(control(TcpMigHeader.HEARTBEAT, C, SWITCH_IP, C, 0, 20, 0, 0));
        sw.poll(5_000);
        assertEquals(sw.serverIndex(C), sw.loads().minServer());
        // much later only B keeps beating: C is stale and not chosen
        ports[1].inbound.add(control(TcpMigHeader.HEARTBEAT, B, SWITCH_IP, B, 0, 99, 0, 0));
        sw.poll(20_000);
        ports[0].inbound.add(control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, 0, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        sw.poll(20_001);
        assertEquals(B, mig(ports[1].takeOnly()).targetIp());
    }

    @Test
    void fullDirectoryTurnsTheAckIntoAReject() {
        build(config().withLevels(1));
        heartbeats(50, 10, 30);
        // occupy the one slot CLIENT:CLIENT_PORT hashes to with another client's key (for one
        // IP the CRC maps ports one-to-one onto indices, so the colliding key has another IP)
        int target = MigrationDirectory.hash16(CLIENT, CLIENT_PORT);
        int otherIp = CLIENT + 1;
        int port = 0;
        while (MigrationDirectory.hash16(otherIp, port) != target) {
            port++;
        }
        assertNotEquals(MigrationDirectory.NOT_FOUND, sw.directory().install(otherIp, port, 0, 1, 0));
        migrate(0, A, A & 0xFFFF_FFFFL);
        TcpMigHeader h = mig(ports[0].takeOnly());
        assertEquals(TcpMigHeader.REJECT, h.type(), sw.counters().toString());
        assertEquals(TcpMigHeader.REASON_DIRECTORY_FULL, h.reason());
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_REFUSED_FULL));
        // the connection's packets still go to A: nothing broke
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 1, 1, 0));
        assertEquals(A, decode(ports[0].takeOnly()).dstIp);
    }

    @Test
    void rstInEitherDirectionRemovesTheEntry() {
        heartbeats(50, 10, 30);
        migrate(0, A, A & 0xFFFF_FFFFL);
        ports[0].sent.clear();
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.RST, 5, 0, 0));
        assertEquals(B, decode(ports[1].takeOnly()).dstIp, "the RST itself still reaches the current server");
        assertEquals(0, sw.directory().size());
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_RST));

        migrate(0, A, A & 0xFFFF_FFFFL);
        inject(1, tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.RST | TcpSegment.ACK, 9, 5, 0));
        assertEquals(0, sw.directory().size());
    }

    /**
     * A segment damaged on the way (a bit flipped into the RST or FIN flag, or anywhere else) is
     * forwarded, and the server drops it by its checksum, but the directory ignores it: it must
     * not end the entry of a connection that lives on.
     */
    @Test
    void damagedSegmentsNeverEndAnEntry() {
        heartbeats(50, 10, 30);
        migrate(0, A, A & 0xFFFF_FFFFL);
        byte[] ack = tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 5, 0, 0);
        int flagsAt = FrameEncoder.IPV4_HEADERS_LENGTH + 13;
        byte[] rst = ack.clone();
        rst[flagsAt] |= TcpSegment.RST; // one flipped bit: checksum no longer matches
        ports[1].sent.clear();
        inject(3, rst);
        byte[] out = ports[1].takeOnly(); // not decodable: its checksum fails, as it should
        assertEquals(B, Ipv4Header.dst(new UnsafeBuffer(out), EthernetHeader.LENGTH), "still forwarded to the current server");
        byte[] fin = tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.FIN | TcpSegment.ACK, 100, 500, 0);
        fin[FrameEncoder.IPV4_HEADERS_LENGTH + 7] ^= 0x10; // the sequence number damaged
        inject(3, fin);
        assertEquals(1, sw.directory().size(), "the entry lives on");
        assertEquals(2, sw.counter(SwitchCounter.END_IGNORED_CORRUPT));
        assertEquals(0, sw.counter(SwitchCounter.REMOVED_RST));
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.RST, 5, 0, 0));
        assertEquals(0, sw.directory().size(), "an intact RST still ends it");
    }

    @Test
    void bothFinsAcknowledgedRemoveTheEntry() {
        heartbeats(50, 10, 30);
        migrate(0, A, A & 0xFFFF_FFFFL);
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.FIN | TcpSegment.ACK, 100, 500, 0)); // FIN ends at 101
        inject(1, tcp(B, 80, CLIENT, CLIENT_PORT, TcpSegment.FIN | TcpSegment.ACK, 500, 101, 0)); // acks it, FIN ends 501
        assertEquals(1, sw.directory().size(), "server FIN not yet acknowledged");
        inject(3, tcp(CLIENT, CLIENT_PORT, A, 80, TcpSegment.ACK, 101, 501, 0));
        assertEquals(0, sw.directory().size());
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_FIN));
    }

    @Test
    void migratingBackToTheOriginalServerRemovesTheEntry() {
        heartbeats(50, 10, 30);
        migrate(0, A, A & 0xFFFF_FFFFL); // A -> B
        assertEquals(1, sw.directory().size());
        heartbeats(5, 90, 95); // now A is the least loaded
        int target = migrate(1, B, A & 0xFFFF_FFFFL); // B -> A: home again
        assertEquals(A, target);
        int slot = sw.directory().find(CLIENT, CLIENT_PORT);
        assertEquals(sw.serverIndex(A), sw.directory().currentServer(slot), "kept, pointing home, until A confirms");
        inject(0, control(TcpMigHeader.CONN_STATE_ACK, A, B, B, A, 0, CLIENT, CLIENT_PORT));
        assertEquals(0, sw.directory().size());
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_MIGRATE_BACK));
    }

    @Test
    void aFailedMoveHomeIsUndoneEvenWithAFullDirectory() {
        build(config().withLevels(1));
        heartbeats(50, 10, 30);
        migrate(0, A, A & 0xFFFF_FFFFL); // A -> B
        heartbeats(5, 90, 95);
        migrate(1, B, A & 0xFFFF_FFFFL); // B -> A acknowledged, state not yet confirmed
        inject(1, control(TcpMigHeader.ABORT, B, A, B, A, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        int slot = sw.directory().find(CLIENT, CLIENT_PORT);
        assertEquals(sw.serverIndex(B), sw.directory().currentServer(slot), "B keeps it; no new slot was needed");
        assertEquals(0, sw.counter(SwitchCounter.DIRECTORY_REFUSED_FULL));
        // a CONN_STATE_ACK from a server the entry does not point at changes nothing
        inject(0, control(TcpMigHeader.CONN_STATE_ACK, A, B, B, A, 0, CLIENT, CLIENT_PORT));
        assertEquals(1, sw.directory().size());
    }

    @Test
    void abortRestoresTheDirectoryToTheOrigin() {
        heartbeats(50, 10, 30);
        migrate(0, A, A & 0xFFFF_FFFFL); // A -> B installed
        inject(0, control(TcpMigHeader.ABORT, A, B, A, B, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(0, sw.directory().size(), "aborted first move: no entry");
        assertEquals(TcpMigHeader.ABORT, mig(ports[1].sent.getLast()).type());

        migrate(0, A, A & 0xFFFF_FFFFL); // A -> B again
        heartbeats(60, 70, 5);
        migrate(1, B, A & 0xFFFF_FFFFL); // B -> C
        int slot = sw.directory().find(CLIENT, CLIENT_PORT);
        assertEquals(sw.serverIndex(C), sw.directory().currentServer(slot));
        inject(1, control(TcpMigHeader.ABORT, B, C, B, C, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(sw.serverIndex(B), sw.directory().currentServer(slot), "aborted second move points back at B");
        assertEquals(sw.serverIndex(A), sw.directory().originalServer(slot));
    }

    @Test
    void controlMessagesFromClientPortsOrSpoofedOrCorruptAreDropped() {
        inject(3, control(TcpMigHeader.HEARTBEAT, CLIENT, SWITCH_IP, CLIENT, 0, 0, 0, 0));
        inject(3, control(TcpMigHeader.PREPARE_MIG, A, SWITCH_IP, A, 0, A & 0xFFFF_FFFFL, CLIENT, CLIENT_PORT));
        assertEquals(2, sw.counter(SwitchCounter.CONTROL_ON_CLIENT_PORT));
        inject(1, control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 0, 0, 0)); // A's address on B's port
        assertEquals(1, sw.counter(SwitchCounter.CONTROL_SPOOFED_SENDER));
        byte[] bad = control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 0, 0, 0);
        bad[bad.length - 1] ^= 1;
        inject(0, bad);
        assertEquals(1, sw.counter(SwitchCounter.CONTROL_MALFORMED));
        byte[] truncated = control(TcpMigHeader.HEARTBEAT, A, SWITCH_IP, A, 0, 0, 0, 0);
        inject(0, java.util.Arrays.copyOf(truncated, 50));
        assertEquals(MinLoadRegister.NONE, sw.loads().minServer(), "no heartbeat was accepted");
        for (CapturePort p : ports) {
            assertTrue(p.sent.isEmpty());
        }
    }

    @Test
    void idleEntriesAreReclaimedWhenConfigured() {
        build(config().withIdleTimeout(1_000_000L));
        heartbeats(50, 10, 30);
        migrate(0, A, A & 0xFFFF_FFFFL);
        assertEquals(1, sw.directory().size());
        long t = 2_000;
        while (sw.directory().size() > 0 && t < 10_000_000L) {
            t = Math.max(t + 1, sw.nextDeadline());
            sw.poll(t);
        }
        assertEquals(0, sw.directory().size());
        assertTrue(t >= 1_000_000L, "not before the timeout: " + t);
        assertEquals(1, sw.counter(SwitchCounter.REMOVED_IDLE));
    }
}
