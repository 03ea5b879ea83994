package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * CUBIC (RFC 9438) against its own formulas: the reduction, W(t) = C (t - K)^3 + W_max around
 * the last loss's window, the Reno-friendly estimate where that grows faster, and the snapshot
 * of its state. The state is read from the snapshot, the one place it is exposed.
 */
class CubicTest {
    static final int MSS = 1000;
    static final long S = 1_000_000_000L;

    /** What a CUBIC snapshot holds beyond NewReno's fields. */
    record State(double wMax, double k, boolean epoch, long epochAge, double wEst, double carry) {
    }

    static byte[] snapshot(Cubic c, long now) {
        return SnapshotBytes.written(w -> c.write(w, now));
    }

    static State state(Cubic c, long now) throws SnapshotException {
        SnapshotReader r = SnapshotBytes.reader(snapshot(c, now));
        for (int i = 0; i < 4; i++) {
            r.getInt("reno");
        }
        r.getBoolean("reno");
        return new State(Double.longBitsToDouble(r.getLong("wMax")), Double.longBitsToDouble(r.getLong("k")),
                r.getBoolean("epoch"), r.getLong("age"), Double.longBitsToDouble(r.getLong("wEst")),
                Double.longBitsToDouble(r.getLong("carry")));
    }

    /** A CUBIC at {@code segments} MSS in congestion avoidance (ssthresh = cwnd), by RFC 9438 alone. */
    static Cubic at(int segments) {
        return at(segments, false);
    }

    /** The same with or without Linux's growth in an epoch's first millisecond. */
    static Cubic at(int segments, boolean linuxStart) {
        Cubic c = new Cubic(0, MSS, linuxStart);
        c.cwnd = segments * MSS;
        c.ssthresh = c.cwnd;
        return c;
    }

    /** A loss at {@code segments}: the window is cut to ssthresh, as the connection does. */
    static void loss(Cubic c, int segments) {
        c.cwnd = segments * MSS;
        c.ssthresh = c.reducedThreshold(c.cwnd, MSS, 0);
        c.cwnd = c.ssthresh;
    }

    @Test
    void aLossCutsTheWindowByThirtyPercentAndRemembersIt() throws SnapshotException {
        Cubic c = at(100);
        assertEquals(70_000, c.reducedThreshold(100_000, MSS, 0), "beta = 0.7");
        State s = state(c, 0);
        assertEquals(100.0, s.wMax());
        assertFalse(s.epoch(), "the next ACK starts a new epoch");
        assertEquals(0.0, s.carry());
        c.reducedThreshold(100_000, MSS, 0);
        assertEquals(100.0, state(c, 0).wMax(), "a loss at W_max exactly: no convergence");
        c.cwnd = 80_000; // a loss below the last one: fast convergence
        c.reducedThreshold(80_000, MSS, 0);
        assertEquals(80 * (1 + Cubic.BETA) / 2, state(c, 0).wMax(), 1e-9);
        c.cwnd = 2_500;
        assertEquals(2 * MSS, c.reducedThreshold(2_500, MSS, 0), "never below two segments");
    }

    /** The first ACK after a loss starts the epoch: K from the cut, W_est from the window, growth in whole bytes. */
    @Test
    void theFirstAckAfterALossStartsTheEpoch() throws SnapshotException {
        Cubic c = at(100);
        loss(c, 100);
        c.grow(MSS, MSS, 5 * S, S / 10);
        State s = state(c, 5 * S);
        assertTrue(s.epoch());
        assertEquals(0, s.epochAge());
        assertEquals(StrictMath.cbrt((100 - 70) / Cubic.C), s.k(), 1e-12);
        double wEst = 70 + Cubic.ALPHA / 70; // one segment acked of a 70-segment window
        assertEquals(wEst, s.wEst(), 1e-12);
        // W(0) = W_max - C K^3 = 70 is below W_est: the window follows W_est, in whole bytes
        double grown = (wEst - 70) * MSS;
        assertEquals(70_000 + (int) grown, c.cwnd());
        assertEquals(grown - (int) grown, s.carry(), 1e-9);
        assertEquals(2 * S, state(c, 7 * S).epochAge(), "the epoch's age travels in the snapshot");
    }

    /** W(t) for a window cut from {@code wMax} segments by beta, t seconds into the epoch. */
    static double w(double wMax, double t) {
        double k = StrictMath.cbrt(wMax * (1 - Cubic.BETA) / Cubic.C);
        return Cubic.C * StrictMath.pow(t - k, 3) + wMax;
    }

    /**
     * Acknowledges a full window each RTT from {@code from} for {@code seconds}, one ACK per two
     * MSS (as with delayed ACKs), one for an odd last segment.
     *
     * @return the window in segments after each RTT
     */
    static double[] run(Cubic c, long from, long rtt, double seconds) {
        int rounds = (int) (seconds * S / rtt);
        double[] out = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t = from + i * rtt;
            int segments = c.cwnd / MSS;
            for (int a = 0; a + 1 < segments; a += 2) {
                c.grow(2 * MSS, MSS, t, rtt);
            }
            if (segments % 2 == 1) {
                c.grow(MSS, MSS, t, rtt);
            }
            out[i] = (double) c.cwnd / MSS;
        }
        return out;
    }

    /** The windows (segments) of a CUBIC cut at {@code segments}, acknowledged for {@code seconds} at {@code rtt}. */
    static double[] afterLoss(int segments, long rtt, double seconds) {
        Cubic c = at(segments);
        loss(c, segments);
        return run(c, 0, rtt, seconds);
    }

    /** W_est after {@code rounds} windows acknowledged: ALPHA per round from the cut up to W_max, one beyond. */
    static double renoFriendly(double cut, double wMax, int rounds) {
        double toWMax = (wMax - cut) / Cubic.ALPHA;
        return rounds <= toWMax ? cut + Cubic.ALPHA * rounds : wMax + (rounds - toWMax);
    }

    /**
     * Concave up to the last loss's window, flat around K, convex beyond: W(t + RTT) a round
     * ahead, or W_est where Reno would be ahead (here from about 5.7 s on).
     */
    @Test
    void theWindowFollowsTheCubicAroundTheLastLoss() {
        double[] cwnd = afterLoss(100, S / 20, 8);
        double k = StrictMath.cbrt(30 / Cubic.C);
        for (double t : new double[] {1, 2, k, 5, 6, 7}) {
            int round = (int) Math.round(t * 20);
            double expected = Math.max(w(100, (round + 1) * 0.05), renoFriendly(70, 100, round + 1));
            assertEquals(expected, cwnd[round], 1.5, "t = " + t + " s");
        }
        assertTrue(cwnd[20] > 85 && cwnd[20] < 92, "a second in, most of the way back: " + cwnd[20]);
        assertTrue(cwnd[159] > 115, "beyond W_max: " + cwnd[159]);
    }

    /** With a small W_max and a short RTT, Reno's line (3 (1 - beta) / (1 + beta) per RTT, then 1) is ahead of the cubic. */
    @Test
    void whereRenoWouldGrowFasterTheWindowGrowsLikeReno() {
        double[] cwnd = afterLoss(10, S / 100, 1);
        assertEquals(renoFriendly(7, 10, cwnd.length), cwnd[cwnd.length - 1], 3, "Reno-friendly");
        assertTrue(w(10, 1.01) < 10, "the cubic alone would still be below W_max");
    }

    /**
     * Linux's first jiffy: at a datacenter's 50 us round trip, an epoch grows one segment per
     * c0 = 14 segments acknowledged for its first millisecond, a window of c0 or more each round
     * trip (the RFC's W_est: 0.53 a round trip up to W_max, then 1), and after it holds its
     * window until W_est catches up, growing by the RFC's rules alone.
     */
    @Test
    void inItsFirstMillisecondAnEpochGrowsASegmentPerC0AckedAsLinuxDoes() {
        long rtt = 50_000;
        Cubic linux = at(20, true);
        Cubic rfc = at(20, false);
        loss(linux, 20);
        loss(rfc, 20);
        double[] fast = run(linux, 0, rtt, 0.001);
        double[] slow = run(rfc, 0, rtt, 0.001);
        assertEquals(20, fast.length);
        double[] linuxWindows = linuxStart(14, fast.length);
        for (int round = 0; round < fast.length; round++) {
            assertEquals(linuxWindows[round], fast[round], 1.0, "one segment per 14 acknowledged, round " + round);
            assertEquals(renoFriendly(14, 20, round + 1), slow[round], 1.0, "RFC 9438's W_est, round " + round);
        }
        assertTrue(fast[19] - slow[19] > 4, "Linux's start is ahead: " + fast[19] + " vs " + slow[19]);
        // after the first millisecond: no more than the RFC gives, and never less than the window reached
        double reached = fast[19];
        double[] later = run(linux, Cubic.LINUX_JIFFY_NANOS, rtt, 0.001);
        double[] rfcLater = run(rfc, Cubic.LINUX_JIFFY_NANOS, rtt, 0.001);
        assertEquals(reached, later[0], 1e-9, "the window holds while W_est is below it");
        for (int round = 0; round < later.length; round++) {
            assertTrue(later[round] >= reached && later[round] <= Math.max(reached, rfcLater[round]) + 1,
                    "round " + round + ": " + later[round] + " (RFC alone " + rfcLater[round] + ")");
        }
    }

    /** The windows after each round from {@code c0}: every segment of a round's window acknowledged adds 1 / c0. */
    static double[] linuxStart(double c0, int rounds) {
        double[] w = new double[rounds];
        double cwnd = c0;
        for (int i = 0; i < rounds; i++) {
            cwnd += Math.floor(cwnd) / c0;
            w[i] = cwnd;
        }
        return w;
    }

    /** At a wide area's 100 ms round trip, the first millisecond is a part of the first round: at most a segment. */
    @Test
    void atWideAreaRoundTripsLinuxsStartAddsAtMostASegment() {
        Cubic linux = at(100, true);
        Cubic rfc = at(100, false);
        loss(linux, 100);
        loss(rfc, 100);
        double[] a = run(linux, 0, S / 10, 8);
        double[] b = run(rfc, 0, S / 10, 8);
        double most = 0;
        for (int round = 0; round < a.length; round++) {
            most = Math.max(most, Math.abs(a[round] - b[round]));
        }
        assertTrue(most <= 1, "the windows differ by at most a segment: " + most);
    }

    /** The configuration picks the growth: CUBIC with Linux's start, CUBIC_RFC without. */
    @Test
    void theConfigurationChoosesLinuxsStartOrTheRfcAlone() {
        for (TcpConfig.Congestion kind : new TcpConfig.Congestion[] {TcpConfig.Congestion.CUBIC,
                TcpConfig.Congestion.CUBIC_RFC}) {
            Cubic c = (Cubic) NewReno.create(kind, 0, MSS);
            c.cwnd = 20 * MSS;
            loss(c, 20);
            double[] w = run(c, 0, 50_000, 0.001);
            double expected = kind == TcpConfig.Congestion.CUBIC ? linuxStart(14, 20)[19] : renoFriendly(14, 20, 20);
            assertEquals(expected, w[19], 1.0, kind.name());
        }
        assertFalse(NewReno.create(TcpConfig.Congestion.NEW_RENO, 0, MSS) instanceof Cubic);
    }

    /** At the window cap an ACK changes nothing, not even the state behind the window. */
    @Test
    void atTheCapAnAckChangesNothing() throws SnapshotException {
        Cubic c = at(1);
        c.cwnd = NewReno.MAX_CWND;
        c.grow(MSS, MSS, S, S / 10);
        assertTrue(state(c, S).epoch(), "the first ACK at the cap starts the epoch");
        byte[] before = snapshot(c, 2 * S);
        c.grow(MSS, MSS, 2 * S, S / 10);
        assertArrayEquals(before, snapshot(c, 2 * S));
        assertEquals(NewReno.MAX_CWND, c.cwnd());
    }

    /** The largest W_max a window can have (2^30 one-byte segments) survives a snapshot; more is refused. */
    @Test
    void theLargestWindowRestoresAndAnImpossibleOneIsRefused() throws SnapshotException {
        Cubic c = new Cubic(0, 1, false);
        c.cwnd = NewReno.MAX_CWND;
        c.reducedThreshold(c.cwnd, 1, 0);
        byte[] s = snapshot(c, 0);
        Cubic back = new Cubic(0, 1, false);
        back.read(SnapshotBytes.reader(s), 0);
        assertArrayEquals(s, snapshot(back, 0));
        UnsafeBuffer bad = new UnsafeBuffer(s.clone());
        bad.putLong(17, Double.doubleToRawLongBits(NewReno.MAX_CWND + 1.0), java.nio.ByteOrder.BIG_ENDIAN); // W_max, after NewReno's 17 bytes
        org.junit.jupiter.api.Assertions.assertThrows(SnapshotException.class,
                () -> new Cubic(0, 1, false).read(new SnapshotReader().wrap(bad, 0, s.length), 0));
    }

    /** Before the first RTT sample the cubic looks 100 ms ahead. */
    @Test
    void withoutAnRttSampleTheRttIsTakenAs100Ms() {
        Cubic unknown = at(100);
        Cubic known = at(100);
        loss(unknown, 100);
        loss(known, 100);
        for (long t = 0; t < 2 * S; t += S / 20) {
            unknown.grow(2 * MSS, MSS, t, 0);
            known.grow(2 * MSS, MSS, t, S / 10);
        }
        assertEquals(known.cwnd(), unknown.cwnd());
        Cubic shortRtt = at(100);
        loss(shortRtt, 100);
        for (long t = 0; t < 2 * S; t += S / 20) {
            shortRtt.grow(2 * MSS, MSS, t, S / 100);
        }
        assertTrue(shortRtt.cwnd() < known.cwnd(), "a shorter look ahead grows less");
    }
}
