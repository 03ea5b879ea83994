package io.capybara.mig;

import static io.capybara.mig.LoneEngine.CLIENT;
import static io.capybara.mig.LoneEngine.CLIENT_PORT;
import static io.capybara.mig.LoneEngine.ORIGIN;
import static io.capybara.mig.LoneEngine.ORIGINAL;
import static io.capybara.mig.LoneEngine.OTHER;
import static io.capybara.mig.LoneEngine.SELF;
import static io.capybara.mig.LoneEngine.SERVER_PORT;
import static io.capybara.wire.TcpMigHeader.ABORT;
import static io.capybara.wire.TcpMigHeader.CONN_STATE;
import static io.capybara.wire.TcpMigHeader.CONN_STATE_ACK;
import static io.capybara.wire.TcpMigHeader.PREPARE_MIG;
import static io.capybara.wire.TcpMigHeader.PREPARE_MIG_ACK;
import static io.capybara.wire.TcpMigHeader.REJECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The target side's rules, one message at a time on a {@link LoneEngine}: what it prepares,
 * refuses, buffers, hands back and answers, and when its hold of a slot runs out.
 */
class TargetRulesTest {
    /** 100 us ABORT timeout, 1 ms hold; 2 slots of 2 frames; states of at most 4 KiB. */
    static final MigrationConfig CONFIG = LoneEngine.quiet().withTimeouts(200_000, 6, 200_000, 10, 100_000, 8, 1_000_000)
            .withPools(4, 2, 2, 64 * 1024, 4096);
    static final int BODY = MigrationConfig.fragmentBody();

    final LoneEngine t = new LoneEngine(CONFIG, null);

    static LoneEngine.Sent toOrigin(int type, int reason, int id, long value) {
        return new LoneEngine.Sent(ORIGIN, type, reason, id, CLIENT, CLIENT_PORT, SERVER_PORT, ORIGIN, SELF, value);
    }

    @Test
    void aPrepareIsAcknowledgedAndADuplicateIsAcknowledgedAgainButPreparedOnce() {
        t.prepare(5);
        assertEquals(1, t.engine.preparedSlots());
        assertTrue(t.engine.isPreparedFor(CLIENT, CLIENT_PORT, SERVER_PORT));
        assertFalse(t.engine.isPreparedFor(CLIENT, CLIENT_PORT + 1, SERVER_PORT));
        List<LoneEngine.Sent> ack = List.of(toOrigin(PREPARE_MIG_ACK, 0, 5, ORIGINAL));
        assertEquals(ack, t.sent(), "the ACK names the connection's original server");
        t.prepare(5);
        assertEquals(ack, t.sent());
        assertEquals(1, t.counter(MigCounter.PREPARED));
        assertEquals(1, t.counter(MigCounter.PREPARE_DUPLICATE));
        assertEquals(2, t.counter(MigCounter.CONTROL_RECEIVED));
        assertEquals(1, t.engine.preparedSlots());
        assertEquals(CONFIG.targetHoldNanos(), t.engine.nextDeadline(), "the hold is the only deadline");
    }

    @Test
    void aFullPoolAndADrainingServerAnswerTargetBusy() {
        for (int k = 0; k < 3; k++) {
            int port = CLIENT_PORT + k;
            t.receive(ORIGIN, PREPARE_MIG, 1 + k, h -> LoneEngine.about(h).clientPort(port));
        }
        List<LoneEngine.Sent> sent = t.sent();
        assertEquals(3, sent.size());
        assertEquals(new LoneEngine.Sent(ORIGIN, REJECT, TcpMigHeader.REASON_TARGET_BUSY, 3, CLIENT, CLIENT_PORT + 2,
                SERVER_PORT, ORIGIN, SELF, ORIGINAL), sent.get(2), "two slots: the third is refused");
        assertEquals(1, t.counter(MigCounter.REJECTED_BUSY_SENT));
        assertEquals(2, t.engine.preparedSlots());

        LoneEngine draining = new LoneEngine(CONFIG, null);
        draining.engine.draining(true);
        assertTrue(draining.engine.isDraining());
        draining.prepare(1);
        assertEquals(List.of(toOrigin(REJECT, TcpMigHeader.REASON_TARGET_BUSY, 1, ORIGINAL)), draining.sent());
        assertEquals(0, draining.engine.preparedSlots());
        draining.engine.draining(false);
        draining.prepare(2);
        assertEquals(1, draining.engine.preparedSlots(), "takes connections in again");
    }

    @Test
    void aPrepareForAConnectionThisServerHoldsIsRefused() {
        TcpConnection here = t.host.connect(CLIENT, CLIENT_PORT, null);
        t.sent(); // (its SYN)
        t.receive(ORIGIN, PREPARE_MIG, 1, h -> LoneEngine.about(h).serverPort(here.localPort()));
        assertEquals(List.of(new LoneEngine.Sent(ORIGIN, REJECT, TcpMigHeader.REASON_TARGET_BUSY, 1, CLIENT,
                CLIENT_PORT, here.localPort(), ORIGIN, SELF, ORIGINAL)), t.sent());
        assertEquals(1, t.counter(MigCounter.CONNECTION_ALREADY_HERE));
        assertEquals(0, t.engine.preparedSlots());
    }

    @Test
    void aNewerPrepareForTheSameConnectionReplacesTheStaleSlot() {
        t.prepare(1);
        t.prepare(2);
        assertEquals(2, t.counter(MigCounter.PREPARED));
        assertEquals(1, t.engine.preparedSlots(), "one slot per connection");
        t.sent();
        t.prepare(1); // the replaced migration is over: remembered as aborted
        assertEquals(List.of(), t.sent());
        assertEquals(1, t.counter(MigCounter.PREPARE_DUPLICATE));
    }

    /**
     * When the hold runs out the slot asks its origin (REJECT hold expired) three times, after
     * the ABORT timeout, then twice and four times that, then frees itself; it ACKs no more.
     */
    @Test
    void anExpiredHoldAsksTheOriginThreeTimesThenFreesTheSlot() {
        t.prepare(1);
        t.sent();
        LoneEngine.Sent notice = toOrigin(REJECT, TcpMigHeader.REASON_HOLD_EXPIRED, 1, ORIGINAL);
        long hold = CONFIG.targetHoldNanos();
        long abort = CONFIG.abortTimeoutNanos();
        t.engine.poll(hold - 1);
        assertEquals(List.of(), t.sent());
        long[] at = {hold, hold + abort, hold + 3 * abort};
        for (long when : at) {
            assertEquals(0, t.engine.poll(when - 1));
            assertEquals(List.of(), t.sent(), "nothing before " + when);
            assertEquals(1, t.engine.poll(when), "one slot's work");
            assertEquals(List.of(notice), t.sent(), "a notice at " + when);
            assertEquals(1, t.engine.preparedSlots());
        }
        t.prepare(1);
        assertEquals(List.of(), t.sent(), "a slot whose hold ran out sends no ACK");
        assertEquals(hold + 7 * abort, t.engine.nextDeadline());
        assertEquals(1, t.engine.poll(hold + 7 * abort));
        assertEquals(List.of(), t.sent());
        assertEquals(0, t.engine.preparedSlots());
        assertEquals(1, t.counter(MigCounter.HOLD_EXPIRED), "counted once per slot");
        t.prepare(1);
        assertEquals(List.of(), t.sent(), "remembered as aborted");
        assertEquals(Long.MAX_VALUE, t.engine.nextDeadline());
    }

    /** One fragment of a state of {@code total} bytes in {@code count} fragments for migration 1. */
    static byte[] fragment(int index, int count, long total, byte[] body) {
        return LoneEngine.message(ORIGIN, CONN_STATE, 1, body, h -> LoneEngine.about(h).fragment(index, count)
                .value(total));
    }

    static byte[] body(byte[] state, int index) {
        int from = index * BODY;
        return java.util.Arrays.copyOfRange(state, from, Math.min(state.length, from + BODY));
    }

    @Test
    void aStateThatComesWhenTheHoldHasRunOutIsRefused() {
        t.prepare(1);
        t.host.poll(CONFIG.targetHoldNanos() - 1);
        t.receive(fragment(0, 2, 2000, new byte[BODY]));
        assertEquals(1, t.counter(MigCounter.STATE_FRAGMENTS_RECEIVED), "just before the end of the hold: taken");
        t.host.poll(CONFIG.targetHoldNanos());
        t.receive(fragment(1, 2, 2000, new byte[2000 - BODY]));
        assertEquals(1, t.counter(MigCounter.HOLD_EXPIRED), "at the end of the hold: refused");
        assertEquals(0, t.engine.preparedSlots());
        t.receive(fragment(1, 2, 2000, new byte[2000 - BODY]));
        assertEquals(1, t.counter(MigCounter.STATE_FOR_UNKNOWN_MIGRATION), "the slot is gone");
        assertEquals(1, t.counter(MigCounter.STATE_FRAGMENTS_RECEIVED));
    }

    @Test
    void fragmentsOfImpossibleSizesAreRefused() {
        t.receive(fragment(0, 1, 100, new byte[100]));
        assertEquals(1, t.counter(MigCounter.STATE_FOR_UNKNOWN_MIGRATION), "not prepared");
        t.prepare(1);
        t.receive(fragment(0, 3, 4097, new byte[BODY])); // beyond maxStateBytes
        t.receive(fragment(0, 1, ConnStateEnvelope.PREFIX_LENGTH - 1, new byte[ConnStateEnvelope.PREFIX_LENGTH - 1]));
        t.receive(fragment(0, 2, 2 * BODY + 1, new byte[BODY])); // two fragments cannot carry it
        t.receive(fragment(0, 2, BODY, new byte[BODY])); // one fragment would do: the second would be empty
        assertEquals(4, t.counter(MigCounter.STATE_TOO_LARGE));
        assertEquals(0, t.counter(MigCounter.STATE_FRAGMENTS_RECEIVED));
        t.receive(fragment(0, 2, BODY + 1, new byte[BODY - 1]));
        assertEquals(1, t.counter(MigCounter.STATE_INVALID), "a first fragment must be full");
        t.receive(fragment(0, 2, BODY + 1, new byte[BODY]));
        t.receive(fragment(1, 3, 2 * BODY + 1, new byte[BODY])); // another count and total than the first
        t.receive(fragment(1, 2, BODY + 1, new byte[2]));
        assertEquals(3, t.counter(MigCounter.STATE_INVALID), "the last fragment carries the rest, exactly");
        t.receive(fragment(0, 2, BODY + 1, new byte[BODY]));
        assertEquals(1, t.counter(MigCounter.STATE_FRAGMENT_DUPLICATE));
        assertEquals(1, t.counter(MigCounter.STATE_FRAGMENTS_RECEIVED));
        assertEquals(1, t.engine.preparedSlots());
    }

    /** A state of {@code total} bytes whose envelope says {@code tcp} bytes of TCP snapshot, CRC right unless damaged. */
    static byte[] state(int total, int tcp, boolean damaged) {
        byte[] s = new byte[total];
        for (int i = ConnStateEnvelope.PREFIX_LENGTH; i < total; i++) {
            s[i] = (byte) (i * 31 + 7);
        }
        new ConnStateEnvelope().wrap(new UnsafeBuffer(s), 0).seal(tcp, total - ConnStateEnvelope.PREFIX_LENGTH - tcp);
        if (damaged) {
            s[total - 1] ^= 1;
        }
        return s;
    }

    @Test
    void aStateDamagedOnTheWayIsReceivedAgainFromScratch() {
        t.prepare(1);
        byte[] s = state(2000, 1500, true);
        t.receive(fragment(0, 2, 2000, body(s, 0)));
        t.receive(fragment(1, 2, 2000, body(s, 1)));
        assertEquals(1, t.counter(MigCounter.STATE_CORRUPT));
        assertEquals(1, t.engine.preparedSlots(), "the slot waits for the resend");
        t.receive(fragment(1, 2, 2000, body(s, 1)));
        assertEquals(0, t.counter(MigCounter.STATE_FRAGMENT_DUPLICATE), "its fragments were forgotten");
        assertEquals(3, t.counter(MigCounter.STATE_FRAGMENTS_RECEIVED));
        assertEquals(List.of(toOrigin(PREPARE_MIG_ACK, 0, 1, ORIGINAL)), t.sent(), "nothing but the ACK");
    }

    @Test
    void aWholeStateThatDoesNotRestoreAbortsTheMigration() {
        t.prepare(1);
        t.sent();
        byte[] s = state(2000, 3000, false); // lengths that do not add up
        t.receive(fragment(0, 2, 2000, body(s, 0)));
        t.receive(fragment(1, 2, 2000, body(s, 1)));
        assertEquals(1, t.counter(MigCounter.STATE_INVALID));
        assertEquals(0, t.engine.preparedSlots());
        byte[] garbage = state(2000, 1500, false); // lengths fine, no TCP snapshot
        t.prepare(2);
        t.receive(LoneEngine.message(ORIGIN, CONN_STATE, 2, body(garbage, 0), h -> LoneEngine.about(h).fragment(0, 2)
                .value(2000)));
        t.receive(LoneEngine.message(ORIGIN, CONN_STATE, 2, body(garbage, 1), h -> LoneEngine.about(h).fragment(1, 2)
                .value(2000)));
        assertEquals(2, t.counter(MigCounter.STATE_INVALID));
        assertEquals(0, t.counter(MigCounter.RESTORED));
        assertEquals(List.of(toOrigin(PREPARE_MIG_ACK, 0, 2, ORIGINAL)), t.sent(), "no CONN_STATE_ACK");
        t.prepare(1);
        t.prepare(2);
        assertEquals(List.of(), t.sent(), "both remembered as aborted");
    }

    /**
     * An ABORT from the origin ends the slot: the client segments it buffered go to the origin
     * (one hop older), the ABORT is confirmed, and later segments follow them there.
     */
    @Test
    void anAbortHandsTheBufferedSegmentsToTheOriginAndForwardsLaterOnes() {
        t.prepare(1);
        assertTrue(t.unmatched(LoneEngine.segment(1000)));
        assertTrue(t.unmatched(LoneEngine.segment(1100)));
        assertTrue(t.unmatched(LoneEngine.segment(1200)), "consumed, though dropped");
        assertEquals(2, t.counter(MigCounter.SEGMENTS_BUFFERED));
        assertEquals(1, t.counter(MigCounter.BUFFER_FULL_DROPS), "2 frames per slot");
        t.sent();
        t.abort(ORIGIN, 1, TcpMigHeader.REASON_TIMEOUT);
        assertEquals(List.of(toOrigin(REJECT, TcpMigHeader.REASON_ABORT_ACK, 1, ORIGINAL)), t.sent());
        List<DecodedFrame> back = t.sentSegments();
        assertEquals(2, back.size());
        assertEquals(1000, back.get(0).tcp.seq);
        assertEquals(1100, back.get(1).tcp.seq);
        for (DecodedFrame d : back) {
            assertEquals(ORIGIN, d.dstIp);
            assertEquals(Ipv4Header.DEFAULT_TTL - 1, d.ipTtl);
        }
        assertEquals(2, t.counter(MigCounter.SEGMENTS_HANDED_BACK));
        assertEquals(1, t.counter(MigCounter.ABORT_RECEIVED));
        assertEquals(0, t.engine.preparedSlots());
        assertEquals(1, t.engine.forwardingEntries());
        assertTrue(t.unmatched(LoneEngine.segment(1300)));
        assertEquals(1, t.counter(MigCounter.SEGMENTS_FORWARDED));
        assertEquals(ORIGIN, t.sentSegments().get(0).dstIp);
        assertTrue(t.unmatched(LoneEngine.segment(1400, Ipv4Header.DEFAULT_TTL - 8, TcpSegment.ACK)));
        assertEquals(1, t.counter(MigCounter.FORWARD_TTL_EXPIRED), "passed on 8 times already: dropped");
        assertEquals(List.of(), t.sentSegments());
        t.prepare(1);
        assertEquals(List.of(), t.sent(), "an aborted migration is not prepared again");
    }

    @Test
    void anAbortFromAnotherHolderHandsTheSegmentsToItAndForwardsNothing() {
        t.prepare(1);
        t.unmatched(LoneEngine.segment(1000));
        t.sent();
        t.abort(OTHER, 1, TcpMigHeader.REASON_TIMEOUT); // the first target re-asserting itself
        assertEquals(List.of(new LoneEngine.Sent(OTHER, REJECT, TcpMigHeader.REASON_ABORT_ACK, 1, CLIENT, CLIENT_PORT,
                SERVER_PORT, ORIGIN, SELF, ORIGINAL)), t.sent());
        assertEquals(OTHER, t.sentSegments().get(0).dstIp);
        assertEquals(0, t.engine.forwardingEntries(), "the switch points at the holder: nothing to forward");
        assertFalse(t.unmatched(LoneEngine.segment(1100)), "left to the host (a reset)");
    }

    @Test
    void anAbortForAConnectionThatIsGoneLeavesNothingToForward() {
        t.prepare(1);
        t.abort(ORIGIN, 1, TcpMigHeader.REASON_CONNECTION_GONE);
        assertEquals(0, t.engine.forwardingEntries());
        assertEquals(0, t.engine.preparedSlots());
    }

    @Test
    void anAbortOfAnUnknownMigrationIsConfirmedAndRemembered() {
        t.abort(ORIGIN, 9, TcpMigHeader.REASON_TIMEOUT);
        LoneEngine.Sent ack = toOrigin(REJECT, TcpMigHeader.REASON_ABORT_ACK, 9, ORIGINAL);
        assertEquals(List.of(ack), t.sent());
        assertEquals(1, t.engine.forwardingEntries(), "the origin keeps it: late segments go there");
        t.prepare(9);
        assertEquals(List.of(), t.sent(), "a PREPARE_MIG that comes after its ABORT is not taken");
        assertEquals(0, t.engine.preparedSlots());
        t.abort(ORIGIN, 9, TcpMigHeader.REASON_TIMEOUT);
        assertEquals(List.of(ack), t.sent(), "answered again");
    }

    /**
     * The target side forgot a migration (it restarted) but holds the connection: the origin's
     * ABORT is answered as after a restore (the switch re-pointed here, CONN_STATE_ACK), twice alike.
     */
    @Test
    void anAbortForAConnectionHeldHereIsAnsweredAsRestored() {
        TcpConnection here = t.host.connect(CLIENT, CLIENT_PORT, null);
        t.sent();
        int port = here.localPort();
        for (int k = 1; k <= 2; k++) {
            t.receive(ORIGIN, ABORT, 4, h -> LoneEngine.about(h).serverPort(port).reason(TcpMigHeader.REASON_TIMEOUT));
            assertEquals(List.of(
                    new LoneEngine.Sent(ORIGIN, ABORT, TcpMigHeader.REASON_TIMEOUT, 4, CLIENT, CLIENT_PORT, port, ORIGIN,
                            SELF, SELF),
                    new LoneEngine.Sent(ORIGIN, CONN_STATE_ACK, 0, 4, CLIENT, CLIENT_PORT, port, ORIGIN, SELF, 0)),
                    t.sent(), "round " + k);
            assertEquals(k, t.counter(MigCounter.ABORT_AFTER_RESTORE));
        }
        t.receive(OTHER, ABORT, 5, h -> LoneEngine.about(h).serverPort(port).reason(TcpMigHeader.REASON_TIMEOUT));
        assertEquals(REJECT, t.sent().get(0).type(), "from another server than the origin: only confirmed");
        t.receive(ORIGIN, ABORT, 6, h -> LoneEngine.about(h).serverPort(port).targetIp(OTHER));
        assertEquals(REJECT, t.sent().get(0).type(), "naming another target: only confirmed");
        assertEquals(2, t.counter(MigCounter.ABORT_AFTER_RESTORE));
        assertEquals(0, t.engine.forwardingEntries(), "the connection is here: nothing to forward");
    }

    @Test
    void afterARestartPreparedSlotsAreLostAndStraySegmentsDroppedForAHold() {
        t.prepare(1);
        t.unmatched(LoneEngine.segment(1000));
        t.host.poll(10);
        t.engine.restartTargetSide();
        assertEquals(1, t.counter(MigCounter.TARGET_RESTARTS));
        assertEquals(0, t.engine.preparedSlots());
        t.sent();
        t.prepare(1);
        assertEquals(List.of(), t.sent(), "remembered as aborted");
        assertTrue(t.unmatched(LoneEngine.segment(1100)), "dropped quietly, not reset");
        assertFalse(t.unmatched(LoneEngine.segment(1, Ipv4Header.DEFAULT_TTL, TcpSegment.SYN)), "a new connection");
        t.host.poll(10 + CONFIG.targetHoldNanos() - 1);
        assertTrue(t.unmatched(LoneEngine.segment(1200)));
        assertEquals(2, t.counter(MigCounter.QUIET_TIME_DROPS));
        t.host.poll(10 + CONFIG.targetHoldNanos());
        assertFalse(t.unmatched(LoneEngine.segment(1300)), "the quiet time is over");
        assertEquals(0, t.counter(MigCounter.SEGMENTS_HANDED_BACK));
    }

    @Test
    void aReassertIsPassedOnAsAnAbortOnlyForAConnectionHeldOrPreparedHere() {
        t.receive(ORIGIN, REJECT, 3, h -> LoneEngine.about(h).reason(TcpMigHeader.REASON_REASSERT).targetIp(OTHER));
        assertEquals(1, t.counter(MigCounter.CONTROL_UNEXPECTED));
        assertEquals(List.of(), t.sent());
        t.prepare(1);
        t.sent();
        t.receive(ORIGIN, REJECT, 3, h -> LoneEngine.about(h).reason(TcpMigHeader.REASON_REASSERT).targetIp(OTHER));
        assertEquals(List.of(new LoneEngine.Sent(OTHER, ABORT, TcpMigHeader.REASON_TIMEOUT, 3, CLIENT, CLIENT_PORT,
                SERVER_PORT, ORIGIN, OTHER, ORIGINAL)), t.sent(), "the stray target frees its slot, the switch points here");
        assertEquals(1, t.counter(MigCounter.CONTROL_UNEXPECTED));
    }
}
