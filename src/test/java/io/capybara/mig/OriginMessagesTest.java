package io.capybara.mig;

import static io.capybara.mig.LoneEngine.CLIENT;
import static io.capybara.mig.LoneEngine.CLIENT_PORT;
import static io.capybara.mig.LoneEngine.OTHER;
import static io.capybara.mig.LoneEngine.SELF;
import static io.capybara.mig.LoneEngine.SERVER_PORT;
import static io.capybara.mig.LoneEngine.SWITCH;
import static io.capybara.wire.TcpMigHeader.ABORT;
import static io.capybara.wire.TcpMigHeader.CONN_STATE;
import static io.capybara.wire.TcpMigHeader.CONN_STATE_ACK;
import static io.capybara.wire.TcpMigHeader.PREPARE_MIG;
import static io.capybara.wire.TcpMigHeader.PREPARE_MIG_ACK;
import static io.capybara.wire.TcpMigHeader.REJECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.ConnectionHandler;
import io.capybara.rack.RackSimulation;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.ConnStateEnvelope;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The origin side's rules, one message at a time on a {@link LoneEngine} that holds a real
 * connection (the test plays the client, the switch and the target): what each answer does in
 * each phase, what the origin sends, and when its timers fire.
 */
class OriginMessagesTest {
    /** 100 us PREPARE timeout, 2 resends; 200 us state timeout, 1 resend; 100 us ABORT timeout, 2 resends. */
    static final MigrationConfig CONFIG = LoneEngine.quiet().withTimeouts(100_000, 2, 200_000, 1, 100_000, 2, 1_000_000);
    /** A third server, which a stray copy of PREPARE_MIG reached (LoneEngine's "origin": here just a server it can reach). */
    static final int STRAY = LoneEngine.ORIGIN;

    /** A lone origin holding connections from the client, with the test's clock. */
    static final class Side {
        final LoneEngine lone;
        long now;
        /** The server's next sequence number on the last connection accepted. */
        int serverSeq;

        Side(MigrationConfig config) {
            lone = new LoneEngine(config, MigratableApp.stateless(new ConnectionHandler() { }));
            lone.host.listen(SERVER_PORT, lone.engine.app().handler());
        }

        /** At 10 us, clients at the first {@code n} ports from CLIENT_PORT on open connections. */
        TcpConnection[] open(int n) {
            at(10_000);
            TcpConnection[] c = new TcpConnection[n];
            for (int i = 0; i < n; i++) {
                c[i] = accept(CLIENT_PORT + i);
            }
            return c;
        }

        /** The client at {@code port} opens a connection to the lone server (three-way handshake). */
        TcpConnection accept(int port) {
            feed(client(port, TcpSegment.SYN, 1000, 0));
            List<DecodedFrame> synAck = lone.sentSegments();
            assertEquals(1, synAck.size());
            serverSeq = synAck.get(0).tcp.seq + 1;
            feed(client(port, TcpSegment.ACK, 1001, serverSeq));
            TcpConnection c = lone.host.connection(CLIENT, port, SERVER_PORT);
            assertNotNull(c, "established");
            return c;
        }

        void feed(byte[] frame) {
            lone.link.b().send(new UnsafeBuffer(frame), 0, frame.length);
            lone.host.poll(now);
        }

        /** Moves the clock to {@code t}; returns the engine's work count for that poll. */
        int at(long t) {
            now = t;
            lone.host.poll(now);
            return lone.engine.poll(now);
        }

        /** A message about the connection at {@code port}, origin us, from {@code target} (0: the switch). */
        void answer(int type, int reason, int id, int port, int target) {
            lone.receive(target == 0 ? SWITCH : target, type, id, h -> h.clientIp(CLIENT).clientPort(port)
                    .serverPort(SERVER_PORT).originIp(SELF).targetIp(target).value(SELF).reason(reason));
        }

        /** Starts a migration of {@code c}: PREPARE_MIG goes to the switch. */
        int started(TcpConnection c) {
            int id = lone.engine.migrate(c);
            assertTrue(id > 0);
            assertEquals(List.of(out(SWITCH, PREPARE_MIG, 0, id, c.remotePort(), 0, SELF)), lone.sent(),
                    "PREPARE_MIG through the switch, naming us as the original server");
            return id;
        }

        List<LoneEngine.Sent> sent() {
            return lone.sent();
        }

        long counter(MigCounter c) {
            return lone.counter(c);
        }
    }

    /** A segment from the client at {@code port} to the lone server. */
    static byte[] client(int port, int flags, int seq, int ack) {
        return client(port, flags, seq, ack, new byte[0]);
    }

    static byte[] client(int port, int flags, int seq, int ack, byte[] payload) {
        return LoneEngine.clientSegment(CLIENT, port, SELF, Ipv4Header.DEFAULT_TTL, flags, seq, ack, payload);
    }

    /** What the origin says about migration {@code id} of the connection at {@code port}. */
    static LoneEngine.Sent out(int to, int type, int reason, int id, int port, int target, long value) {
        return new LoneEngine.Sent(to, type, reason, id, CLIENT, port, SERVER_PORT, SELF, target, value);
    }

    @Test
    void anAckSendsTheStateToTheTargetAndACopyOfItIsOnlyCounted() {
        Side o = new Side(CONFIG);
        TcpConnection c = o.open(1)[0];
        o.feed(client(CLIENT_PORT, TcpSegment.ACK, 1001, o.serverSeq, new byte[100]));
        assertEquals(100, c.readableBytes(), "unread data: the connection has its receive buffer");
        int id = o.started(c);
        o.answer(PREPARE_MIG_ACK, 0, id, CLIENT_PORT, OTHER);
        List<LoneEngine.Sent> state = o.sent();
        assertFalse(state.isEmpty());
        state.forEach(s -> assertEquals(out(OTHER, CONN_STATE, 0, id, CLIENT_PORT, OTHER, s.value()), s));
        assertFalse(o.lone.host.holds(c), "the snapshot is the connection now");
        long reused = o.lone.host.bufferPool().reused();
        o.accept(CLIENT_PORT + 1);
        o.feed(client(CLIENT_PORT + 1, TcpSegment.ACK, 1001, o.serverSeq, new byte[100]));
        assertTrue(o.lone.host.bufferPool().reused() > reused, "the moved connection's buffers serve the next one");

        o.answer(PREPARE_MIG_ACK, 0, id, CLIENT_PORT, OTHER);
        assertEquals(List.of(), o.sent(), "a copy of the ACK changes nothing");
        assertEquals(1, o.counter(MigCounter.CONTROL_DUPLICATE));
        assertEquals(0, o.counter(MigCounter.STRAY_ACK));

        o.answer(REJECT, TcpMigHeader.REASON_ABORT_ACK, id, CLIENT_PORT, OTHER);
        o.answer(REJECT, TcpMigHeader.REASON_TARGET_BUSY, id, CLIENT_PORT, OTHER);
        assertEquals(3, o.counter(MigCounter.CONTROL_DUPLICATE), "no ABORT to confirm, no PREPARE to refuse");
        assertEquals(0, o.counter(MigCounter.ABORT_CONFIRMED) + o.counter(MigCounter.REJECTED_TARGET_BUSY));
        assertEquals(List.of(), o.sent());

        o.answer(CONN_STATE_ACK, 0, id, CLIENT_PORT, OTHER);
        assertEquals(1, o.counter(MigCounter.COMPLETED));
        assertEquals(0, o.lone.engine.outgoing());
    }

    @Test
    void aStateOfExactlyTheLimitGoesAndOneByteMoreAborts() {
        int snapshot = new Side(CONFIG).accept(CLIENT_PORT).snapshotSize();
        int need = ConnStateEnvelope.PREFIX_LENGTH + snapshot; // the stateless application adds nothing
        for (int limit : new int[] {need, need - 1}) {
            Side o = new Side(CONFIG.withPools(CONFIG.maxOutgoing(), CONFIG.tempBufferSlots(), CONFIG.tempBufferFrames(),
                    CONFIG.tempBufferBytes(), limit));
            o.at(10_000);
            TcpConnection c = o.accept(CLIENT_PORT);
            assertEquals(snapshot, c.snapshotSize());
            int id = o.started(c);
            o.answer(PREPARE_MIG_ACK, 0, id, CLIENT_PORT, OTHER);
            assertEquals(limit == need ? CONN_STATE : ABORT, o.sent().get(0).type(), "state limit " + limit);
            assertEquals(limit == need ? 0 : 1, o.counter(MigCounter.ABORTED_SNAPSHOT_TOO_LARGE));
        }
    }

    /** The state is resent once its timeout, which grows with the fragments it takes, has passed. */
    @Test
    void theStateTimeoutCoversEveryFragmentsTimeOnTheWay() {
        Side o = new Side(CONFIG);
        TcpConnection c = o.open(1)[0];
        int id = o.started(c);
        o.answer(PREPARE_MIG_ACK, 0, id, CLIENT_PORT, OTHER);
        int fragments = o.sent().size();
        long sentAt = o.now;
        assertEquals(0, o.at(sentAt + CONFIG.stateTimeoutNanos()), "not yet: each fragment adds its time");
        assertEquals(List.of(), o.sent());
        long resendAt = sentAt + CONFIG.stateTimeoutNanos() + fragments * 4_000L;
        assertEquals(0, o.at(resendAt - 1));
        assertEquals(0, o.counter(MigCounter.STATE_RETRANSMITTED));
        assertTrue(o.at(resendAt) > 0, "the resend is work done");
        assertEquals(1, o.counter(MigCounter.STATE_RETRANSMITTED));
        assertEquals(fragments, o.sent().size());
    }

    @Test
    void anUnansweredPrepareIsResentThenAbortedThroughTheSwitch() {
        Side o = new Side(CONFIG);
        TcpConnection c = o.open(1)[0];
        int id = o.started(c);
        long t = o.now;
        for (int k = 1; k <= CONFIG.prepareRetries(); k++) {
            assertEquals(0, o.at(t + k * CONFIG.prepareTimeoutNanos() - 1));
            assertTrue(o.at(t + k * CONFIG.prepareTimeoutNanos()) > 0);
            assertEquals(List.of(out(SWITCH, PREPARE_MIG, 0, id, CLIENT_PORT, 0, SELF)), o.sent(), "resend " + k);
        }
        o.at(t + (CONFIG.prepareRetries() + 1) * CONFIG.prepareTimeoutNanos());
        assertEquals(CONFIG.prepareRetries(), o.counter(MigCounter.PREPARE_RETRANSMITTED), "no more resends");
        assertEquals(1, o.counter(MigCounter.ABORTED_PREPARE_TIMEOUT));
        assertEquals(List.of(out(SWITCH, ABORT, TcpMigHeader.REASON_TIMEOUT, id, CLIENT_PORT, 0, SELF)), o.sent(),
                "an ACK may have passed the switch: make the directory agree");
        assertTrue(o.lone.host.holds(c), "the connection never left");
    }

    /** The switch's directory is full: a target that already acknowledged is told to free its slot. */
    @Test
    void aDirectoryFullRejectFreesTheTargetsSlotAndNothingElse() {
        Side o = new Side(CONFIG);
        TcpConnection[] ab = o.open(2);
        int ida = o.started(ab[0]);
        o.answer(REJECT, TcpMigHeader.REASON_DIRECTORY_FULL, ida, CLIENT_PORT, OTHER);
        assertEquals(List.of(out(OTHER, ABORT, TcpMigHeader.REASON_DIRECTORY_FULL, ida, CLIENT_PORT, OTHER, SELF)),
                o.sent());
        int idb = o.started(ab[1]);
        o.answer(REJECT, TcpMigHeader.REASON_DIRECTORY_FULL, idb, CLIENT_PORT + 1, 0);
        assertEquals(List.of(), o.sent(), "no target named: nobody to tell");
        assertEquals(2, o.counter(MigCounter.REJECTED_DIRECTORY_FULL));
        assertEquals(0, o.lone.engine.outgoing());
        assertTrue(o.lone.host.holds(ab[0]) && o.lone.host.holds(ab[1]));
    }

    /** A busy target: nothing reached the directory, but an ABORT from the holder makes sure. */
    @Test
    void aBusyTargetsRejectEndsTheMigrationWithAnAbortToTheSwitch() {
        Side o = new Side(CONFIG);
        TcpConnection c = o.open(1)[0];
        int id = o.started(c);
        o.answer(REJECT, TcpMigHeader.REASON_TARGET_BUSY, id, CLIENT_PORT, OTHER);
        assertEquals(List.of(out(SWITCH, ABORT, TcpMigHeader.REASON_NONE, id, CLIENT_PORT, 0, SELF)), o.sent());
        assertEquals(1, o.counter(MigCounter.REJECTED_TARGET_BUSY));
        o.answer(REJECT, TcpMigHeader.REASON_TARGET_BUSY, id, CLIENT_PORT, OTHER);
        assertEquals(1, o.counter(MigCounter.CONTROL_DUPLICATE), "ended: a copy is only counted");
        assertEquals(List.of(), o.sent());
    }

    /**
     * A snapshot over the limit aborts after the ACK, through the target: copies of that ACK and
     * ACKs from a stray target are each undone with an ABORT, a CONN_STATE_ACK means nothing, and
     * the target's ABORT-ACK ends it.
     */
    @Test
    void whileAbortingEveryAckThatRepointsTheSwitchIsUndone() {
        Side t = new Side(CONFIG.withPools(CONFIG.maxOutgoing(), CONFIG.tempBufferSlots(), CONFIG.tempBufferFrames(),
                CONFIG.tempBufferBytes(), 64));
        LoneEngine small = t.lone;
        TcpConnection c = t.open(1)[0];
        int id = t.started(c);
        t.answer(PREPARE_MIG_ACK, 0, id, CLIENT_PORT, OTHER);
        LoneEngine.Sent abort = out(OTHER, ABORT, TcpMigHeader.REASON_TARGET_BUSY, id, CLIENT_PORT, OTHER, SELF);
        assertEquals(List.of(abort), small.sent(), "too large to send: the target is told, the switch on the way");
        assertEquals(1, small.counter(MigCounter.ABORTED_SNAPSHOT_TOO_LARGE));
        assertTrue(small.host.holds(c));

        t.answer(PREPARE_MIG_ACK, 0, id, CLIENT_PORT, OTHER);
        assertEquals(List.of(abort), small.sent(), "a copy of the ACK re-pointed the switch: ABORT again");
        assertEquals(1, small.counter(MigCounter.CONTROL_DUPLICATE));

        t.answer(PREPARE_MIG_ACK, 0, id, CLIENT_PORT, STRAY);
        assertEquals(List.of(out(STRAY, ABORT, TcpMigHeader.REASON_TARGET_BUSY, id, CLIENT_PORT, STRAY, SELF)),
                small.sent(), "a stray target is freed, the connection stays");
        assertEquals(1, small.counter(MigCounter.STRAY_ACK));

        t.answer(CONN_STATE_ACK, 0, id, CLIENT_PORT, OTHER);
        assertEquals(2, small.counter(MigCounter.CONTROL_DUPLICATE), "no state went out: nothing to acknowledge");
        assertEquals(0, small.counter(MigCounter.COMPLETED) + small.counter(MigCounter.LATE_STATE_ACK));

        t.answer(REJECT, TcpMigHeader.REASON_ABORT_ACK, id, CLIENT_PORT, OTHER);
        assertEquals(1, small.counter(MigCounter.ABORT_CONFIRMED));
        assertEquals(0, small.engine.outgoing());
        t.answer(REJECT, TcpMigHeader.REASON_ABORT_ACK, id, CLIENT_PORT, OTHER);
        assertEquals(3, small.counter(MigCounter.CONTROL_DUPLICATE));
        assertEquals(List.of(), small.sent());
    }

    /**
     * After an abort a connection waits out the cool-down before it may move again (copies of
     * the ABORT may still be on the way), each aborted connection its own, to the very end.
     */
    @Test
    void eachAbortedConnectionWaitsOutItsOwnCooldown() {
        Side o = new Side(CONFIG);
        TcpConnection[] ab = o.open(2);
        int ida = o.started(ab[0]);
        o.started(ab[1]);
        o.answer(PREPARE_MIG_ACK, 0, ida, CLIENT_PORT, OTHER);
        // nothing more is answered: b's PREPARE times out and its ABORTs run out; a's state goes
        // unanswered, then a's target confirms the ABORT and a is taken back
        long t = o.now;
        while (o.counter(MigCounter.STATE_UNANSWERED) == 0) {
            o.at(t += 10_000);
        }
        assertEquals(1, o.counter(MigCounter.ABORTED_PREPARE_TIMEOUT));
        assertEquals(1, o.lone.engine.outgoing(), "b's abort is over");
        o.answer(REJECT, TcpMigHeader.REASON_ABORT_ACK, ida, CLIENT_PORT, OTHER);
        long freedA = o.now;
        assertEquals(1, o.counter(MigCounter.ABORTED_STATE_REFUSED));
        TcpConnection a2 = o.lone.host.connection(CLIENT, CLIENT_PORT, SERVER_PORT);
        assertTrue(o.lone.host.holds(a2), "taken back");
        o.sent();

        assertEquals(-1, o.lone.engine.migrate(ab[1]), "b's quiet time was not forgotten when a's began");
        assertEquals(-1, o.lone.engine.migrate(a2));
        assertEquals(2, o.counter(MigCounter.NOT_ELIGIBLE));
        o.at(freedA + CONFIG.cooldownNanos() - 1);
        assertEquals(-1, o.lone.engine.migrate(a2));
        o.at(freedA + CONFIG.cooldownNanos());
        assertTrue(o.lone.engine.migrate(a2) > 0, "the cool-down is over at its last nanosecond");
    }
}
