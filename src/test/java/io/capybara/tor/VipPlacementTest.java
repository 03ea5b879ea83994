package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.ArpPacket;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The switch in load-balancer mode: VIP placement, rewriting, membership, draining, a full directory. */
class VipPlacementTest extends SwitchRig {
    static final int SWITCH_IP = Ipv4Address.parse("10.0.0.254");
    static final long SWITCH_MAC = MacAddress.parse("02:00:00:00:00:fe");
    static final int VIP = Ipv4Address.parse("10.0.0.100");
    static final int VIP2 = Ipv4Address.parse("10.0.0.101");
    static final int[] SERVERS = {
        Ipv4Address.parse("10.0.0.1"), Ipv4Address.parse("10.0.0.2"), Ipv4Address.parse("10.0.0.3"), Ipv4Address.parse("10.0.0.4")};
    static final int CLIENT = Ipv4Address.parse("10.0.1.1");
    static final long MAC_CLIENT = MacAddress.parse("02:00:00:00:01:01");
    static final int CLIENT_PORT = 4;
    static final long STALE = 500_000_000L;

    static SwitchConfig config() {
        return SwitchConfig.of(SWITCH_IP, SWITCH_MAC, List.of(
                        new SwitchConfig.Host(SERVERS[0], 0x020000000001L, 0, true),
                        new SwitchConfig.Host(SERVERS[1], 0x020000000002L, 1, true),
                        new SwitchConfig.Host(SERVERS[2], 0x020000000003L, 2, true),
                        new SwitchConfig.Host(SERVERS[3], 0x020000000004L, 3, true),
                        new SwitchConfig.Host(CLIENT, MAC_CLIENT, CLIENT_PORT, false)))
                .withVips(List.of(new SwitchConfig.Vip(VIP, 80), new SwitchConfig.Vip(VIP2, 443)))
                .withHeartbeatStale(STALE);
    }

    @BeforeEach
    @Override
    void setUp() {
        build(config());
    }

    @Override
    void build(SwitchConfig cfg) {
        ports = new CapturePort[] {new CapturePort("s0"), new CapturePort("s1"), new CapturePort("s2"), new CapturePort("s3"),
            new CapturePort("client")};
        sw = new TorSwitch(cfg, ports);
    }

    void heartbeat(int server, boolean draining) {
        byte[] f = SwitchRig.control(TcpMigHeader.HEARTBEAT, SERVERS[server], SWITCH_IP, SERVERS[server], 0, 0, 0, 0);
        if (draining) {
            DecodedFrame d = decode(f);
            new TcpMigHeader().wrap(new UnsafeBuffer(f), d.udpPayloadOffset).reason(TcpMigHeader.HEARTBEAT_DRAINING).seal();
        }
        inject(server, f);
    }

    /** One heartbeat (not draining) from each of {@code servers}, by index. */
    void heartbeatsFrom(int... servers) {
        for (int s : servers) {
            heartbeat(s, false);
        }
    }

    @Override
    DecodedFrame decode(byte[] f) {
        DecodedFrame.Kind k = decoder.decode(new UnsafeBuffer(f), 0, f.length, decoded);
        assertNotEquals(DecodedFrame.Kind.DROPPED, k, "invalid frame (checksums are checked): " + decoded.dropReason);
        return decoded;
    }

    /** Sends a client segment to the VIP; returns the server it reached (checked rewritten and valid), or -1. */
    int send(int clientPort, int flags, int vip, int vipPort) {
        return send(clientPort, flags, vip, vipPort, 1);
    }

    int send(int clientPort, int flags, int vip, int vipPort, int seq) {
        for (CapturePort p : ports) {
            p.sent.clear();
        }
        inject(CLIENT_PORT, SwitchRig.tcp(CLIENT, clientPort, vip, vipPort, flags, seq, 1, 10));
        int reached = -1;
        for (int s = 0; s < SERVERS.length; s++) {
            if (!ports[s].sent.isEmpty()) {
                assertEquals(-1, reached, "one server only");
                assertEquals(1, ports[s].sent.size());
                DecodedFrame d = decode(ports[s].sent.get(0));
                assertEquals(SERVERS[s], d.dstIp, "VIP rewritten to the server's address");
                assertEquals(vipPort, d.tcp.dstPort);
                reached = s;
            }
        }
        return reached;
    }

    int syn(int clientPort) {
        return send(clientPort, TcpSegment.SYN, VIP, 80);
    }

    int data(int clientPort) {
        return send(clientPort, TcpSegment.ACK | TcpSegment.PSH, VIP, 80);
    }

    /** A server's segment back to the client: returns the decoded frame the client got. */
    DecodedFrame respond(int server, int srcPort, int clientPort, int flags) {
        ports[CLIENT_PORT].sent.clear();
        inject(server, SwitchRig.tcp(SERVERS[server], srcPort, CLIENT, clientPort, flags, 1, 1, 10));
        return decode(ports[CLIENT_PORT].takeOnly());
    }

    @Test
    void configParsesVipsAndRefusesASharedPort() {
        SwitchConfig c = SwitchConfig.parse(List.of("switch 10.0.0.254 02:00:00:00:00:fe", "vip 10.0.0.100 80",
                "vip 10.0.0.101 443", "join-after-ms 250", "placement-table-size 4099"), "t");
        assertEquals(List.of(new SwitchConfig.Vip(VIP, 80), new SwitchConfig.Vip(VIP2, 443)), c.vips());
        assertEquals(250_000_000L, c.joinAfterNanos());
        assertEquals(4099, c.placementTableSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SwitchConfig.parse(List.of(
                "switch 10.0.0.254 02:00:00:00:00:fe", "vip 10.0.0.100 80", "vip 10.0.0.101 80"), "t"));
        assertTrue(e.getMessage().contains("already used"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SwitchConfig.parse(List.of(
                "switch 10.0.0.254 02:00:00:00:00:fe", "placement-table-size 4096"), "t"));
        assertThrows(IllegalArgumentException.class, () -> SwitchConfig.parse(List.of(
                "switch 10.0.0.254 02:00:00:00:00:fe", "vip 10.0.0.100"), "t"));
    }

    @Test
    void rewritesBothWaysWithValidChecksumsAndAnswersArpForTheVip() {
        build(config());
        heartbeatsFrom(0, 1, 2, 3);
        int s = syn(40000);
        assertTrue(s >= 0);
        DecodedFrame d = respond(s, 80, 40000, TcpSegment.SYN | TcpSegment.ACK);
        assertEquals(VIP, d.srcIp, "the response carries the VIP");
        assertEquals(SWITCH_MAC, d.srcMac);
        assertEquals(MAC_CLIENT, d.dstMac);
        assertEquals(s, data(40000));
        assertEquals(1, sw.counter(SwitchCounter.VIP_PLACED));
        // the second VIP, on its own port
        int s2 = send(40001, TcpSegment.SYN, VIP2, 443);
        assertEquals(VIP2, respond(s2, 443, 40001, TcpSegment.SYN | TcpSegment.ACK).srcIp);
        // traffic to a server's own address is left alone
        ports[1].sent.clear();
        inject(CLIENT_PORT, SwitchRig.tcp(CLIENT, 40002, SERVERS[1], 8080, TcpSegment.SYN, 1, 0, 0));
        assertEquals(SERVERS[1], decode(ports[1].takeOnly()).dstIp);

        byte[] req = new byte[42];
        FrameEncoder.encodeArp(new UnsafeBuffer(req), 0, MacAddress.BROADCAST, MAC_CLIENT, ArpPacket.OP_REQUEST,
                MAC_CLIENT, CLIENT, 0, VIP);
        inject(CLIENT_PORT, req);
        assertEquals(SWITCH_MAC, ArpPacket.senderMac(new UnsafeBuffer(ports[CLIENT_PORT].takeOnly()), 14));
    }

    @Test
    void noMemberMeansTheSynIsDropped() {
        build(config());
        assertEquals(-1, syn(40000));
        assertEquals(1, sw.counter(SwitchCounter.VIP_NO_SERVER));
        heartbeatsFrom(2);
        assertEquals(2, syn(40000), "the only member");
    }

    /**
     * Joins and leaves never move an established connection; new connections spread over the
     * members within 15% of an equal share (4,000 connections over 3 or 4 servers: about 5
     * standard deviations of a binomial).
     */
    @Test
    void membershipChangesNeverMoveAnEstablishedConnection() {
        build(config());
        heartbeatsFrom(0, 1, 2); // server 3 is not up yet
        int n = 4000;
        int[] placed = new int[n];
        int[] share = new int[4];
        for (int i = 0; i < n; i++) {
            placed[i] = syn(10000 + i);
            share[placed[i]]++;
        }
        assertEquals(0, share[3]);
        assertSpread(share, 3, n);

        long changes = sw.counter(SwitchCounter.MEMBERSHIP_CHANGES);
        heartbeatsFrom(3); // joins
        assertEquals(changes + 1, sw.counter(SwitchCounter.MEMBERSHIP_CHANGES));
        for (int i = 0; i < n; i++) {
            assertEquals(placed[i], data(10000 + i), "connection " + i + " stays after a join");
        }
        int[] share4 = new int[4];
        for (int i = 0; i < n; i++) {
            share4[syn(20000 + i)]++;
        }
        assertSpread(share4, 4, n);

        // server 0 stops sending heartbeats: it leaves once stale
        now += STALE / 2;
        heartbeatsFrom(1, 2, 3);
        now += STALE / 2 + 1;
        heartbeatsFrom(1, 2, 3);
        assertTrue(sw.nextDeadline() <= now + STALE);
        sw.poll(now);
        assertTrue(!sw.placement().isMember(0));
        for (int i = 0; i < n; i++) {
            assertEquals(placed[i], data(10000 + i), "connection " + i + " stays after a leave (lost with its server, never moved)");
        }
        int[] share3 = new int[4];
        for (int i = 0; i < n; i++) {
            share3[syn(30000 + i)]++;
        }
        assertEquals(0, share3[0]);
        // it restarts: heartbeats again, joins again
        heartbeatsFrom(0);
        assertTrue(sw.placement().isMember(0));
        assertEquals(changes + 3, sw.counter(SwitchCounter.MEMBERSHIP_CHANGES));
        // a reused port of a connection on a server that went away is placed afresh
        now += STALE + 1;
        heartbeatsFrom(1, 2, 3);
        sw.poll(now);
        int onZero = -1;
        for (int i = 0; i < n && onZero < 0; i++) {
            if (placed[i] == 0) {
                onZero = 10000 + i;
            }
        }
        // a repeat of the SYN that placed it (same initial sequence number: retransmitted or
        // duplicated) still follows the entry: the connection may be alive on a silent server
        assertEquals(0, send(onZero, TcpSegment.SYN, VIP, 80, 1));
        assertEquals(0, sw.counter(SwitchCounter.VIP_STALE_ENTRY_REPLACED));
        // a new connection on that port (another initial sequence number) is placed afresh
        assertNotEquals(0, send(onZero, TcpSegment.SYN, VIP, 80, 7777));
        assertEquals(1, sw.counter(SwitchCounter.VIP_STALE_ENTRY_REPLACED));
    }

    static void assertSpread(int[] share, int members, int n) {
        double fair = (double) n / members;
        for (int s = 0; s < members; s++) {
            assertTrue(Math.abs(share[s] - fair) <= 0.15 * fair, "server " + s + " got " + share[s] + " of " + n);
        }
    }

    @Test
    void aServerJoinsOnlyAfterHeartbeatingForJoinAfter() {
        build(config().withJoinAfter(100_000_000L));
        heartbeatsFrom(0, 1);
        assertEquals(0, sw.placement().table().members());
        long until = sw.nextDeadline();
        assertEquals(now + 100_000_000L, until);
        now = until;
        heartbeatsFrom(0, 1);
        assertEquals(2, sw.placement().table().members());
    }

    @Test
    void aDrainingServerGetsNoNewConnectionsAndNoMigrationsButKeepsItsOwn() {
        build(config());
        heartbeatsFrom(0, 1, 2, 3);
        int[] placed = new int[400];
        for (int i = 0; i < placed.length; i++) {
            placed[i] = syn(10000 + i);
        }
        heartbeat(1, true);
        assertTrue(sw.loads().isDraining(1));
        for (int i = 0; i < placed.length; i++) {
            assertEquals(placed[i], data(10000 + i));
            assertNotEquals(1, syn(20000 + i));
        }
        // PREPARE_MIG from server 0: never steered to the draining server, however idle it is
        for (int k = 0; k < 20; k++) {
            ports[0].sent.clear();
            ports[1].sent.clear();
            inject(0, SwitchRig.control(TcpMigHeader.PREPARE_MIG, SERVERS[0], SWITCH_IP, SERVERS[0], 0, SERVERS[0], CLIENT,
                    10000 + k));
            assertTrue(ports[1].sent.isEmpty());
        }
        heartbeat(1, false); // undrain
        boolean anyOnOne = false;
        for (int i = 0; i < 400; i++) {
            anyOnOne |= syn(30000 + i) == 1;
        }
        assertTrue(anyOnOne);
    }

    /** A migrated VIP connection keeps its VIP; moving home or an abort keeps the entry that pins it. */
    @Test
    void migrationOfAVipConnectionKeepsItsEntryAndItsVip() {
        build(config());
        heartbeatsFrom(0, 1, 2, 3);
        int port = 40000;
        int s = syn(port);
        int t = (s + 1) % 4;
        long original = SERVERS[s] & 0xFFFF_FFFFL;
        inject(t, SwitchRig.control(TcpMigHeader.PREPARE_MIG_ACK, SERVERS[t], SERVERS[s], SERVERS[s], SERVERS[t], original,
                CLIENT, port));
        assertEquals(t, data(port));
        DecodedFrame d = respond(t, 80, port, TcpSegment.ACK);
        assertEquals(VIP, d.srcIp);
        // home again: CONN_STATE_ACK from the original does not remove the entry
        inject(s, SwitchRig.control(TcpMigHeader.PREPARE_MIG_ACK, SERVERS[s], SERVERS[t], SERVERS[t], SERVERS[s], original,
                CLIENT, port));
        inject(s, SwitchRig.control(TcpMigHeader.CONN_STATE_ACK, SERVERS[s], SERVERS[t], SERVERS[t], SERVERS[s], 0, CLIENT, port));
        assertEquals(0, sw.counter(SwitchCounter.REMOVED_MIGRATE_BACK));
        assertEquals(s, data(port));
        // an abort by the original keeps it too, pointing at the origin
        inject(s, SwitchRig.control(TcpMigHeader.ABORT, SERVERS[s], SWITCH_IP, SERVERS[s], SERVERS[t], original, CLIENT, port));
        assertEquals(s, data(port));
        assertEquals(1, sw.directory().size());
        // RST ends it
        respond(s, 80, port, TcpSegment.RST);
        assertEquals(0, sw.directory().size());
    }

    /** With no free slot a SYN is still placed (untracked) and answered with the VIP; its migration is refused, counted. */
    @Test
    void aFullDirectoryStillPlacesButRefusesMigrations() {
        build(config().withLevels(1));
        heartbeatsFrom(0, 1, 2, 3);
        int port = 40000;
        int index = MigrationDirectory.hash16(CLIENT, port);
        int other = 0;
        while (MigrationDirectory.hash16(CLIENT + 1, other) != index) {
            other++;
        }
        sw.directory().install(CLIENT + 1, other, 0, 1, 0);
        int s = syn(port);
        assertTrue(s >= 0);
        assertEquals(1, sw.counter(SwitchCounter.VIP_PLACED_UNTRACKED));
        assertEquals(s, data(port), "the table routes it");
        assertEquals(1, sw.counter(SwitchCounter.VIP_DEFAULT_ROUTED));
        assertEquals(VIP, respond(s, 80, port, TcpSegment.ACK).srcIp);
        int t = (s + 1) % 4;
        ports[s].sent.clear();
        inject(t, SwitchRig.control(TcpMigHeader.PREPARE_MIG_ACK, SERVERS[t], SERVERS[s], SERVERS[s], SERVERS[t],
                SERVERS[s] & 0xFFFF_FFFFL, CLIENT, port));
        byte[] reject = ports[s].takeOnly();
        DecodedFrame d = decode(reject);
        TcpMigHeader h = new TcpMigHeader().wrap(new UnsafeBuffer(reject), d.udpPayloadOffset);
        assertEquals(TcpMigHeader.REJECT, h.type());
        assertEquals(TcpMigHeader.REASON_DIRECTORY_FULL, h.reason());
        assertEquals(1, sw.counter(SwitchCounter.DIRECTORY_REFUSED_FULL));
        assertEquals(s, data(port), "still where it was");
    }

    /** Fills every slot of a one-level directory with other clients' entries. */
    void fillDirectory() {
        int filler = Ipv4Address.parse("10.0.9.9");
        MigrationDirectory dir = sw.directory();
        for (int ip = filler; dir.size() < dir.capacity(); ip++) {
            for (int port = 0; port < 65536; port++) {
                dir.install(ip, port, 0, 0, 0);
            }
        }
        assertEquals(dir.capacity(), dir.size());
    }

    /**
     * With the directory full every connection is untracked, pinned by its Maglev bucket: a join,
     * a drain and a leave rebuild the table but never move an established connection. A SYN whose
     * bucket's untracked connections sit on another live server is refused (counted) rather than
     * placed where it would make them ambiguous; new connections still spread.
     */
    @Test
    void aFullDirectoryStillNeverMovesAnEstablishedConnection() {
        build(config().withLevels(1));
        fillDirectory();
        heartbeatsFrom(0, 1, 2);
        int n = 3000;
        int[] placed = new int[n];
        int[] share = new int[4];
        for (int i = 0; i < n; i++) {
            placed[i] = syn(10000 + i);
            share[placed[i]]++;
        }
        assertEquals(n, sw.counter(SwitchCounter.VIP_PLACED_UNTRACKED));
        assertEquals(0, sw.counter(SwitchCounter.VIP_PLACED));
        assertSpread(share, 3, n);

        heartbeatsFrom(3); // joins: about a quarter of the buckets now name server 3
        for (int i = 0; i < n; i++) {
            assertEquals(placed[i], data(10000 + i), "untracked connection " + i + " stays after a join");
        }
        int m = 3000;
        int[] later = new int[m];
        int[] share4 = new int[4];
        int refused = 0;
        for (int i = 0; i < m; i++) {
            later[i] = syn(20000 + i);
            if (later[i] < 0) {
                refused++;
            } else {
                share4[later[i]]++;
            }
        }
        assertEquals(refused, sw.counter(SwitchCounter.VIP_REFUSED_UNTRACKED));
        // Refused: a new SYN in a bucket that moved to server 3 while the bucket's earlier untracked
        // connections are still on their server. 3000 connections over 65,537 buckets mark about
        // 4.5% of them, a quarter of which moved: about 1% of new SYNs.
        assertTrue(refused > 0 && refused < m / 20, refused + " refused");
        assertTrue(share4[3] > m / 6, "the new server takes new connections: " + share4[3]);

        heartbeat(1, true); // drains: its buckets go to the others
        now += STALE / 2;
        heartbeatsFrom(2, 3);
        heartbeat(1, true);
        now += STALE / 2 + 1; // server 0 falls silent and leaves
        heartbeatsFrom(2, 3);
        heartbeat(1, true);
        sw.poll(now);
        assertTrue(!sw.placement().isMember(0) && !sw.placement().isMember(1));
        for (int i = 0; i < n; i++) {
            assertEquals(placed[i], data(10000 + i), "connection " + i + " stays after a drain and a leave");
        }
        for (int i = 0; i < m; i++) {
            if (later[i] >= 0) {
                assertEquals(later[i], data(20000 + i), "connection " + (20000 + i) + " stays");
            }
        }
        // a SYN whose bucket's connections were on the server that left is placed afresh
        int onZero = -1;
        for (int i = 0; i < n && onZero < 0; i++) {
            if (placed[i] == 0) {
                onZero = 10000 + i;
            }
        }
        int again = syn(onZero);
        assertTrue(again == 2 || again == 3, "placed on a member: " + again);
        assertEquals(0, sw.directory().capacity() - sw.directory().size(), "still full: nothing was tracked");
    }

    /** A bucket that carried no untracked segment for the idle time may take untracked connections elsewhere. */
    @Test
    void anIdleBucketMayChangeServer() {
        int[] ids = {SERVERS[0], SERVERS[1]};
        MaglevTable both = new MaglevTable(101, ids);
        both.rebuild(new boolean[] {true, true});
        int hash = 0;
        while (both.lookup(hash) != 1) {
            hash += 0x01000193;
        }
        MinLoadRegister loads = new MinLoadRegister(2, STALE);
        Placement p = new Placement(101, ids, loads, 0, 1_000);
        loads.heartbeat(0, 0, 0);
        p.refresh(0);
        assertEquals(0, p.placeUntracked(hash, 10), "only server 0 is a member");
        loads.heartbeat(1, 0, 20);
        assertTrue(p.refresh(20));
        assertEquals(1, p.place(hash), "the table now names server 1 for this bucket");
        assertEquals(Placement.REFUSED, p.placeUntracked(hash, 30), "its untracked connections are on server 0");
        assertEquals(0, p.routeUntracked(hash, 500), "and stay there");
        assertEquals(Placement.REFUSED, p.placeUntracked(hash, 1_400), "seen at 500: not idle yet");
        assertEquals(1, p.placeUntracked(hash, 1_600), "idle since 500: the bucket may move");
        assertEquals(1, p.routeUntracked(hash, 1_700));
    }

    /** The untracked path (a full directory) allocates nothing per frame. */
    @Test
    void untrackedForwardingAllocatesNothing() {
        var bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        io.capybara.testing.Require.that(bean.isThreadAllocatedMemoryEnabled(), () -> "per-thread allocation accounting unavailable");
        build(config().withLevels(1));
        fillDirectory();
        heartbeatsFrom(0, 1, 2, 3);
        syn(40000);
        byte[] original = SwitchRig.tcp(CLIENT, 40000, VIP, 80, TcpSegment.ACK, 1, 1, 100);
        byte[] synOriginal = SwitchRig.tcp(CLIENT, 40001, VIP, 80, TcpSegment.SYN, 1, 0, 0);
        io.capybara.io.FrameChannel sink = new io.capybara.io.FrameChannel() {
            @Override
            public int poll(io.capybara.io.FrameHandler handler, int limit) {
                return 0;
            }

            @Override
            public boolean send(org.agrona.DirectBuffer buffer, int offset, int length) {
                return true;
            }

            @Override
            public String name() {
                return "sink";
            }
        };
        TorSwitch quiet = new TorSwitch(config().withLevels(1), new io.capybara.io.FrameChannel[] {sink, sink, sink, sink, sink});
        for (int port = 0; port < 65536; port++) {
            quiet.directory().install(CLIENT + 7, port, 0, 0, 0);
        }
        for (int s = 0; s < 4; s++) {
            byte[] hb = SwitchRig.control(TcpMigHeader.HEARTBEAT, SERVERS[s], SWITCH_IP, SERVERS[s], 0, 0, 0, 0);
            quiet.process(s, new UnsafeBuffer(hb), 0, hb.length);
        }
        UnsafeBuffer frame = new UnsafeBuffer(new byte[original.length]);
        UnsafeBuffer synFrame = new UnsafeBuffer(new byte[synOriginal.length]);
        for (int round = 0; round < 2; round++) {
            long before = bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 50_000; i++) {
                frame.putBytes(0, original);
                quiet.process(CLIENT_PORT, frame, 0, original.length);
                synFrame.putBytes(0, synOriginal);
                quiet.process(CLIENT_PORT, synFrame, 0, synOriginal.length);
            }
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertTrue(allocated < 4096, allocated + " bytes allocated for 100,000 untracked frames");
            }
        }
        assertEquals(100_000, quiet.counter(SwitchCounter.VIP_DEFAULT_ROUTED));
        assertEquals(100_000, quiet.counter(SwitchCounter.VIP_PLACED_UNTRACKED));
    }
}
