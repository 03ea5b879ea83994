package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TcpBasicsTest {
    static final long MS = 1_000_000L;

    static byte[] data(long seed, int n) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    @Test
    void activeAndPassiveOpenNegotiateOptions() {
        TcpPair p = new TcpPair(1, TcpConfig.defaults()).open(1000, 2000);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        TcpConnection a = p.a.conn;
        TcpConnection b = p.b.conn;
        assertEquals(TcpState.ESTABLISHED, a.state());
        assertEquals(TcpState.ESTABLISHED, b.state());
        assertTrue(a.windowScaling());
        assertEquals(7, a.sendWindowShift());
        assertTrue(a.timestamps());
        // offered by default (the receiver sends SACK blocks; see TcpConfig.defaults)
        assertTrue(a.sackPermitted());
        assertTrue(b.sackPermitted());
        assertEquals(1460 - 12, a.sendMss());
        assertEquals(1460 - 12, b.sendMss());
        assertEquals(TcpPair.IP_B, a.remoteIp());
        assertEquals(TcpPair.PORT_A, b.remotePort());
    }

    @Test
    void dataBothWaysThenCloseReachesTimeWaitAndClosed() {
        TcpConfig cfg = TcpConfig.defaults().withTimeWait(100 * MS);
        TcpPair p = new TcpPair(2, cfg).open(-100, 12345);
        byte[] ab = data(1, 200_000);
        byte[] ba = data(2, 70_000);
        p.a.toSend = ab;
        p.b.toSend = ba;
        p.a.closeWhenSent = true;
        p.b.closeWhenSent = true;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length && p.a.received.size() == ba.length,
                p.now + 5_000 * MS), () -> p.a.conn + " / " + p.b.conn + " rcvd " + p.a.received.size() + "/" + p.b.received.size() + " " + p.a.conn.stats() + p.b.conn.stats());
        assertArrayEquals(ab, p.b.received.toByteArray());
        assertArrayEquals(ba, p.a.received.toByteArray());
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.CLOSED && p.b.conn.state() == TcpState.CLOSED,
                p.now + 1_000 * MS), () -> p.a.conn + " / " + p.b.conn);
    }

    @Test
    void retransmitsLostSegments() {
        TcpPair p = new TcpPair(3, TcpConfig.defaults()).open(5, 6);
        p.loss = 0.1;
        byte[] ab = data(3, 300_000);
        p.a.toSend = ab;
        assertTrue(p.runUntil(() -> p.b.received.size() == ab.length, p.now + 60_000 * MS));
        assertArrayEquals(ab, p.b.received.toByteArray());
        assertTrue(p.a.conn.stats().retransmits() > 0);
    }

    @Test
    void closedConnectionAnswersWithRst() {
        TcpPair p = new TcpPair(4, TcpConfig.defaults()).open(5, 6);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        p.a.conn.abort(p.now);
        p.a.flush();
        assertTrue(p.runUntil(() -> p.b.conn.state() == TcpState.CLOSED, p.now + 10 * MS));
        assertEquals(1, p.b.conn.stats().resetsIn());
        assertEquals(TcpSegment.RST | TcpSegment.ACK, p.a.conn.stats().resetsOut() == 1 ? TcpSegment.RST | TcpSegment.ACK : 0);
    }
}
