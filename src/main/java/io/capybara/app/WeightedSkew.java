package io.capybara.app;

import java.util.SplittableRandom;

/**
 * Requests spread over connections in proportion to given weights (zero allowed): for loads
 * built from parts, e.g. a Zipf skew restricted to the connections of one server. Inversion on
 * a CDF with binary search, as {@link ZipfSkew}.
 */
public final class WeightedSkew implements ConnectionSkew {
    private final double[] cdf;

    public WeightedSkew(double[] weights) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("no connections");
        }
        cdf = new double[weights.length];
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            if (!(weights[k] >= 0) || Double.isInfinite(weights[k])) {
                throw new IllegalArgumentException("weight " + k + " must be finite and >= 0: " + weights[k]);
            }
            sum += weights[k];
            cdf[k] = sum;
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("all weights are zero");
        }
        for (int k = 0; k < weights.length; k++) {
            cdf[k] /= sum;
        }
        int last = weights.length - 1;
        while (weights[last] == 0) {
            last--;
        }
        for (int k = last; k < weights.length; k++) {
            cdf[k] = 1.0; // rounding must not leave a gap at the top
        }
    }

    @Override
    public int connections() {
        return cdf.length;
    }

    @Override
    public int sample(SplittableRandom random) {
        return sample(cdf, random);
    }

    /** Inversion on a CDF: the smallest k with {@code u < cdf[k]}, for u uniform in [0, 1). */
    static int sample(double[] cdf, SplittableRandom random) {
        double u = random.nextDouble();
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (u < cdf[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    @Override
    public double probability(int connection) {
        return connection == 0 ? cdf[0] : cdf[connection] - cdf[connection - 1];
    }
}
