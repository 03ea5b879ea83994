package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * What a host learns from a connection without scanning it: the queued-bytes report (once per
 * call that changed it), the SYN-ACK a listener resends on its own schedule, and the counters
 * of segments it dropped.
 */
class TcpHostHooksTest {
    static final long MS = 1_000_000L;

    /** Counts onQueuedChanged calls and remembers queuedBytes() at each. */
    static final class QueuedLog implements ConnectionObserver {
        final List<Integer> seen = new ArrayList<>();

        @Override
        public void onQueuedChanged(TcpConnection c) {
            seen.add(c.queuedBytes());
        }
    }

    @Test
    void queuedBytesAreReportedOncePerCallThatChangedThem() {
        TcpPair p = TcpStateTest.established(TcpConfig.defaults(), 1000, 2000);
        QueuedLog a = new QueuedLog();
        QueuedLog b = new QueuedLog();
        p.a.conn.observer(a);
        p.b.conn.observer(b);
        p.b.reading = false;
        assertEquals(0, p.a.conn.queuedBytes());
        p.a.conn.send(new UnsafeBuffer(new byte[1000]), 0, 1000, p.now);
        assertEquals(List.of(1000), a.seen, "unacknowledged bytes count as queued");
        p.a.conn.onTimer(p.now); // nothing due, nothing changed: no report
        assertEquals(List.of(1000), a.seen);
        p.a.flush();
        p.runFor(100 * MS);
        assertEquals(List.of(1000, 0), a.seen, "the ACK emptied A's queue");
        assertEquals(List.of(1000), b.seen, "B holds the bytes until it reads them");
        UnsafeBuffer dst = new UnsafeBuffer(new byte[600]);
        assertEquals(600, p.b.conn.receive(dst, 0, 600, p.now));
        assertEquals(List.of(1000, 400), b.seen);
        assertEquals(400, p.b.conn.receive(dst, 0, 600, p.now));
        assertEquals(List.of(1000, 400, 0), b.seen);
        assertEquals(0, p.b.conn.receive(dst, 0, 600, p.now));
        assertEquals(3, b.seen.size(), "an empty read reports nothing");
    }

    @Test
    void aListenerResendsTheSynAckOnItsOwnScheduleOnlyInSynReceived() {
        TcpPair p = new TcpPair(71, TcpConfig.defaults());
        p.dropFilter = c -> c.srcPort == TcpPair.PORT_B; // B's SYN-ACKs are lost
        p.open(500, 9000);
        assertTrue(p.runUntil(() -> p.b.conn != null, p.now + 10 * MS));
        TcpConnection b = p.b.conn;
        assertEquals(TcpState.SYN_RECEIVED, b.state());
        long firstRto = b.retransmitDeadline();
        p.now += 300 * MS; // the host's schedule, shorter than the 1 s initial RTO
        assertTrue(b.retransmitSynAck(p.now));
        assertEquals(1, p.b.outbox.size());
        Captured synAck = p.b.outbox.getFirst();
        assertEquals(TcpSegment.SYN | TcpSegment.ACK, synAck.flags);
        assertEquals(9000, synAck.seq);
        assertEquals(501, synAck.ack);
        assertEquals(1, b.stats().retransmits());
        assertTrue(b.retransmitDeadline() > firstRto, "the timer restarts from the resend");
        assertEquals(p.now + b.retransmissionTimeoutNanos(), b.retransmitDeadline());
        p.dropFilter = null;
        p.b.flush();
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        assertFalse(b.retransmitSynAck(p.now), "established: nothing to resend");
        assertTrue(p.b.outbox.isEmpty());
        assertEquals(1, b.stats().retransmits());
    }

    @Test
    void unacceptableSegmentsAreCountedAsDropped() {
        List<Captured> out = new ArrayList<>();
        TcpConnection a = TcpConnection.connect(TcpConfig.defaults(), TcpPair.IP_A, TcpPair.PORT_A, TcpPair.IP_B,
                TcpPair.PORT_B, -2, 0, (c, s) -> out.add(new Captured(s)));
        TcpSegment bad = TcpStateTest.toB(5000, 12345, TcpSegment.SYN | TcpSegment.ACK);
        bad.srcIp = TcpPair.IP_B;
        bad.dstIp = TcpPair.IP_A;
        a.onSegment(bad, 1);
        assertEquals(1, a.stats().dropped(), "a SYN-ACK for a SYN we never sent");

        TcpPair p = TcpStateTest.established(TcpConfig.defaults(), 1000, 2000);
        TcpConnection b = p.b.conn;
        long dropped = b.stats().dropped();
        // far beyond the receive window
        b.onSegment(TcpLossTest.data(b.rcvNxt() + (1 << 30), p.a.conn.sndUna(), 10, 1), p.now);
        assertEquals(dropped + 1, b.stats().dropped());
        assertEquals(0, b.readableBytes());
    }
}
