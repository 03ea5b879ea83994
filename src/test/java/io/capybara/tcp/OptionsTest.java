package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.ABSENT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.capybara.tcp.SnapshotBytes.reader;
import static io.capybara.tcp.SnapshotBytes.written;

import io.capybara.wire.TcpSegment;
import org.junit.jupiter.api.Test;

/**
 * What the SYNs agree (RFC 7323, RFC 2018, RFC 9293 3.7.1) and how the option and timer state
 * crosses a snapshot: each case names the rule it checks.
 */
class OptionsTest {
    static final TcpConfig CONFIG = TcpConfig.defaults(); // MSS 1460, window scale 7, SACK, timestamps
    static final long NOW = 5_000_000_000L;

    /** A peer's SYN with these options ({@link TcpSegment#ABSENT} for none). */
    static TcpSegment syn(int mss, int windowScale, boolean sack, boolean timestamps) {
        TcpSegment s = new TcpSegment();
        s.mss = mss;
        s.windowScale = windowScale;
        s.sackPermitted = sack;
        s.hasTimestamps = timestamps;
        s.tsVal = 777;
        return s;
    }

    @Test
    void everyOptionBothSidesOfferIsAgreed() {
        Options o = new Options();
        o.negotiate(CONFIG, syn(1400, 9, true, true), 256 * 1024, NOW);
        assertTrue(o.wsAgreed);
        assertEquals(9, o.sndShift, "the peer's shift for what it advertises");
        assertEquals(7, o.rcvShift, "ours for what we advertise");
        assertTrue(o.sackOk);
        assertTrue(o.tsOk);
        assertEquals(777, o.tsRecent);
        assertEquals(NOW, o.tsRecentTime);
        assertEquals(1400 - TcpConnection.TS_OPTION_BYTES, o.sendMss, "the smaller MSS, less the timestamp option");
    }

    @Test
    void whatThePeerDoesNotOfferIsOff() {
        Options o = new Options();
        o.negotiate(CONFIG, syn(ABSENT, ABSENT, false, false), 256 * 1024, NOW);
        assertFalse(o.wsAgreed);
        assertEquals(0, o.sndShift);
        assertEquals(0, o.rcvShift);
        assertFalse(o.sackOk);
        assertFalse(o.tsOk);
        assertEquals(0, o.tsRecent);
        assertEquals(TcpConnection.DEFAULT_MSS, o.sendMss, "no MSS option: 536 (RFC 9293 3.7.1)");
    }

    @Test
    void whatWeDoNotOfferIsOffWhateverThePeerSays() {
        TcpConfig none = new TcpConfig(1460, 65536, 65536, -1, false, false, false, 40_000_000L, 1_000_000_000L,
                200_000_000L, 60_000_000_000L, 12, 60_000_000_000L, 64);
        Options o = new Options();
        o.negotiate(none, syn(9000, 14, true, true), 65536, NOW);
        assertFalse(o.wsAgreed);
        assertEquals(0, o.sndShift);
        assertFalse(o.sackOk);
        assertFalse(o.tsOk);
        assertEquals(1460, o.sendMss, "our MSS is the smaller");
        TcpSegment ours = new TcpSegment();
        o.fillSyn(ours, false, none, 65536, NOW);
        assertEquals(ABSENT, ours.windowScale);
        assertFalse(ours.sackPermitted);
        assertFalse(ours.hasTimestamps);
    }

    @Test
    void aShiftAbove14AndAnMssBelowTheMinimumAreBounded() {
        Options o = new Options();
        o.negotiate(CONFIG, syn(20, 15, false, false), 256 * 1024, NOW);
        assertEquals(TcpConnection.MAX_WINDOW_SHIFT, o.sndShift, "RFC 7323 2.3: 14 at most");
        assertEquals(TcpConnection.MIN_MSS, o.sendMss);
    }

    /** Our shift never makes one window unit more than half the receive buffer. */
    @Test
    void theOfferedShiftFitsTheReceiveBuffer() {
        assertEquals(7, Options.offeredWindowScale(CONFIG, 256 * 1024));
        assertEquals(7, Options.offeredWindowScale(CONFIG, 256), "2^7 = half of 256");
        assertEquals(5, Options.offeredWindowScale(CONFIG, 64 + 63));
        assertEquals(0, Options.offeredWindowScale(CONFIG, 1));
    }

    @Test
    void aSynOffersTheConfigAndASynAckWhatWasAgreed() {
        Options o = new Options();
        o.tsOffset = 100;
        TcpSegment s = new TcpSegment();
        o.fillSyn(s, false, CONFIG, 256 * 1024, NOW);
        assertEquals(7, s.windowScale);
        assertTrue(s.sackPermitted);
        assertTrue(s.hasTimestamps);
        assertEquals(5_000_000 + 100, s.tsVal, "microsecond ticks plus the offset");
        assertEquals(0, s.tsEcr, "nothing to echo yet");
        o.negotiate(CONFIG, syn(1460, ABSENT, true, true), 256 * 1024, NOW);
        TcpSegment ack = new TcpSegment();
        o.fillSyn(ack, true, CONFIG, 256 * 1024, NOW + 3_000);
        assertEquals(ABSENT, ack.windowScale, "not agreed: not sent");
        assertTrue(ack.sackPermitted);
        assertTrue(ack.hasTimestamps);
        assertEquals(5_000_003 + 100, ack.tsVal);
        assertEquals(777, ack.tsEcr, "the peer's TSval echoed");
    }

    /** Restored on a host whose clock reads otherwise, the peer still sees one continuous TS clock. */
    @Test
    void theTimestampClockContinuesAcrossASnapshot() throws SnapshotException {
        Options o = new Options();
        o.negotiate(CONFIG, syn(1460, 7, true, true), 256 * 1024, NOW);
        o.tsOffset = 12345;
        o.rtoTsVal = 99;
        byte[] s = written(w -> o.write(w, NOW + 2_000_000));
        Options back = new Options();
        long elsewhere = 90_000_000_000L;
        back.read(reader(s), elsewhere);
        assertEquals(o.tsNow(NOW + 2_000_000), back.tsNow(elsewhere));
        assertEquals(o.tsNow(NOW + 2_500_000), back.tsNow(elsewhere + 500_000), "and runs at the same rate");
        assertEquals(elsewhere - 2_000_000, back.tsRecentTime, "TS.Recent as old as it was");
        assertArrayEquals(s, written(w -> back.write(w, elsewhere)));
    }

    /** Armed timers keep their distance to now across a snapshot; disarmed ones stay off. */
    @Test
    void timersKeepTheirDistanceAcrossASnapshot() throws SnapshotException {
        Timers t = new Timers();
        t.rtx = NOW + 200;
        t.persist = NOW - 50; // overdue
        t.loss = NOW + 7;
        t.persistBackoff = 3;
        t.ackNow = true;
        assertEquals(NOW - 50, t.next());
        byte[] s = written(w -> t.write(w, NOW));
        Timers back = new Timers();
        back.read(reader(s), 1_000);
        assertEquals(1_200, back.rtx);
        assertEquals(950, back.persist);
        assertEquals(1_007, back.loss);
        assertEquals(Timers.NONE, back.delack);
        assertEquals(Timers.NONE, back.timeWait);
        assertEquals(3, back.persistBackoff);
        assertTrue(back.ackNow);
        assertEquals(950, back.next());
        back.disarm();
        assertEquals(Timers.NONE, back.next());
        assertFalse(back.ackNow);
        Timers edge = new Timers();
        edge.delack = 1L << 62; // the farthest a snapshot holds, restored where it lands on NONE itself
        byte[] e = written(w -> edge.write(w, 0));
        Timers edgeBack = new Timers();
        edgeBack.read(reader(e), Long.MAX_VALUE - (1L << 62));
        assertEquals(Timers.NONE - 1, edgeBack.delack, "armed it stays");
        assertEquals(Timers.NONE - 1, edgeBack.next());
    }

    /** A configured shift of 0 still offers (and agrees to) window scaling: the peer may scale its own window. */
    @Test
    void aShiftOfZeroIsScalingAgreedAtZero() {
        TcpConfig zero = new TcpConfig(1460, 65536, 65536, 0, true, true, false, 40_000_000L, 1_000_000_000L,
                200_000_000L, 60_000_000_000L, 12, 60_000_000_000L, 64);
        Options o = new Options();
        TcpSegment ours = new TcpSegment();
        o.fillSyn(ours, false, zero, 65536, NOW);
        assertEquals(0, ours.windowScale);
        o.negotiate(zero, syn(1460, 5, true, true), 65536, NOW);
        assertTrue(o.wsAgreed);
        assertEquals(5, o.sndShift);
        assertEquals(0, o.rcvShift);
    }
}
