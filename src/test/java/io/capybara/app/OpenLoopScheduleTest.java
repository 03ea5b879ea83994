package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {
    private static final int SAMPLES = 1_000_000;

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 0xDEADBEEFL})
    void interArrivalsAreExponentialWithTheTargetRate(long seed) {
        double rate = 150_000; // the paper's offered load
        OpenLoopSchedule s = new OpenLoopSchedule(1_000, rate, new UniformSkew(150), seed);
        double mean = 1e9 / rate;
        long prev = 1_000;
        double sum = 0;
        double sumSq = 0;
        long above2Means = 0;
        for (int i = 0; i < SAMPLES; i++) {
            long t = s.nextSendTimeNanos();
            assertTrue(t >= prev, "send times never go back");
            double gap = t - prev;
            sum += gap;
            sumSq += gap * gap;
            if (gap > 2 * mean) {
                above2Means++;
            }
            prev = t;
            s.advance();
        }
        double m = sum / SAMPLES;
        double var = sumSq / SAMPLES - m * m;
        // standard error of the mean is mean/1000 here; of the variance about 2.2*mean^2/1000
        assertEquals(mean, m, mean * 0.005, "mean gap, seed " + seed);
        assertEquals(mean * mean, var, mean * mean * 0.02, "variance = mean^2 for an exponential, seed " + seed);
        assertEquals(Math.exp(-2), above2Means / (double) SAMPLES, 0.002, "P(gap > 2 mean) = e^-2, seed " + seed);
        assertEquals(SAMPLES, s.issued());
    }

    @Test
    void countsPerWindowArePoisson() {
        // 100 us windows at 100 k/s: mean 10 per window, and variance = mean (index of dispersion 1)
        OpenLoopSchedule s = new OpenLoopSchedule(0, 100_000, new UniformSkew(4), 7);
        int windows = 100_000;
        long[] counts = new long[windows];
        while (s.nextSendTimeNanos() < windows * 100_000L) {
            counts[(int) (s.nextSendTimeNanos() / 100_000L)]++;
            s.advance();
        }
        double sum = 0;
        double sumSq = 0;
        for (long c : counts) {
            sum += c;
            sumSq += (double) c * c;
        }
        double m = sum / windows;
        double var = sumSq / windows - m * m;
        assertEquals(10, m, 0.1);
        assertEquals(1.0, var / m, 0.03);
    }

    @Test
    void sameSeedSameScheduleOtherSeedOtherSchedule() {
        OpenLoopSchedule a = new OpenLoopSchedule(0, 1e6, new ZipfSkew(150, 1.2), 99);
        OpenLoopSchedule b = new OpenLoopSchedule(0, 1e6, new ZipfSkew(150, 1.2), 99);
        OpenLoopSchedule c = new OpenLoopSchedule(0, 1e6, new ZipfSkew(150, 1.2), 100);
        boolean differs = false;
        for (int i = 0; i < 10_000; i++) {
            assertEquals(a.nextSendTimeNanos(), b.nextSendTimeNanos());
            assertEquals(a.nextConnection(), b.nextConnection());
            differs |= a.nextSendTimeNanos() != c.nextSendTimeNanos();
            a.advance();
            b.advance();
            c.advance();
        }
        assertTrue(differs);
    }

    @Test
    void skewDoesNotChangeArrivalTimes() {
        OpenLoopSchedule uniform = new OpenLoopSchedule(5, 2e5, new UniformSkew(150), 3);
        OpenLoopSchedule zipf = new OpenLoopSchedule(5, 2e5, new ZipfSkew(150, 0.99), 3);
        int sameConnection = 0;
        for (int i = 0; i < 10_000; i++) {
            assertEquals(uniform.nextSendTimeNanos(), zipf.nextSendTimeNanos());
            sameConnection += uniform.nextConnection() == zipf.nextConnection() ? 1 : 0;
            uniform.advance();
            zipf.advance();
        }
        assertTrue(sameConnection < 1000, "connection choices do follow the skew");
    }

    @Test
    void connectionsFollowTheSkew() {
        ZipfSkew skew = new ZipfSkew(150, 1.2);
        OpenLoopSchedule s = new OpenLoopSchedule(0, 1e5, skew, 11);
        long[] counts = new long[150];
        for (int i = 0; i < 200_000; i++) {
            counts[s.nextConnection()]++;
            s.advance();
        }
        assertEquals(skew.probability(0), counts[0] / 200_000.0, 0.005);
        assertTrue(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[149]);
    }

    @Test
    void dueFollowsTheSchedule() {
        OpenLoopSchedule s = new OpenLoopSchedule(1_000_000, 1000, new UniformSkew(1), 5);
        long t = s.nextSendTimeNanos();
        assertTrue(t > 1_000_000);
        assertFalse(s.isDue(t - 1));
        assertTrue(s.isDue(t));
        assertEquals(0, s.nextConnection());
        assertEquals(1e6, s.meanInterArrivalNanos(), 1e-6);
    }

    @Test
    void factoriesMatchTheConstructor() {
        OpenLoopSchedule a = OpenLoopSchedule.zipf(0, 1e5, 150, 1.2, 8);
        OpenLoopSchedule b = new OpenLoopSchedule(0, 1e5, new ZipfSkew(150, 1.2), 8);
        OpenLoopSchedule u = OpenLoopSchedule.uniform(0, 1e5, 150, 8);
        for (int i = 0; i < 1000; i++) {
            assertEquals(b.nextConnection(), a.nextConnection());
            assertEquals(b.nextSendTimeNanos(), u.nextSendTimeNanos());
            a.advance();
            b.advance();
            u.advance();
        }
        assertEquals(150, u.skew().connections());
    }

    @Test
    void rejectsBadRates() {
        assertThrows(IllegalArgumentException.class, () -> new OpenLoopSchedule(0, 0, new UniformSkew(1), 1));
        assertThrows(IllegalArgumentException.class, () -> new OpenLoopSchedule(0, Double.NaN, new UniformSkew(1), 1));
        assertThrows(IllegalArgumentException.class, () -> new UniformSkew(0));
        assertNotEquals(0, new OpenLoopSchedule(0, 1, new UniformSkew(1), 1).nextSendTimeNanos());
    }
}
