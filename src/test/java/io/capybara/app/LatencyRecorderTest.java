package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    private static final long US = 1_000;

    /** Within HdrHistogram's 3-significant-digit precision (0.1%) plus the sample spacing. */
    private static void assertNear(double expected, long actual, double spacing, String what) {
        double tolerance = expected * 0.001 + spacing;
        assertEquals(expected, actual, tolerance, what);
    }

    @Test
    void uniformOneToTenThousandMicroseconds() {
        LatencyRecorder r = new LatencyRecorder();
        for (long v = 1; v <= 10_000; v++) {
            r.recordResponse(1_000_000, 1_000_000 + v * US);
        }
        assertEquals(10_000, r.completed());
        assertNear(5_000 * US, r.p50Nanos(), US, "p50");
        assertNear(9_900 * US, r.p99Nanos(), US, "p99");
        assertNear(9_990 * US, r.p999Nanos(), US, "p99.9");
        assertNear(10_000 * US, r.maxNanos(), 0, "max");
        assertNear(5_000.5 * US, (long) r.meanNanos(), 0, "mean");
        assertEquals(10_000, r.throughputPerSecond(1_000_000_000L), 1e-9);
    }

    @Test
    void exponentialQuantiles() {
        // deterministic exponential sample: the (i + 0.5)/M quantiles of Exp(mean 100 us)
        int m = 200_000;
        double mean = 100 * US;
        LatencyRecorder r = new LatencyRecorder();
        for (int i = 0; i < m; i++) {
            r.recordResponse(0, Math.round(-mean * Math.log(1 - (i + 0.5) / m)));
        }
        for (double p : new double[] {50, 90, 99, 99.9}) {
            double exact = -mean * Math.log(1 - p / 100);
            double spacing = mean / (m * (1 - p / 100)); // gap between neighbouring samples there
            assertNear(exact, r.percentileNanos(p), 2 * spacing, "p" + p);
        }
        assertEquals(mean, r.meanNanos(), mean * 0.002);
    }

    @Test
    void latencyCountsFromTheIntendedTimeSoAStallIsNotOmitted() {
        // Open loop at 10 k/s for 1 s; the server answers in 50 us, except that from 0.5 s it
        // stalls for 100 ms: everything scheduled in the stall is answered at 0.6 s + 50 us.
        // The generator itself was stuck too, so those requests were actually written at 0.6 s:
        // timing from the write (coordinated omission) would see 50 us for all of them.
        long gap = 100 * US;
        long stallStart = 500_000 * US;
        long stallEnd = 600_000 * US;
        LatencyRecorder intended = new LatencyRecorder();
        LatencyRecorder fromWrite = new LatencyRecorder();
        for (long t = 0; t < 1_000_000 * US; t += gap) {
            boolean stalled = t >= stallStart && t < stallEnd;
            long written = stalled ? stallEnd : t;
            long done = written + 50 * US;
            intended.recordResponse(t, done);
            fromWrite.recordResponse(written, done);
        }
        assertEquals(10_000, intended.completed());
        assertNear(50 * US, fromWrite.p99Nanos(), 0, "coordinated omission hides the stall");
        assertNear(50 * US, fromWrite.maxNanos(), 0, "coordinated omission hides the stall");
        // 1000 stalled requests, latencies spread evenly over (50 us, 100 ms]: the top 1% of all
        // requests (100 of them) are above 100 ms - 100 * 100 us = 90 ms
        assertNear(90_050 * US, intended.p99Nanos(), gap, "p99 charges the stall");
        assertNear(100_050 * US, intended.maxNanos(), 0, "max = the whole stall");
        assertNear(50 * US, intended.p50Nanos(), 0, "the median request was not stalled");
        double expectedMean = (9_000 * 50 * US + 1_000 * (50 * US + 50_000 * US + 50 * US)) / 10_000.0;
        assertEquals(expectedMean, intended.meanNanos(), expectedMean * 0.002);
    }

    @Test
    void scheduleTimesFeedTheRecorder() {
        // a server that answers one request at a time with 20 us service, fed by a 40 k/s
        // Poisson schedule (utilisation 0.8): queueing shows up in the tail, as it must
        OpenLoopSchedule s = new OpenLoopSchedule(0, 40_000, new UniformSkew(1), 1);
        LatencyRecorder r = new LatencyRecorder();
        long serverFree = 0;
        for (int i = 0; i < 200_000; i++) {
            long arrival = s.nextSendTimeNanos();
            long start = Math.max(arrival, serverFree);
            serverFree = start + 20 * US;
            r.recordResponse(arrival, serverFree);
            s.advance();
        }
        // M/D/1 at rho=0.8: mean sojourn = S + rho*S/(2(1-rho)) = 20 + 40 = 60 us
        assertEquals(60 * US, r.meanNanos(), 3 * US);
        assertTrue(r.p99Nanos() > 4 * r.p50Nanos(), "queueing tail: p50 " + r.p50Nanos() + " p99 " + r.p99Nanos());
    }

    @Test
    void errorsSaturationMergeAndReset() {
        LatencyRecorder a = new LatencyRecorder(1_000_000, 3);
        a.recordResponse(0, 5_000_000);
        a.recordResponse(10, 5); // completion before intent cannot happen; clamped to 0
        a.recordError();
        assertEquals(1, a.saturated());
        assertEquals(0, a.percentileNanos(0));
        LatencyRecorder b = new LatencyRecorder(1_000_000, 3);
        b.recordResponse(0, 700);
        b.recordError();
        b.add(a);
        assertEquals(3, b.completed());
        assertEquals(2, b.errors());
        assertEquals(1, b.saturated());
        LatencyRecorder.Summary sum = b.summary(1_000_000_000L);
        assertEquals(3, sum.completed());
        assertEquals(3.0, sum.throughputPerSecond(), 1e-9);
        assertTrue(sum.maxNanos() >= 1_000_000 * 0.999);
        b.reset();
        assertEquals(0, b.completed());
        assertEquals(0, b.errors());
    }
}
