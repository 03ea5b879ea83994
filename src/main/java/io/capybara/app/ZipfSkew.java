package io.capybara.app;

import java.util.SplittableRandom;

/**
 * Zipf over {@code n} connections with exponent {@code s}: connection {@code k} (0-based, so
 * rank k+1) is chosen with probability {@code (k+1)^-s / H(n,s)}, where
 * {@code H(n,s) = sum_{j=1..n} j^-s}. Connection 0 is the hottest. Sampling is inversion on a
 * precomputed CDF with binary search: exact up to double rounding, O(log n) per draw, no
 * allocation; meant for the paper's scale (n around 150, any n up to a few million).
 */
public final class ZipfSkew implements ConnectionSkew {
    private final double exponent;
    private final double[] cdf;

    public ZipfSkew(int connections, double exponent) {
        if (connections < 1) {
            throw new IllegalArgumentException("connections < 1: " + connections);
        }
        if (!(exponent >= 0) || Double.isInfinite(exponent)) {
            throw new IllegalArgumentException("exponent must be finite and >= 0: " + exponent);
        }
        this.exponent = exponent;
        this.cdf = new double[connections];
        double sum = 0;
        for (int k = 0; k < connections; k++) {
            sum += Math.pow(k + 1, -exponent);
            cdf[k] = sum;
        }
        for (int k = 0; k < connections; k++) {
            cdf[k] /= sum;
        }
        cdf[connections - 1] = 1.0; // rounding must not leave a gap at the top
    }

    public double exponent() {
        return exponent;
    }

    @Override
    public int connections() {
        return cdf.length;
    }

    /** The smallest k with {@code u < cdf[k]}, for u uniform in [0, 1). */
    @Override
    public int sample(SplittableRandom random) {
        return WeightedSkew.sample(cdf, random);
    }

    @Override
    public double probability(int connection) {
        return connection == 0 ? cdf[0] : cdf[connection] - cdf[connection - 1];
    }
}
