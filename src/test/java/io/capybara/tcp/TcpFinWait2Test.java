package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.TcpSegment;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** FIN_WAIT_2's limit (Linux tcp_fin_timeout): a peer whose FIN or RST was lost must not pin us forever. */
class TcpFinWait2Test {
    static final long MS = TcpStateTest.MS;

    /** A closes, B acknowledges the FIN, then B vanishes (its abort's RST is lost). */
    private static TcpPair finWait2(TcpConfig cfg) {
        TcpPair p = TcpStateTest.established(cfg, 1, 2);
        p.a.conn.close(p.now);
        p.a.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.FIN_WAIT_2, p.now + 100 * MS));
        p.dropFilter = c -> c.srcPort == TcpPair.PORT_B; // B's RST (and everything after) is lost
        p.b.conn.abort(p.now);
        p.b.flush();
        return p;
    }

    @Test
    void defaultsToLinuxFinTimeoutAndKeepsOtherDefaults() {
        TcpConfig d = TcpConfig.defaults();
        assertEquals(60_000_000_000L, d.finWait2Nanos());
        assertEquals(60_000_000_000L, d.timeWaitNanos());
        assertEquals(d.finWait2Nanos(), d.withTimeWait(5).withMss(1000).withNagle(true).finWait2Nanos());
        assertEquals(7, d.withFinWait2(7).finWait2Nanos());
        assertEquals(d.mss(), d.withFinWait2(7).mss());
    }

    @Test
    void silentPeerEndsFinWait2AfterTheLimit() {
        TcpPair p = finWait2(TcpConfig.defaults().withFinWait2(300 * MS));
        TcpStateTest.Events ea = new TcpStateTest.Events();
        p.a.conn.observer(ea);
        long entered = p.now;
        p.runFor(250 * MS);
        assertEquals(TcpState.FIN_WAIT_2, p.a.conn.state());
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.CLOSED, entered + 400 * MS));
        assertTrue(p.now <= entered + 301 * MS, "closed at the limit, not later: " + (p.now - entered));
        assertEquals(List.of("reset"), ea.log, "an abnormal end, reported as such");
        assertEquals(Long.MAX_VALUE, p.a.conn.nextDeadline());
    }

    @Test
    void zeroMeansWaitForever() {
        TcpPair p = finWait2(TcpConfig.defaults().withFinWait2(0));
        p.runFor(5_000 * MS);
        assertEquals(TcpState.FIN_WAIT_2, p.a.conn.state());
        assertEquals(Long.MAX_VALUE, p.a.conn.nextDeadline());
    }

    @Test
    void aHalfClosedPeerStillSendingIsNotCutOff() {
        TcpPair p = TcpStateTest.established(TcpConfig.defaults().withFinWait2(300 * MS), 1, 2);
        p.a.conn.close(p.now);
        p.a.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.FIN_WAIT_2, p.now + 100 * MS));
        UnsafeBuffer one = new UnsafeBuffer(new byte[100]);
        long end = p.now + 1_000 * MS;
        while (p.now < end) { // B sends every 100 ms, for over three limits
            p.b.conn.send(one, 0, 100, p.now);
            p.b.flush();
            p.runFor(100 * MS);
            assertEquals(TcpState.FIN_WAIT_2, p.a.conn.state());
        }
        p.b.conn.close(p.now);
        p.b.flush();
        assertTrue(p.runUntil(() -> p.a.conn.state() == TcpState.TIME_WAIT, p.now + 100 * MS));
    }

    @Test
    void limitAndRemainingWaitSurviveSnapshotRestore() throws SnapshotException {
        TcpPair p = finWait2(TcpConfig.defaults().withFinWait2(300 * MS));
        long entered = p.now;
        p.runFor(100 * MS);
        TcpConnection a = p.a.conn;
        UnsafeBuffer buf = new UnsafeBuffer(new byte[a.snapshotSize()]);
        int n = a.snapshot(buf, 0, p.now);
        long later = p.now + 7 * MS; // restored elsewhere 7 ms later: the wait left is the same
        TcpConnection r = TcpConnection.restore(buf, 0, n, later, (seg, conn) -> { });
        assertEquals(300 * MS, r.config().finWait2Nanos());
        assertEquals(TcpState.FIN_WAIT_2, r.state());
        assertEquals(a.nextDeadline() - p.now, r.nextDeadline() - later);
        assertEquals(entered + 300 * MS - p.now, r.nextDeadline() - later);
        r.onTimer(r.nextDeadline());
        assertEquals(TcpState.CLOSED, r.state());
    }
}
