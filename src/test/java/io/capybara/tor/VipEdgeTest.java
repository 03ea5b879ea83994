package io.capybara.tor;

import static io.capybara.tor.VipPlacementTest.CLIENT;
import static io.capybara.tor.VipPlacementTest.CLIENT_PORT;
import static io.capybara.tor.VipPlacementTest.MAC_CLIENT;
import static io.capybara.tor.VipPlacementTest.SERVERS;
import static io.capybara.tor.VipPlacementTest.STALE;
import static io.capybara.tor.VipPlacementTest.SWITCH_MAC;
import static io.capybara.tor.VipPlacementTest.VIP;
import static io.capybara.tor.VipPlacementTest.VIP2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.ArpPacket;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Load-balancer mode at its edges: untracked responses per VIP, stale entries, the membership deadline. */
class VipEdgeTest {
    final VipPlacementTest rack = new VipPlacementTest();

    @BeforeEach
    void setUp() {
        rack.build(VipPlacementTest.config());
        rack.heartbeatsFrom(0, 1, 2, 3);
    }

    /** A response from a VIP's port with no entry gets that VIP (the second one too); from another port it is left alone. */
    @Test
    void untrackedResponsesGetTheVipOfTheirPortOnly() {
        DecodedFrame d = rack.respond(2, 443, 50000, TcpSegment.ACK);
        assertEquals(VIP2, d.srcIp);
        assertEquals(SWITCH_MAC, d.srcMac);
        assertEquals(1, rack.sw.counter(SwitchCounter.REWRITE_RESPONSE));
        d = rack.respond(2, 80, 50001, TcpSegment.ACK);
        assertEquals(VIP, d.srcIp);
        d = rack.respond(2, 8080, 50002, TcpSegment.ACK);
        assertEquals(SERVERS[2], d.srcIp, "not a VIP's port: the server's own address");
        assertEquals(0x020000000099L, d.srcMac, "and its own MAC, as sent");
        assertEquals(2, rack.sw.counter(SwitchCounter.REWRITE_RESPONSE));
    }

    @Test
    void arpForAnAddressThatIsNeitherHostNorVipIsIgnored() {
        byte[] req = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(req), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST, MAC_CLIENT,
                CLIENT, 0, Ipv4Address.parse("10.0.0.199"));
        rack.inject(CLIENT_PORT, req);
        assertTrue(rack.ports[CLIENT_PORT].sent.isEmpty());
        assertEquals(1, rack.sw.counter(SwitchCounter.ARP_IGNORED));
    }

    /**
     * A connection on a VIP's port that has no entry (placed while the directory was full, or
     * opened before a switch restart) gets a VIP-tagged entry when it migrates: its responses
     * keep carrying the VIP, not the original server's address.
     */
    @Test
    void migratingAnUntrackedVipConnectionTagsItsEntryWithTheVip() {
        int port = 41000;
        int s = 0;
        int t = 3;
        rack.inject(t, SwitchRig.control(TcpMigHeader.PREPARE_MIG_ACK, SERVERS[t], SERVERS[s], SERVERS[s], SERVERS[t],
                SERVERS[s] & 0xFFFF_FFFFL, CLIENT, port));
        int slot = rack.sw.directory().find(CLIENT, port);
        assertNotEquals(MigrationDirectory.NOT_FOUND, slot);
        assertEquals(1, rack.sw.directory().vipTag(slot), "VIP 0 (port 80) + 1");
        DecodedFrame d = rack.respond(t, 80, port, TcpSegment.ACK);
        assertEquals(VIP, d.srcIp);
        assertEquals(t, rack.data(port));
    }

    /** Membership is looked at again exactly when a server would go stale, without any frame arriving. */
    @Test
    void membershipChangesAtTheDeadlineWithoutTraffic() {
        long changes = rack.sw.counter(SwitchCounter.MEMBERSHIP_CHANGES);
        long deadline = rack.sw.nextDeadline();
        assertEquals(rack.now + STALE, deadline);
        assertEquals(1, rack.sw.poll(deadline), "one refresh, no frames");
        assertEquals(changes + 1, rack.sw.counter(SwitchCounter.MEMBERSHIP_CHANGES));
        assertEquals(-1, rack.syn(40000), "every server went stale together");
    }

    /** A SYN on the port of a connection whose server died is placed afresh, and its new entry starts there. */
    @Test
    void aStaleEntryIsReplacedByAFreshOne() {
        int port = 42000;
        int s = rack.syn(port);
        rack.now += STALE / 2;
        for (int i = 0; i < 4; i++) {
            if (i != s) {
                rack.heartbeat(i, false);
            }
        }
        rack.now += STALE / 2 + 1; // s is stale now, the others not
        rack.sw.poll(rack.now); // the membership deadline passed: s has left the table
        assertEquals(s, rack.syn(port), "a repeat of the placing SYN (same ISN) still follows the entry");
        assertEquals(0, rack.sw.counter(SwitchCounter.VIP_STALE_ENTRY_REPLACED));
        int again = rack.send(port, io.capybara.wire.TcpSegment.SYN, VipPlacementTest.VIP, 80, 12345); // a new ISN
        assertNotEquals(s, again);
        assertEquals(1, rack.sw.counter(SwitchCounter.VIP_STALE_ENTRY_REPLACED));
        int slot = rack.sw.directory().find(CLIENT, port);
        assertEquals(again, rack.sw.directory().originalServer(slot), "a fresh entry: its SYN's server is the original");
        assertEquals(again, rack.sw.directory().currentServer(slot));
        assertEquals(1, rack.sw.directory().size());
    }
    /** An ABORT of a VIP connection's move keeps its entry (its placement), pointing at the origin, and says so. */
    @Test
    void anAbortedVipMoveKeepsTheEntryAndCountsTheUpdate() {
        int port = 43000;
        int s = rack.syn(port);
        int t = (s + 1) % 4;
        long original = SERVERS[s] & 0xFFFF_FFFFL;
        rack.inject(t, SwitchRig.control(TcpMigHeader.PREPARE_MIG_ACK, SERVERS[t], SERVERS[s], SERVERS[s], SERVERS[t],
                original, CLIENT, port));
        long updated = rack.sw.counter(SwitchCounter.DIRECTORY_UPDATED);
        rack.inject(s, SwitchRig.control(TcpMigHeader.ABORT, SERVERS[s], SERVERS[t], SERVERS[s], SERVERS[t], original,
                CLIENT, port));
        assertEquals(updated + 1, rack.sw.counter(SwitchCounter.DIRECTORY_UPDATED));
        assertEquals(0, rack.sw.counter(SwitchCounter.REMOVED_ABORT));
        assertEquals(s, rack.data(port));
    }

    @Test
    void aSegmentToAVipWithoutEntryOrSynIsRoutedByTheTableAndCounted() {
        assertTrue(rack.data(44000) >= 0, "routed to a member");
        assertEquals(1, rack.sw.counter(SwitchCounter.VIP_DEFAULT_ROUTED));
        assertEquals(0, rack.sw.directory().size(), "no entry without a SYN");
    }
}
