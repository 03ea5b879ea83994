package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Sender details that a transfer survives without but a peer or a migration notices: where the
 * FIN and PSH go, the largest window the peer ever offered, a zero window probed for hours,
 * PAWS on a host whose clock reads hours. Scenarios with explicit time on the seeded wire.
 */
class TcpSenderDetailsTest {
    static final long MS = 1_000_000L;
    static final long S = 1_000 * MS;

    private static List<Captured> dataFrom(TcpPair p, int port) {
        return p.log.stream().filter(c -> c.srcPort == port && (c.len() > 0 || c.has(TcpSegment.FIN))).toList();
    }

    @Test
    void theFinRidesOnTheLastDataSegmentWhenDataIsStillQueued() {
        TcpPair p = TcpStateTest.established(TcpConfig.defaults(), 1000, 2000);
        p.logging = true;
        byte[] d = TcpBasicsTest.data(61, 40_000); // more than the initial window: the tail waits for ACKs
        assertEquals(d.length, p.a.conn.send(new UnsafeBuffer(d), 0, d.length, p.now));
        p.a.conn.close(p.now);
        p.a.flush();
        assertTrue(p.runUntil(() -> p.b.received.size() == d.length && p.b.conn.isPeerClosed(), p.now + 10 * S));
        List<Captured> out = dataFrom(p, TcpPair.PORT_A);
        List<Captured> fins = out.stream().filter(c -> c.has(TcpSegment.FIN)).toList();
        assertEquals(1, fins.size(), "one FIN: " + fins);
        Captured last = out.getLast();
        assertTrue(last.has(TcpSegment.FIN) && last.len() > 0, "the FIN went with the last bytes: " + last);
        assertEquals(0, p.a.conn.stats().retransmits());
    }

    @Test
    void pshMarksOnlyTheSegmentThatEmptiesTheSendBuffer() {
        TcpPair p = TcpStateTest.established(TcpConfig.defaults(), 1000, 2000);
        int mss = p.a.conn.sendMss();
        p.a.conn.send(new UnsafeBuffer(new byte[3 * mss - 100]), 0, 3 * mss - 100, p.now);
        List<Captured> burst = List.copyOf(p.a.outbox);
        assertEquals(3, burst.size(), "three segments within the initial window: " + burst);
        for (int i = 0; i < 2; i++) {
            assertEquals(mss, burst.get(i).len());
            assertEquals(TcpSegment.ACK, burst.get(i).flags, "segment " + i);
        }
        assertEquals(mss - 100, burst.get(2).len());
        assertEquals(TcpSegment.ACK | TcpSegment.PSH, burst.get(2).flags);
        p.a.flush();
        p.runFor(100 * MS);
        // a pure ACK or a window update carries no PSH either
        p.b.conn.send(new UnsafeBuffer(new byte[10]), 0, 10, p.now);
        assertEquals(TcpSegment.ACK | TcpSegment.PSH, p.b.outbox.getFirst().flags);
    }

    @Test
    void theLargestWindowThePeerOfferedIsRememberedWhenItsWindowShrinks() {
        TcpConfig cfg = TcpConfig.defaults().withBuffers(256 * 1024, 64 * 1024);
        TcpPair p = new TcpPair(62, cfg).open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + S));
        p.b.reading = false;
        p.a.toSend = TcpBasicsTest.data(62, 200_000);
        assertTrue(p.runUntil(() -> p.b.conn.readableBytes() > 0 && p.a.conn.sendWindow() == 0, p.now + 10 * S));
        int offered = p.a.conn.snd.maxWnd;
        assertTrue(offered >= 65535, "B offered (nearly) its whole 64 KiB buffer: " + offered);
        assertEquals(0, p.a.conn.sendWindow());
        p.b.reading = true;
        assertTrue(p.runUntil(() -> p.b.received.size() == 200_000, p.now + 100 * S));
        assertEquals(64 * 1024, p.a.conn.snd.maxWnd, "the largest window B offered: its whole buffer");
    }

    @Test
    void aZeroWindowProbedForHoursBacksOffToTheCapAndTheConnectionStillMovesAndResumes() throws SnapshotException {
        TcpConfig cfg = TcpConfig.defaults().withBuffers(64 * 1024, 4096);
        TcpPair p = new TcpPair(63, cfg).open(1, 2);
        p.b.reading = false;
        byte[] d = TcpBasicsTest.data(63, 10_000);
        p.a.toSend = d;
        assertTrue(p.runUntil(() -> p.a.conn.sendWindow() == 0 && p.a.conn.persistDeadline() != Long.MAX_VALUE,
                p.now + S));
        // 200 ms doubling to the 60 s cap: about 70 probes in an hour and a quarter
        p.runFor(75 * 60 * S);
        long probes = p.a.conn.stats().windowProbes();
        assertTrue(probes >= 65, "probes " + probes);
        long gap = p.a.conn.persistDeadline() - p.now;
        assertTrue(gap > 0 && gap <= cfg.maxRtoNanos(), "next probe in " + gap);
        // the probing connection can be snapshotted and restored (its backoff stays in range)
        byte[] snap = TcpPair.snapshotBytes(p.a.conn, p.now);
        TcpConnection restored = TcpConnection.restore(new UnsafeBuffer(snap), 0, snap.length, p.now, (c, s) -> { });
        assertEquals(p.a.conn.persistDeadline(), restored.persistDeadline());
        p.b.reading = true;
        assertTrue(p.runUntil(() -> p.b.received.size() == d.length, p.now + 2 * cfg.maxRtoNanos()));
        assertEquals(TcpState.ESTABLISHED, p.a.conn.state());
    }

    @Test
    void pawsRejectsAnOldSegmentWhateverTheHostClockReads() {
        TcpPair p = new TcpPair(64, TcpConfig.defaults());
        p.now = 10 * 3_600 * S; // ten hours since the host's clock started
        p.open(1000, 2000);
        assertTrue(p.runUntil(p::established, p.now + S));
        p.runFor(100 * MS);
        TcpConnection b = p.b.conn;
        TcpSegment old = TcpLossTest.data(b.rcvNxt(), p.a.conn.sndUna(), 10, 8);
        old.hasTimestamps = true;
        old.tsVal = b.tsRecent() - 1000;
        b.onSegment(old, p.now);
        assertEquals(1, b.stats().pawsRejected(), "a segment 1 ms older than TS.Recent, a moment later");
        assertEquals(0, b.readableBytes());
        p.now += 31 * 60 * S; // TS.Recent goes stale after 30 idle minutes
        b.onSegment(old, p.now);
        assertEquals(1, b.stats().pawsRejected());
        assertEquals(10, b.readableBytes());
    }

    @Test
    void withoutSackTwoLossesInOneWindowAreRepairedByNewRenoPartialAck() {
        TcpPair p = TcpLossTest.deliveredPastTwoLossesInOneWindow(TcpConfig.defaults().withSack(false));
        assertEquals(false, p.a.conn.sackPermitted());
        TcpLossTest.assertOneRecoveryForTwoHoles(p.a.conn.stats());
    }

    @Test
    void withoutSackNewAcksGrowTheCongestionWindow() {
        TcpPair p = new TcpPair(65, TcpConfig.defaults().withSack(false)).open(5, 6);
        assertTrue(p.runUntil(p::established, p.now + S));
        int initial = p.a.conn.congestionWindow();
        byte[] d = TcpBasicsTest.data(65, 200_000);
        p.a.toSend = d;
        assertTrue(p.runUntil(() -> p.b.received.size() == d.length, p.now + 10 * S));
        // 200 KB without a loss: slow start takes the window far past its initial 3 segments
        assertTrue(p.a.conn.congestionWindow() >= 10 * initial,
                "cwnd " + initial + " -> " + p.a.conn.congestionWindow());
    }

    @Test
    void thePassiveSideTakesTheScaledWindowFromTheAckThatCompletesTheHandshake() {
        TcpPair p = TcpStateTest.established(TcpConfig.defaults(), 1000, 2000);
        // A advertised its 256 KiB receive buffer, scaled by 2^7; B has heard nothing since
        assertTrue(p.b.conn.windowScaling());
        assertEquals(256 * 1024, p.b.conn.sendWindow());
    }

    @Test
    void theSynCountsAsASegmentOut() {
        TcpPair p = new TcpPair(66, TcpConfig.defaults()).open(1, 2);
        assertEquals(1, p.a.conn.stats().segmentsOut());
        assertTrue(p.runUntil(p::established, p.now + S));
        assertEquals(1, p.b.conn.stats().segmentsOut(), "the SYN-ACK");
    }
}
