package io.capybara.eval;

import java.util.Arrays;

/** Summary statistics of nanosecond samples, reported in microseconds. */
public final class Stats {
    private Stats() {
    }

    public static double meanMicros(long[] nanos) {
        if (nanos.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (long v : nanos) {
            sum += v;
        }
        return sum / nanos.length / 1000.0;
    }

    /**
     * Mean without the largest {@code dropFraction} of samples (at least one sample kept): on a
     * shared machine one descheduled thread adds milliseconds to one sample and microseconds to
     * the mean. Reported beside the plain mean, never instead of it.
     */
    public static double trimmedMeanMicros(long[] nanos, double dropFraction) {
        if (nanos.length == 0) {
            return Double.NaN;
        }
        long[] v = nanos.clone();
        Arrays.sort(v);
        int keep = Math.max(1, v.length - (int) Math.floor(v.length * dropFraction));
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            sum += v[i];
        }
        return sum / keep / 1000.0;
    }

    /** Nearest-rank percentile, p in [0, 100], in microseconds. */
    public static double percentileMicros(long[] nanos, double p) {
        if (nanos.length == 0) {
            return Double.NaN;
        }
        long[] v = nanos.clone();
        Arrays.sort(v);
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))] / 1000.0;
    }

    public static double[] micros(long[] nanos) {
        double[] d = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            d[i] = nanos[i] / 1000.0;
        }
        return d;
    }
}
