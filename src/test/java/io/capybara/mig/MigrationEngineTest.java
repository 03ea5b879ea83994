package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.rack.RackSimulation;
import io.capybara.sim.LinkProfile;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.WireCounters;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The protocol's rules on a small simulated rack, one rule per test. */
class MigrationEngineTest {
    static final long BIG = 4L << 20;

    /** Steers the switch: the server with the lowest value here is chosen as target. */
    static void loads(MiniRack r, long... l) {
        for (int i = 0; i < l.length; i++) {
            long v = l[i];
            r.engines[i].loadMetric(() -> v);
        }
        r.runFor(300_000);
    }

    static void awaitQuiet(MiniRack r) {
        assertTrue(r.run(50_000_000L, r::quiet), "migration did not finish");
    }

    @Test
    void connectionMovesAroundTheRackAndBackWithEveryByteIntact() {
        MiniRack r = MiniRack.of(11, 3, BIG).warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(2_000_000);
        assertTrue(c.established() && c.received > 0 && c.sent > 0);
        int[][] hops = {{1, 2}, {2, 0}, {0, 1}, {1, 0}}; // A->B->C->A->B->A
        long[][] steer = {{50, 0, 100}, {50, 100, 0}, {0, 50, 100}, {50, 100, 0}, {0, 100, 50}};
        int at = 0;
        for (int hop = 0; hop < steer.length; hop++) {
            loads(r, steer[hop]);
            assertEquals(at, r.holder(c));
            TcpConnection s = r.serverSide(c);
            assertTrue(r.engines[at].migrate(s) > 0);
            awaitQuiet(r);
            int expected = argmin(steer[hop], at);
            assertEquals(expected, r.holder(c), "hop " + hop);
            assertEquals(expected, r.switchTarget(c), "the switch must agree, hop " + hop);
            at = expected;
            r.runFor(1_000_000); // data keeps flowing through the new server
        }
        assertEquals(steer.length, r.sum(MigCounter.COMPLETED));
        assertEquals(steer.length, r.sum(MigCounter.RESTORED));
        assertEquals(0, r.sum(MigCounter.DIRECTORY_RELEASED), "a server it left releases nothing: the holder's entry stays");
        assertTrue(r.run(20_000_000_000L, c::complete), c.toString());
        r.runFor(200_000_000L);
        assertEquals(0, r.sw.directory().size(), "directory empty once the connection is closed");
        for (int i = 0; i < 3; i++) {
            assertEquals(0, r.apps[i].mismatches);
            assertEquals(0, r.servers[i].connectionCount());
        }
        assertEquals(0, r.client.stats().tcpRstSent() + r.servers[0].stats().tcpRstSent()
                + r.servers[1].stats().tcpRstSent() + r.servers[2].stats().tcpRstSent(), "no RST anywhere");
    }

    static int argmin(long[] l, int exclude) {
        int best = -1;
        for (int i = 0; i < l.length; i++) {
            if (i != exclude && (best < 0 || l[i] < l[best])) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void migrateRefusesWhatItCannotMove() {
        MiniRack r = MiniRack.of(12, 2, BIG).warm();
        assertEquals(-1, r.engines[0].migrate(null));
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        TcpConnection s = r.serverSide(c);
        assertEquals(-1, r.engines[1].migrate(s), "not on this server");
        assertTrue(r.engines[0].migrate(s) > 0);
        assertEquals(-1, r.engines[0].migrate(s), "already migrating");
        assertEquals(2, r.engines[0].counter(MigCounter.NOT_ELIGIBLE));
        awaitQuiet(r);
        assertEquals(1, r.holder(c));
    }

    @Test
    void rejectWithNoTargetLeavesTheConnectionAtTheOrigin() {
        MiniRack r = MiniRack.of(13, 2, 256 * 1024);
        r.links[1].down(0, Long.MAX_VALUE); // server 1 never heartbeats: the switch has no target
        r.warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        awaitQuiet(r);
        assertEquals(1, r.engines[0].counter(MigCounter.REJECTED_NO_TARGET));
        assertEquals(0, r.holder(c));
        assertTrue(r.run(10_000_000_000L, c::complete), c.toString());
    }

    @Test
    void duplicatedStateIsAnsweredAgainButRestoredOnce() {
        MiniRack r = new MiniRack(14, 2, 512 * 1024, MiniRack.link().withDuplicate(1.0), s -> s, m -> m).warm();
        MiniRack.Client c = r.connect(0);
        r.runFor(1_000_000);
        assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
        awaitQuiet(r);
        assertEquals(1, r.engines[1].counter(MigCounter.RESTORED));
        assertTrue(r.engines[1].counter(MigCounter.STATE_FRAGMENT_DUPLICATE) + r.engines[1].counter(MigCounter.STATE_REACKED) > 0);
        assertTrue(r.engines[1].counter(MigCounter.PREPARE_DUPLICATE) > 0);
        assertEquals(1, r.engines[0].counter(MigCounter.COMPLETED));
        assertTrue(r.engines[0].counter(MigCounter.CONTROL_DUPLICATE) > 0, "duplicate ACKs are counted");
        assertEquals(1, r.holder(c));
        assertTrue(r.run(10_000_000_000L, c::complete), c.toString());
    }

    /** Hands {@code msg} to server 0's engine as a TCPMig datagram from server 1. */
    private static void fromServer1(MigrationEngine e, byte[] msg, int ipId) {
        byte[] frame = new byte[FrameEncoder.IPV4_HEADERS_LENGTH + 8 + msg.length];
        FrameEncoder.encodeUdp(new UnsafeBuffer(frame), 0, RackSimulation.mac(0), RackSimulation.mac(1), ipId,
                RackSimulation.ip(1), RackSimulation.ip(0), TcpMigHeader.UDP_PORT, TcpMigHeader.UDP_PORT,
                new UnsafeBuffer(msg), 0, msg.length);
        DecodedFrame f = new DecodedFrame();
        assertEquals(DecodedFrame.Kind.UDP,
                new FrameDecoder(new WireCounters()).decode(new UnsafeBuffer(frame), 0, frame.length, f));
        e.onControl(f);
    }

    @Test
    void malformedControlMessagesAreDroppedAndCountedNeverThrown() {
        MiniRack r = MiniRack.of(15, 2, 1024).warm();
        MigrationEngine e = r.engines[0];
        SplittableRandom random = new SplittableRandom(Long.getLong("capybara.seed", 15));
        long before = e.counter(MigCounter.CONTROL_MALFORMED);
        int sent = 0;
        for (int i = 0; i < 2_000; i++) {
            byte[] msg = new byte[random.nextInt(0, 200)];
            UnsafeBuffer m = new UnsafeBuffer(msg);
            if (msg.length >= TcpMigHeader.MIN_LENGTH && random.nextBoolean()) {
                // a valid message, then one kind of damage
                new TcpMigHeader().wrap(m, 0).init(1 + random.nextInt(7), random.nextInt()).bodyLength(msg.length
                        - TcpMigHeader.MIN_LENGTH).seal();
                switch (random.nextInt(4)) {
                    case 0 -> m.putByte(2, (byte) 9); // unknown version
                    case 1 -> m.putByte(3, (byte) 0); // unknown type
                    case 2 -> m.putByte(random.nextInt(msg.length), (byte) (m.getByte(0) ^ 0x5A)); // corrupt
                    default -> m.putShort(6, (short) (msg.length + 10)); // length beyond the datagram
                }
            } else {
                random.nextBytes(msg);
            }
            fromServer1(e, msg, i);
            sent++;
        }
        long malformed = e.counter(MigCounter.CONTROL_MALFORMED) - before;
        assertTrue(malformed > sent * 9 / 10, "malformed " + malformed + " of " + sent
                + " replay: ./capybara test -Dtest=MigrationEngineTest#malformedControlMessagesAreDroppedAndCountedNeverThrown -Dcapybara.seed=15");
        assertEquals(0, e.outgoing());
        assertEquals(0, e.preparedSlots());
    }

    /**
     * Well-formed (CRC-valid) messages with impossible addresses: an ABORT for client
     * 0.0.0.0:0 and a PREPARE_MIG_ACK naming target 0.0.0.0 or the origin itself. Forged or
     * buggy, they are counted, never thrown out of the engine's loop.
     */
    @Test
    void forgedAddressesInValidMessagesAreCountedNotThrown() {
        MiniRack r = MiniRack.of(17, 2, 1024).warm();
        MigrationEngine e = r.engines[0];
        int self = RackSimulation.ip(0);
        int other = RackSimulation.ip(1);
        int[][] cases = {
            // type, origin, target, client ip, client port
            {TcpMigHeader.ABORT, other, self, 0, 0},
            {TcpMigHeader.ABORT, self, other, 0, 0},
            {TcpMigHeader.PREPARE_MIG_ACK, self, 0, 0x0A000105, 40000},
            {TcpMigHeader.PREPARE_MIG_ACK, self, self, 0x0A000105, 40000},
        };
        long malformed = e.counter(MigCounter.CONTROL_MALFORMED);
        for (int[] c : cases) {
            byte[] msg = new byte[TcpMigHeader.MIN_LENGTH];
            new TcpMigHeader().wrap(new UnsafeBuffer(msg), 0).init(c[0], 5).originIp(c[1]).targetIp(c[2])
                    .clientIp(c[3]).clientPort(c[4]).serverPort(0).value(other).seal();
            fromServer1(e, msg, 1); // must not throw
        }
        assertEquals(malformed + 2, e.counter(MigCounter.CONTROL_MALFORMED), "the two impossible ACKs");
        assertEquals(0, e.forwardingEntries(), "nothing to forward for 0.0.0.0:0");
        assertEquals(0, e.outgoing());
    }

    @Test
    void temporaryBufferIsBoundedAndTheClientRetransmits() {
        // the origin's link is slow, so client segments reach the target well before the state
        MiniRack r = new MiniRack(16, 2, 2L << 20, MiniRack.link(), s -> s,
                m -> m.withPools(4, 4, 2, 64 * 1024, 1 << 20));
        MiniRack.Client c = r.connect(0);
        r.warm();
        r.runFor(1_000_000);
        for (int k = 0; k < 10 && r.engines[1].counter(MigCounter.BUFFER_FULL_DROPS) == 0; k++) {
            int from = r.holder(c);
            assertTrue(r.engines[from].migrate(r.serverSide(c)) > 0);
            awaitQuiet(r);
            r.runFor(500_000);
        }
        long buffered = r.sum(MigCounter.SEGMENTS_BUFFERED);
        long dropped = r.sum(MigCounter.BUFFER_FULL_DROPS);
        assertTrue(buffered > 0, "segments were buffered");
        assertTrue(dropped > 0, "beyond 2 frames the buffer drops");
        assertTrue(r.run(20_000_000_000L, c::complete), c.toString());
    }

    @Test
    void aFullTargetAnswersTargetBusy() {
        MiniRack r = new MiniRack(17, 2, BIG, MiniRack.link(), s -> s, m -> m.withPools(4, 1, 64, 64 * 1024,
                1 << 20)).warm();
        MiniRack.Client a = r.connect(0);
        MiniRack.Client b = r.connect(0);
        r.runFor(1_000_000);
        assertTrue(r.engines[0].migrate(r.serverSide(a)) > 0);
        assertTrue(r.engines[0].migrate(r.serverSide(b)) > 0);
        awaitQuiet(r);
        assertEquals(1, r.engines[0].counter(MigCounter.COMPLETED));
        assertEquals(1, r.engines[0].counter(MigCounter.REJECTED_TARGET_BUSY));
        assertEquals(1, r.engines[1].counter(MigCounter.REJECTED_BUSY_SENT));
        assertNotEquals(r.holder(a), r.holder(b));
        assertEquals(r.holder(a), r.switchTarget(a));
        assertEquals(r.holder(b), r.switchTarget(b));
    }

    @Test
    void heartbeatsCarryTheLoadToTheSwitch() {
        MiniRack r = MiniRack.of(18, 2, 1024).warm();
        r.engines[0].loadMetric(() -> 1234);
        r.engines[1].loadMetric(() -> 77);
        r.runFor(500_000);
        assertEquals(1234, r.sw.loads().load(0));
        assertEquals(77, r.sw.loads().load(1));
        assertTrue(r.engines[0].counter(MigCounter.HEARTBEATS_SENT) > 3);
    }

    @Test
    void policyShedsTheBusiestConnectionWithHysteresisAndCoolDown() {
        long[] load = {0};
        MiniRack r = new MiniRack(19, 2, BIG, MiniRack.link(), s -> s,
                m -> m.withPolicy(200_000, 1_000, 500, 100_000_000L));
        r.engines[0].loadMetric(() -> load[0]);
        r.engines[1].loadMetric(() -> 0);
        r.warm();
        MiniRack.Client[] idle = new MiniRack.Client[3];
        for (int i = 0; i < idle.length; i++) {
            idle[i] = r.connect(0);
            idle[i].sendLimit = 1; // almost no traffic either way
            idle[i].paused = true;
        }
        MiniRack.Client busy = r.connect(0); // last: the first an unguided look would find is an idle one
        r.runFor(2_000_000);
        MigrationEngine e = r.engines[0];
        assertEquals(0, e.counter(MigCounter.POLICY_DECISIONS), "below the threshold nothing moves");
        load[0] = 2_000;
        assertTrue(r.run(5_000_000, () -> e.counter(MigCounter.POLICY_DECISIONS) == 1));
        assertTrue(e.trafficEntries() > 0, "the busy connection's traffic is remembered");
        load[0] = 0;
        awaitQuiet(r);
        assertEquals(1, r.holder(busy), "the connection with the most traffic moves first");
        assertTrue(e.cooldownEntries() > 0, "and cools down");
        load[0] = 700; // between the marks, not shedding: stays put
        r.runFor(1_000_000);
        load[0] = 1_000; // at the high mark, not above it
        r.runFor(1_000_000);
        assertEquals(1, e.counter(MigCounter.POLICY_DECISIONS));
        load[0] = 2_000;
        assertTrue(r.run(5_000_000, () -> e.counter(MigCounter.POLICY_DECISIONS) == 2));
        load[0] = 500; // at the low mark while shedding, not below it: keeps shedding
        assertTrue(r.run(5_000_000, () -> e.counter(MigCounter.POLICY_DECISIONS) == 3));
        load[0] = 400; // below the low mark: stops
        awaitQuiet(r);
        r.runFor(2_000_000);
        assertEquals(3, e.counter(MigCounter.POLICY_DECISIONS));
        assertEquals(1, r.servers[0].connectionCount(), "one idle connection stays");
        // server 1 is loaded now, but every connection it got is cooling down: nothing moves back
        r.engines[1].loadMetric(() -> 5_000);
        r.runFor(5_000_000);
        assertEquals(0, r.engines[1].counter(MigCounter.POLICY_DECISIONS));
        assertEquals(1, r.holder(busy));
    }

    /**
     * A policy look costs the connections with traffic, not the idle ones: with 200 idle
     * connections it remembers the traffic of none of them once their handshakes are behind;
     * and shedding still finds idle connections to move (from its rotating cursor). Which busy
     * connection goes first is {@link #policyShedsTheBusiestConnectionWithHysteresisAndCoolDown}'s.
     */
    @Test
    void policyLooksAtBusyConnectionsOnlyAndStillShedsIdleOnes() {
        final int idle = 200;
        long[] load = {0};
        // an HTTP server whose clients send nothing: idle once connected, no timer, no probe
        io.capybara.app.HttpServerConfig http = io.capybara.app.HttpServerConfig.defaults();
        MiniRack r = new MiniRack(23, 2, BIG, MiniRack.link(), s -> s,
                m -> m.withPolicy(200_000, 1_000, 500, 100_000_000L),
                h -> new io.capybara.rack.MigratableHttpServer(h, http));
        r.engines[0].loadMetric(() -> load[0]);
        r.engines[1].loadMetric(() -> 0);
        r.warm();
        for (int i = 0; i < idle; i++) {
            r.connect(0).sendLimit = 0;
        }
        r.runFor(60_000_000); // 300 policy looks: the map was cleared (every 256) after the handshakes
        MigrationEngine e = r.engines[0];
        assertEquals(idle, r.servers[0].liveConnections());
        r.runFor(5_000_000);
        assertEquals(0, r.servers[0].busyCount(), "no segment since the last look");
        assertTrue(e.trafficEntries() < idle / 2, "idle connections remembered: " + e.trafficEntries());
        load[0] = 2_000;
        assertTrue(r.run(5_000_000, () -> e.counter(MigCounter.POLICY_DECISIONS) == 3), "idle ones are shed");
        load[0] = 0;
        awaitQuiet(r);
        assertEquals(3, e.counter(MigCounter.COMPLETED), e.counters().toString());
        assertEquals(idle - 3, r.servers[0].liveConnections());
        assertEquals(3, r.servers[1].liveConnections());
    }
}
