package io.capybara.mig;

import static io.capybara.mig.LoneEngine.CLIENT;
import static io.capybara.mig.LoneEngine.CLIENT_PORT;
import static io.capybara.mig.LoneEngine.ORIGIN;
import static io.capybara.mig.LoneEngine.ORIGINAL;
import static io.capybara.mig.LoneEngine.OTHER;
import static io.capybara.mig.LoneEngine.SELF;
import static io.capybara.mig.LoneEngine.SWITCH;
import static io.capybara.wire.TcpMigHeader.ABORT;
import static io.capybara.wire.TcpMigHeader.CONN_STATE_ACK;
import static io.capybara.wire.TcpMigHeader.HEARTBEAT;
import static io.capybara.wire.TcpMigHeader.PREPARE_MIG_ACK;
import static io.capybara.wire.TcpMigHeader.REJECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.tcp.TcpConnection;
import io.capybara.wire.TcpMigHeader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine's own rules on a {@link LoneEngine}: heartbeats, the rack's loads the switch sends
 * back, counters, and how the origin side answers messages about migrations it is not running.
 */
class EngineRulesTest {
    static final long HEARTBEAT_NANOS = 100_000;

    static LoneEngine.Sent heartbeat(int flags, long load) {
        return new LoneEngine.Sent(SWITCH, HEARTBEAT, flags, 0, 0, 0, 0, SELF, 0, load);
    }

    @Test
    void heartbeatsGoToTheSwitchEveryIntervalWithTheLoadAndFlags() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet().withHeartbeat(HEARTBEAT_NANOS), null);
        e.engine.loadMetric(() -> 1234);
        assertEquals(0, e.engine.nextDeadline(), "the first heartbeat is due at once");
        assertEquals(1, e.engine.poll(0));
        assertEquals(List.of(heartbeat(0, 1234)), e.sent());
        assertEquals(1234, e.engine.lastLoad());
        assertEquals(HEARTBEAT_NANOS, e.engine.nextDeadline());
        assertEquals(0, e.engine.poll(HEARTBEAT_NANOS - 1));
        assertEquals(List.of(), e.sent());
        e.engine.draining(true);
        e.engine.wantRackLoads(true);
        e.engine.loadMetric(() -> -5);
        e.engine.poll(HEARTBEAT_NANOS);
        assertEquals(List.of(heartbeat(TcpMigHeader.HEARTBEAT_DRAINING | TcpMigHeader.HEARTBEAT_WANTS_LOADS, 0)),
                e.sent(), "a negative load is sent as 0");
        assertEquals(-5, e.engine.lastLoad());
        e.engine.draining(false);
        e.engine.loadMetric(() -> Long.MAX_VALUE);
        e.engine.poll(2 * HEARTBEAT_NANOS);
        assertEquals(List.of(heartbeat(TcpMigHeader.HEARTBEAT_WANTS_LOADS, TcpMigHeader.NO_LOAD - 1)), e.sent(),
                "a load beyond the field is sent as its largest value, never as 'no load'");
        assertEquals(3, e.counter(MigCounter.HEARTBEATS_SENT));
    }

    /** By default the load is the bytes the host's connections have queued: work the server still owes. */
    @Test
    void theDefaultLoadIsTheHostsQueuedBytes() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet().withHeartbeat(HEARTBEAT_NANOS), null);
        TcpConnection c = e.host.connect(CLIENT, CLIENT_PORT, null);
        int queued = c.send(new org.agrona.concurrent.UnsafeBuffer(new byte[700]), 0, 700, 0);
        assertEquals(700, queued);
        assertEquals(e.host.queuedBytes(), e.engine.queuedBytes());
        assertTrue(e.engine.queuedBytes() >= 700, "" + e.engine.queuedBytes());
        e.sent();
        e.engine.poll(0);
        assertEquals(List.of(heartbeat(0, e.host.queuedBytes())), e.sent());
    }

    @Test
    void withHeartbeatsAndPolicyOffAnIdleEngineHasNoDeadlineAndSendsNothing() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet(), null);
        assertEquals(Long.MAX_VALUE, e.engine.nextDeadline());
        assertEquals(0, e.engine.poll(1_000_000_000L));
        assertEquals(List.of(), e.sent());
        assertEquals(Map.of(), e.engine.counters());
        assertEquals(0, e.engine.queuedBytes());
    }

    /** The switch's answer to a heartbeat that asked for loads, as a server would receive it. */
    static void loads(LoneEngine e, int from, int flags, int server, long load) {
        e.receive(from, HEARTBEAT, 0, h -> h.reason(flags).targetIp(server).value(load));
    }

    @Test
    void theRacksLeastLoadComesFromTheSwitchOnlyWhenAskedAndGoesStale() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet().withHeartbeat(HEARTBEAT_NANOS), null);
        long at = 5_000_000;
        e.engine.poll(at);
        assertEquals(Long.MAX_VALUE, e.engine.leastOtherLoad(at), "no report yet");
        assertEquals(0, e.engine.leastOtherServer());
        loads(e, SWITCH, TcpMigHeader.HEARTBEAT_LOADS, OTHER, 77);
        assertEquals(1, e.counter(MigCounter.CONTROL_UNEXPECTED), "not asked for");
        e.engine.wantRackLoads(true);
        loads(e, OTHER, TcpMigHeader.HEARTBEAT_LOADS, OTHER, 77);
        loads(e, SWITCH, 0, OTHER, 77);
        assertEquals(3, e.counter(MigCounter.CONTROL_UNEXPECTED), "only the switch's, only with loads");
        assertEquals(Long.MAX_VALUE, e.engine.leastOtherLoad(at));
        loads(e, SWITCH, TcpMigHeader.HEARTBEAT_LOADS, OTHER, 77);
        assertEquals(1, e.counter(MigCounter.LOADS_RECEIVED));
        assertEquals(77, e.engine.leastOtherLoad(at));
        assertEquals(OTHER, e.engine.leastOtherServer());
        assertEquals(77, e.engine.leastOtherLoad(at + 3 * HEARTBEAT_NANOS), "fresh for three heartbeat intervals");
        assertEquals(Long.MAX_VALUE, e.engine.leastOtherLoad(at + 3 * HEARTBEAT_NANOS + 1), "then stale");
        loads(e, SWITCH, TcpMigHeader.HEARTBEAT_LOADS, 0, TcpMigHeader.NO_LOAD);
        assertEquals(Long.MAX_VALUE, e.engine.leastOtherLoad(at), "no other server");
        assertEquals(0, e.engine.leastOtherServer());
    }

    @Test
    void countersListOnlyWhatMovedAndMalformedMessagesAreCounted() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet(), null);
        e.receive(ORIGIN, REJECT, 1, h -> LoneEngine.about(h).fragment(1, 1)); // fragment 1 of 1
        e.receive(ORIGIN, CONN_STATE_ACK, 1, LoneEngine::about);
        assertEquals(Map.of(MigCounter.CONTROL_RECEIVED, 2L, MigCounter.CONTROL_MALFORMED, 1L,
                MigCounter.CONTROL_DUPLICATE, 1L), e.engine.counters());
        assertEquals(List.of(), e.sent());
    }

    @Test
    void aConnectionKeyIsClientAddressPortAndServerPort() {
        assertEquals(0x0A000110_9C40_0050L, MigrationEngine.connKey(0x0A000110, 40000, 80));
        assertEquals(0xC0A80001_FFFF_0001L, MigrationEngine.connKey(0xC0A80001, -1, 0x10001), "ports are 16 bits");
        assertFalse(MigrationEngine.connKey(1, 2, 3) == MigrationEngine.connKey(1, 3, 2));
    }

    /** Messages about migrations this server does not run as origin: none changes anything but a counter. */
    @Test
    void answersForMigrationsThisOriginIsNotRunningAreCounted() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet(), null);
        e.receive(OTHER, REJECT, 4, h -> LoneEngine.about(h).originIp(SELF).reason(TcpMigHeader.REASON_NO_TARGET));
        e.receive(OTHER, REJECT, 4, h -> LoneEngine.about(h).originIp(SELF).reason(TcpMigHeader.REASON_ABORT_ACK));
        e.receive(OTHER, CONN_STATE_ACK, 4, h -> LoneEngine.about(h).originIp(SELF).targetIp(OTHER));
        assertEquals(3, e.counter(MigCounter.CONTROL_DUPLICATE));
        e.receive(OTHER, REJECT, 4, h -> LoneEngine.about(h).reason(TcpMigHeader.REASON_HOLD_EXPIRED));
        assertEquals(1, e.counter(MigCounter.CONTROL_UNEXPECTED), "a hold notice for another origin's migration");
        e.receive(OTHER, PREPARE_MIG_ACK, 4, h -> LoneEngine.about(h).originIp(SELF).targetIp(OTHER));
        e.receive(OTHER, REJECT, 4, h -> LoneEngine.about(h).originIp(SELF).targetIp(OTHER)
                .reason(TcpMigHeader.REASON_HOLD_EXPIRED));
        assertEquals(2, e.counter(MigCounter.STRAY_ACK));
        assertEquals(List.of(), e.sent(), "the connection is not here and no migration of ours took it: nothing to repair");
        e.receive(OTHER, PREPARE_MIG_ACK, 4, h -> LoneEngine.about(h).originIp(SELF).targetIp(SELF));
        assertEquals(1, e.counter(MigCounter.CONTROL_MALFORMED), "no server takes a connection from itself");
        assertEquals(0, e.engine.outgoing());
    }

    /**
     * A late PREPARE_MIG_ACK of a migration that is over while the connection is (back) here:
     * the switch now points at the stray target, so an ABORT to it points the switch back here.
     */
    @Test
    void aLateAckForAConnectionThatIsHereIsUndoneWithAnAbort() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet(), null);
        TcpConnection here = e.host.connect(CLIENT, CLIENT_PORT, null);
        e.sent();
        int port = here.localPort();
        e.receive(OTHER, PREPARE_MIG_ACK, 4, h -> LoneEngine.about(h).serverPort(port).originIp(SELF).targetIp(OTHER));
        assertEquals(List.of(new LoneEngine.Sent(OTHER, ABORT, TcpMigHeader.REASON_TIMEOUT, 4, CLIENT, CLIENT_PORT, port,
                SELF, OTHER, ORIGINAL)), e.sent());
        assertEquals(1, e.counter(MigCounter.STRAY_ACK));
        assertEquals(-1, e.engine.migrate(here), "a handshake is not moved");
        assertFalse(e.engine.isMigrating(CLIENT, CLIENT_PORT, port));
        assertEquals(1, e.counter(MigCounter.NOT_ELIGIBLE));
    }

    /** TCPMig datagrams: UDP port 0xCAFE to 0xCAFE, a length that covers the message, DF, one IPv4 id sequence. */
    @Test
    void controlMessagesAreUdpDatagramsBetweenTheTcpMigPorts() {
        LoneEngine e = new LoneEngine(LoneEngine.quiet(), null);
        for (int k = 0; k < 3; k++) {
            e.prepare(7); // answered with an ACK each time
        }
        List<io.capybara.wire.DecodedFrame> out = new java.util.ArrayList<>();
        e.link.b().poll((buf, off, len) -> {
            byte[] copy = new byte[len];
            buf.getBytes(off, copy);
            out.add(e.decode(copy));
        }, 16);
        assertEquals(3, out.size());
        for (int k = 0; k < 3; k++) {
            io.capybara.wire.DecodedFrame d = out.get(k);
            assertEquals(io.capybara.wire.DecodedFrame.Kind.UDP, d.kind, "" + d.dropReason);
            assertEquals(TcpMigHeader.UDP_PORT, d.udpSrcPort);
            assertEquals(TcpMigHeader.UDP_PORT, d.udpDstPort);
            assertEquals(TcpMigHeader.MIN_LENGTH, d.udpPayloadLength);
            assertEquals(k, d.ipId, "one id per datagram, in sequence");
            assertEquals(true, d.ipDontFragment);
            assertEquals(io.capybara.wire.Ipv4Header.DEFAULT_TTL, d.ipTtl);
            assertEquals(SELF, d.srcIp);
            assertEquals(ORIGIN, d.dstIp);
        }
    }
}
