package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZipfSkewTest {
    private static final int N = 150;
    private static final int DRAWS = 1_000_000;
    /** Chi-square, 149 degrees of freedom: mean 149, sd 17.3; 225 is beyond p = 5e-5. */
    private static final double CHI2_BOUND = 225;

    /** Theoretical Zipf pmf computed independently of the class: (k+1)^-s / H(n, s). */
    private static double[] pmf(int n, double s) {
        double h = 0;
        for (int k = n; k >= 1; k--) {
            h += 1 / Math.pow(k, s);
        }
        double[] p = new double[n];
        for (int k = 0; k < n; k++) {
            p[k] = 1 / Math.pow(k + 1, s) / h;
        }
        return p;
    }

    private static long[] draw(ConnectionSkew skew, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] counts = new long[skew.connections()];
        for (int i = 0; i < DRAWS; i++) {
            counts[skew.sample(r)]++;
        }
        return counts;
    }

    private static double chiSquare(long[] observed, double[] p) {
        double chi2 = 0;
        for (int k = 0; k < p.length; k++) {
            double expected = p[k] * DRAWS;
            chi2 += (observed[k] - expected) * (observed[k] - expected) / expected;
        }
        return chi2;
    }

    @ParameterizedTest
    @CsvSource({"0.99, 1", "0.99, 2", "1.2, 1", "1.2, 2", "0.5, 3", "0.0, 4"})
    void frequenciesMatchTheZipfPmf(double s, long seed) {
        ZipfSkew skew = new ZipfSkew(N, s);
        double[] p = pmf(N, s);
        for (int k = 0; k < N; k++) {
            assertEquals(p[k], skew.probability(k), 1e-12, "pmf of " + k);
        }
        double chi2 = chiSquare(draw(skew, seed), p);
        assertTrue(chi2 < CHI2_BOUND, "chi2 " + chi2 + " for s=" + s + "; " + TestBytes.replay("ZipfSkewTest", seed));
    }

    @Test
    void theTestCanTellNeighbouringExponentsApart() {
        // the same bound rejects samples of s=0.99 against the pmf of s=1.2: the test has power
        double chi2 = chiSquare(draw(new ZipfSkew(N, 0.99), 1), pmf(N, 1.2));
        assertTrue(chi2 > 10 * CHI2_BOUND, "chi2 " + chi2);
        double close = chiSquare(draw(new ZipfSkew(N, 0.99), 1), pmf(N, 1.0));
        assertTrue(close > CHI2_BOUND, "even s=0.99 vs s=1.0 is told apart: chi2 " + close);
    }

    @Test
    void uniformSkewIsUniform() {
        double[] p = new double[N];
        java.util.Arrays.fill(p, 1.0 / N);
        assertTrue(chiSquare(draw(new UniformSkew(N), 9), p) < CHI2_BOUND);
    }

    @Test
    void ratioOfNeighboursIsTheExponent() {
        ZipfSkew skew = new ZipfSkew(N, 1.2);
        assertEquals(Math.pow(2, 1.2), skew.probability(0) / skew.probability(1), 1e-9);
        assertEquals(Math.pow(150.0 / 149, 1.2), skew.probability(148) / skew.probability(149), 1e-9);
        double total = 0;
        for (int k = 0; k < N; k++) {
            total += skew.probability(k);
        }
        assertEquals(1.0, total, 1e-12);
    }

    @Test
    void edgeCases() {
        ZipfSkew one = new ZipfSkew(1, 3);
        assertEquals(0, one.sample(new SplittableRandom(1)));
        assertEquals(1.0, one.probability(0));
        assertThrows(IllegalArgumentException.class, () -> new ZipfSkew(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ZipfSkew(5, -1));
        assertThrows(IllegalArgumentException.class, () -> new ZipfSkew(5, Double.NaN));
    }
}
