package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.ACK;
import static io.capybara.wire.TcpSegment.FIN;
import static io.capybara.wire.TcpSegment.RST;
import static io.capybara.wire.TcpSegment.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Handshakes, close orders, TIME_WAIT, RST generation and RFC 5961 validation. */
class TcpStateTest {
    static final long MS = 1_000_000L;

    static TcpPair established(TcpConfig cfg, int issA, int issB) {
        TcpPair p = new TcpPair(7, cfg).open(issA, issB);
        assertTrue(p.runUntil(p::established, p.now + 100 * MS));
        p.runFor(100 * MS); // let delayed ACKs settle
        return p;
    }

    /** The one segment a connection emitted since the last look (fails if there are more or none). */
    static Captured takeOnly(List<Captured> out) {
        assertEquals(1, out.size(), "segments emitted: " + out);
        Captured only = out.get(0);
        out.clear();
        return only;
    }

    /** An established pair after A closed first, then B: A is in TIME_WAIT. */
    static TcpPair inTimeWait(TcpConfig cfg, int issA, int issB) {
        TcpPair p = established(cfg, issA, issB);
        p.a.conn.close(p.now);
        p.a.flush();
        p.runFor(10 * MS);
        p.b.conn.close(p.now);
        p.b.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.TIME_WAIT, p.now + 10 * MS));
        return p;
    }

    /** A segment from B's peer (A) to B, as A would address it. */
    static TcpSegment toB(int seq, int ack, int flags) {
        TcpSegment s = new TcpSegment().between(TcpPair.IP_A, TcpPair.PORT_A, TcpPair.IP_B, TcpPair.PORT_B);
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.window = 1000;
        return s;
    }

    static final class Events implements ConnectionObserver {
        final List<String> log = new ArrayList<>();

        @Override
        public void onEstablished(TcpConnection c) {
            log.add("established");
        }

        @Override
        public void onClosed(TcpConnection c, boolean reset) {
            log.add(reset ? "reset" : "closed");
        }
    }

    @Test
    void simultaneousOpen() {
        TcpPair p = new TcpPair(11, TcpConfig.defaults());
        p.b.listening = false;
        p.a.conn = TcpConnection.connect(p.a.config, TcpPair.IP_A, TcpPair.PORT_A, TcpPair.IP_B, TcpPair.PORT_B,
                100, p.now, p.a.sink);
        p.b.conn = TcpConnection.connect(p.b.config, TcpPair.IP_B, TcpPair.PORT_B, TcpPair.IP_A, TcpPair.PORT_A,
                900, p.now, p.b.sink);
        Events ea = new Events();
        p.a.conn.observer(ea);
        p.a.flush();
        p.b.flush();
        assertTrue(p.runUntil(p::established, p.now + 100 * MS));
        assertEquals(List.of("established"), ea.log);
        assertTrue(p.a.conn.windowScaling());
        assertTrue(p.b.conn.timestamps());
        byte[] ab = TcpBasicsTest.data(1, 50_000);
        p.a.toSend = ab;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 1000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
    }

    @Test
    void activeCloserGoesThroughTimeWaitForExactly2Msl() {
        TcpPair p = established(TcpConfig.defaults().withTimeWait(500 * MS), 1, 2);
        p.a.conn.close(p.now);
        p.a.flush();
        assertEquals(TcpState.FIN_WAIT_1, p.a.conn.state());
        assertTrue(p.runUntil(() -> p.b.conn.state() == TcpState.CLOSE_WAIT
                && p.a.conn.state() == TcpState.FIN_WAIT_2, p.now + 100 * MS));
        assertTrue(p.b.conn.isPeerClosed());
        p.b.conn.close(p.now);
        p.b.flush();
        assertEquals(TcpState.LAST_ACK, p.b.conn.state());
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.TIME_WAIT, p.now + 100 * MS));
        long enteredTimeWait = p.now;
        assertEquals(enteredTimeWait + 500 * MS, p.a.conn.nextDeadline());
        assertTrue(p.runUntil(() -> p.b.conn.state() == TcpState.CLOSED, p.now + 100 * MS));
        Events ea = new Events();
        p.a.conn.observer(ea);
        p.runFor(enteredTimeWait + 500 * MS - 1 - p.now);
        assertEquals(TcpState.TIME_WAIT, p.a.conn.state());
        p.runFor(1);
        assertEquals(TcpState.CLOSED, p.a.conn.state());
        assertEquals(List.of("closed"), ea.log);
        assertEquals(Long.MAX_VALUE, p.a.conn.nextDeadline());
    }

    @Test
    void passiveSideClosingFirstMirrorsTheStates() {
        TcpPair p = established(TcpConfig.defaults().withTimeWait(100 * MS), -5, -500);
        p.b.conn.close(p.now);
        p.b.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.CLOSE_WAIT, p.now + 100 * MS));
        p.a.conn.close(p.now);
        p.a.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.CLOSED && p.b.conn.state() == TcpState.TIME_WAIT,
                p.now + 100 * MS));
        assertTrue(p.runUntil(() -> p.b.conn.state() == TcpState.CLOSED, p.now + 200 * MS));
    }

    @Test
    void simultaneousCloseGoesThroughClosing() {
        TcpPair p = established(TcpConfig.defaults().withTimeWait(100 * MS), 77, 88);
        p.a.conn.close(p.now);
        p.b.conn.close(p.now);
        assertEquals(TcpState.FIN_WAIT_1, p.a.conn.state());
        assertEquals(TcpState.FIN_WAIT_1, p.b.conn.state());
        p.a.flush();
        p.b.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.CLOSING, p.now + 10 * MS));
        assertEquals(TcpState.CLOSING, p.b.conn.state());
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.TIME_WAIT && p.b.conn.state() == TcpState.TIME_WAIT,
                p.now + 10 * MS));
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.CLOSED && p.b.conn.state() == TcpState.CLOSED,
                p.now + 200 * MS));
    }

    @Test
    void timeWaitReacksRetransmittedFinAndRestartsTimer() {
        TcpPair p = established(TcpConfig.defaults().withTimeWait(1000 * MS), 1, 2);
        p.a.conn.close(p.now);
        p.a.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.FIN_WAIT_2, p.now + 100 * MS));
        // B's FIN is delivered but A's ACK of it is lost: B retransmits the FIN
        p.dropFilter = c -> c.srcPort == TcpPair.PORT_A;
        p.b.conn.close(p.now);
        p.b.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.TIME_WAIT, p.now + 100 * MS));
        long first = p.a.conn.nextDeadline();
        p.dropFilter = null;
        assertTrue(p.runUntil(() -> p.b.conn.state() == TcpState.CLOSED, p.now + 5000 * MS));
        assertTrue(p.a.conn.nextDeadline() > first, "2MSL restarted by the retransmitted FIN");
        assertEquals(0, p.b.conn.stats().resetsIn());
    }

    @Test
    void closeDuringHandshakeSendsQueuedDataThenFin() {
        TcpPair p = new TcpPair(5, TcpConfig.defaults()).open(10, 20);
        byte[] ab = TcpBasicsTest.data(5, 3000);
        p.a.toSend = ab;
        p.a.closeWhenSent = true;
        p.a.pump();
        assertEquals(TcpState.SYN_SENT, p.a.conn.state());
        assertTrue(p.runUntil(() -> p.b.conn != null && p.b.conn.isPeerClosed(), p.now + 100 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
    }

    @Test
    void rstExactlyAtRcvNxtResets() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        Events eb = new Events();
        p.b.conn.observer(eb);
        p.b.conn.onSegment(toB(p.b.conn.rcvNxt(), 0, RST), p.now);
        assertEquals(TcpState.CLOSED, p.b.conn.state());
        assertEquals(List.of("reset"), eb.log);
        assertEquals(1, p.b.conn.stats().resetsIn());
    }

    @Test
    void inWindowRstGetsChallengeAck() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        TcpConnection b = p.b.conn;
        b.onSegment(toB(b.rcvNxt() + 10, 0, RST), p.now);
        assertEquals(TcpState.ESTABLISHED, b.state());
        assertEquals(1, b.stats().challengeAcks());
        assertEquals(1, p.b.outbox.size());
        Captured ack = p.b.outbox.get(0);
        assertEquals(ACK, ack.flags);
        assertEquals(b.rcvNxt(), ack.ack);
        assertEquals(b.sndNxt(), ack.seq);
        p.b.outbox.clear();
        // outside the window: silently dropped
        b.onSegment(toB(b.rcvNxt() - 100_000, 0, RST), p.now);
        b.onSegment(toB(b.rcvNxt() + (1 << 30), 0, RST), p.now);
        assertEquals(TcpState.ESTABLISHED, b.state());
        assertEquals(0, p.b.outbox.size());
        assertEquals(1, b.stats().challengeAcks());
    }

    @Test
    void synInSynchronizedStateGetsChallengeAck() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        TcpConnection b = p.b.conn;
        TcpSegment syn = toB(12345, 0, SYN);
        b.onSegment(syn, p.now);
        assertEquals(TcpState.ESTABLISHED, b.state());
        assertEquals(1, b.stats().challengeAcks());
        assertEquals(1, p.b.outbox.size());
        assertEquals(b.rcvNxt(), p.b.outbox.get(0).ack);
    }

    @Test
    void ackOfUnsentDataIsDroppedAndAcked() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        TcpConnection b = p.b.conn;
        int una = b.sndUna();
        b.onSegment(toB(b.rcvNxt(), b.sndNxt() + 5000, ACK), p.now);
        assertEquals(una, b.sndUna());
        assertEquals(1, p.b.outbox.size(), "answered with an ACK");
        assertEquals(1, b.stats().dropped());
        p.b.outbox.clear();
        // far below SND.UNA - MAX.SND.WND: also dropped with an ACK (RFC 5961 5.2)
        b.onSegment(toB(b.rcvNxt(), b.sndUna() - (1 << 28), ACK), p.now);
        assertEquals(1, p.b.outbox.size());
        assertEquals(2, b.stats().dropped());
    }

    @Test
    void synSentAnswersBadAckWithRstAndIgnoresUnacceptableRst() {
        List<Captured> out = new ArrayList<>();
        TcpConnection a = TcpConnection.connect(TcpConfig.defaults(), TcpPair.IP_A, TcpPair.PORT_A, TcpPair.IP_B,
                TcpPair.PORT_B, -2, 0, (c, s) -> out.add(new Captured(s)));
        assertTrue(takeOnly(out).has(SYN));
        TcpSegment bad = toB(5000, 12345, SYN | ACK);
        bad.srcIp = TcpPair.IP_B;
        bad.dstIp = TcpPair.IP_A;
        a.onSegment(bad, 1);
        assertEquals(TcpState.SYN_SENT, a.state());
        Captured rst = takeOnly(out);
        assertEquals(RST, rst.flags);
        assertEquals(12345, rst.seq);
        // a RST without an acceptable ACK is ignored
        a.onSegment(toB(5000, 0, RST), 2);
        assertEquals(TcpState.SYN_SENT, a.state());
        // a RST acknowledging our SYN (wrapping past 2^32) refuses the connection
        a.onSegment(toB(5000, -1, RST | ACK), 3);
        assertEquals(TcpState.CLOSED, a.state());
    }

    @Test
    void synReceivedAnswersBadAckWithRst() {
        List<Captured> out = new ArrayList<>();
        TcpSegment syn = toB(700, 0, SYN);
        syn.mss = 1000;
        TcpConnection b = TcpConnection.accept(TcpConfig.defaults(), syn, 100, 0, (c, s) -> out.add(new Captured(s)));
        Captured synAck = takeOnly(out);
        assertEquals(SYN | ACK, synAck.flags);
        assertEquals(701, synAck.ack);
        assertEquals(1000, b.sendMss()); // no timestamps offered: the peer's MSS as is
        b.onSegment(toB(701, 555, ACK), 1);
        assertEquals(TcpState.SYN_RECEIVED, b.state());
        Captured rst = takeOnly(out);
        assertEquals(RST, rst.flags);
        assertEquals(555, rst.seq);
        // a retransmitted SYN gets the SYN-ACK again
        b.onSegment(toB(700, 0, SYN), 2);
        assertEquals(SYN | ACK, takeOnly(out).flags);
        b.onSegment(toB(701, 101, ACK), 3);
        assertEquals(TcpState.ESTABLISHED, b.state());
    }

    @Test
    void closedConnectionAnswersSegmentsWithRst() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        TcpConnection b = p.b.conn;
        b.abort(p.now);
        assertEquals(1, p.b.outbox.size());
        assertEquals(RST | ACK, p.b.outbox.get(0).flags);
        p.b.outbox.clear();
        b.onSegment(toB(1, 77, ACK), p.now);
        assertEquals(RST, p.b.outbox.get(0).flags);
        assertEquals(77, p.b.outbox.get(0).seq);
        p.b.outbox.clear();
        b.onSegment(toB(1, 0, FIN), p.now);
        assertEquals(RST | ACK, p.b.outbox.get(0).flags);
        assertEquals(2, p.b.outbox.get(0).ack);
        p.b.outbox.clear();
        b.onSegment(toB(1, 0, RST), p.now);
        assertTrue(p.b.outbox.isEmpty());
    }

    @Test
    void abortResetsThePeer() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        Events ea = new Events();
        Events eb = new Events();
        p.a.conn.observer(ea);
        p.b.conn.observer(eb);
        p.a.conn.abort(p.now);
        p.a.flush();
        assertTrue(p.runUntil(() -> p.b.conn.state() == TcpState.CLOSED, p.now + 10 * MS));
        assertEquals(List.of("reset"), ea.log);
        assertEquals(List.of("reset"), eb.log);
        assertFalse(p.b.conn.isPeerClosed());
    }

    @Test
    void timeWaitIgnoresRst() {
        TcpPair p = inTimeWait(TcpConfig.defaults(), 1000, 2000);
        TcpSegment rst = toB(p.a.conn.rcvNxt(), 0, RST);
        p.a.conn.onSegment(rst, p.now);
        assertEquals(TcpState.TIME_WAIT, p.a.conn.state());
    }

    /** Ten bytes of {@code fill} at B's RCV.NXT from A, with the timestamp {@code tsVal}. */
    private static TcpSegment stamped(TcpPair p, int fill, int tsVal) {
        TcpSegment s = TcpLossTest.data(p.b.conn.rcvNxt(), p.a.conn.sndUna(), 10, fill);
        s.hasTimestamps = true;
        s.tsVal = tsVal;
        return s;
    }

    @Test
    void pawsDropsSegmentsOlderThanTsRecentUntilItGoesStale() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        TcpConnection b = p.b.conn;
        assertTrue(b.timestamps());
        int recent = b.tsRecent();
        TcpSegment old = stamped(p, 7, recent - 1000);
        b.onSegment(old, p.now);
        assertEquals(0, b.readableBytes());
        assertEquals(1, b.stats().pawsRejected());
        assertEquals(1, p.b.outbox.size(), "answered with an ACK");
        p.b.outbox.clear();
        TcpSegment fresh = stamped(p, 8, recent + 5);
        b.onSegment(fresh, p.now);
        assertEquals(10, b.readableBytes());
        assertEquals(recent + 5, b.tsRecent());
        // after a long idle period TS.Recent is no longer trusted (the peer's clock may have wrapped)
        long later = p.now + TcpConnection.PAWS_IDLE_NANOS + 1;
        TcpSegment wrapped = stamped(p, 9, recent + 5 - (1 << 31) + 10);
        b.onSegment(wrapped, later);
        assertEquals(20, b.readableBytes());
        assertEquals(1, b.stats().pawsRejected());
    }

    @Test
    void pawsAllowsOneTickOfSlackForReorderedSegments() {
        TcpPair p = established(TcpConfig.defaults(), 1000, 2000);
        TcpConnection b = p.b.conn;
        int recent = b.tsRecent();
        // a segment from the previous tick of the peer's clock, reordered behind a newer one
        TcpSegment late = stamped(p, 7, recent - 1);
        b.onSegment(late, p.now);
        assertEquals(10, b.readableBytes());
        assertEquals(0, b.stats().pawsRejected());
        TcpSegment old = stamped(p, 8, recent - 2);
        b.onSegment(old, p.now);
        assertEquals(1, b.stats().pawsRejected(), "two ticks behind is old");
    }

    @Test
    void fillResetAnswersStraySegmentsPerRfc9293() {
        TcpSegment out = new TcpSegment();
        TcpSegment syn = toB(1000, 0, SYN);
        assertTrue(TcpConnection.fillReset(syn, out));
        assertEquals(RST | ACK, out.flags);
        assertEquals(0, out.seq);
        assertEquals(1001, out.ack);
        assertEquals(TcpPair.IP_B, out.srcIp);
        assertEquals(TcpPair.PORT_A, out.dstPort);
        TcpSegment data = toB(5, 77, ACK);
        assertTrue(TcpConnection.fillReset(data, out));
        assertEquals(RST, out.flags);
        assertEquals(77, out.seq);
        assertFalse(TcpConnection.fillReset(toB(5, 0, RST), out));
    }

    @Test
    void timeWaitAcceptsANewIncarnationOnlyWithNewerSynOrTimestamp() {
        TcpPair p = inTimeWait(TcpConfig.defaults(), 1000, 2000);
        TcpConnection a = p.a.conn;
        assertFalse(p.b.conn.acceptsNewIncarnation(toB(5, 0, SYN)), "not in TIME_WAIT");
        TcpSegment syn = toB(a.rcvNxt() + 100_000, 0, SYN);
        syn.hasTimestamps = true;
        syn.tsVal = a.tsRecent() + 10;
        assertTrue(a.acceptsNewIncarnation(syn));
        syn.tsVal = a.tsRecent() - 10;
        assertFalse(a.acceptsNewIncarnation(syn), "older timestamp: an old duplicate");
        // a SYN the host hands over anyway gets a challenge ACK and TIME_WAIT stays
        a.onSegment(toB(a.rcvNxt() - 5, 0, SYN), p.now);
        assertEquals(TcpState.TIME_WAIT, a.state());
    }

    @Test
    void withoutTimestampsANewIncarnationNeedsAHigherSequenceNumber() {
        TcpConfig noTs = new TcpConfig(1460, 65536, 65536, 7, true, false, false, 40 * MS, 1000 * MS, 200 * MS,
                60_000 * MS, 12, 60_000 * MS, 64);
        TcpPair p = inTimeWait(noTs, 1000, 2000);
        TcpConnection a = p.a.conn;
        assertFalse(a.timestamps());
        assertTrue(a.acceptsNewIncarnation(toB(a.rcvNxt() + 1, 0, SYN)));
        assertFalse(a.acceptsNewIncarnation(toB(a.rcvNxt() - 1, 0, SYN)));
        assertFalse(a.acceptsNewIncarnation(toB(a.rcvNxt() + 1, 0, SYN | ACK)));
    }
}
