package io.capybara.rack.proc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Joins the two halves of each migration, timed in two processes: the origin's line (its
 * decision time and CPU) and the target's (the moment it serves the connection, and its CPU),
 * from each server's {@code migrations} control reply. One machine, one CLOCK_MONOTONIC: the
 * difference of the two times is the end-to-end latency.
 */
public final class MigrationSamples {
    private final List<long[]> samples = new ArrayList<>(); // {e2e ns, cpu ns}

    /** Adds the migrations whose both halves appear in {@code dumps} (one per server). */
    public static MigrationSamples join(List<String> dumps) {
        Map<String, long[]> origins = new HashMap<>();
        Map<String, long[]> targets = new HashMap<>();
        for (String d : dumps) {
            for (String line : d.split("\n")) {
                String[] w = line.trim().split(" ");
                if (w.length != 6) {
                    continue;
                }
                String key = w[2] + "/" + w[3];
                long[] v = {Long.parseLong(w[4]), Long.parseLong(w[5])};
                (w[1].equals("origin") ? origins : targets).put(key, v);
            }
        }
        MigrationSamples s = new MigrationSamples();
        for (Map.Entry<String, long[]> e : origins.entrySet()) {
            long[] t = targets.get(e.getKey());
            if (t != null) {
                s.samples.add(new long[] {t[0] - e.getValue()[0], t[1] + e.getValue()[1]});
            }
        }
        return s;
    }

    public int count() {
        return samples.size();
    }

    /** {@code p50}, {@code p99} (and {@code mean}, {@code max}) in microseconds, 2 decimals. */
    public Map<String, Object> e2eMicros() {
        return stats(0);
    }

    public Map<String, Object> cpuMicros() {
        return stats(1);
    }

    private Map<String, Object> stats(int k) {
        long[] v = samples.stream().mapToLong(a -> a[k]).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", micros(percentile(v, 50)));
        m.put("p99", micros(percentile(v, 99)));
        m.put("mean", micros(v.length == 0 ? 0 : (long) Arrays.stream(v).average().orElse(0)));
        m.put("max", micros(v.length == 0 ? 0 : v[v.length - 1]));
        return m;
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double micros(long nanos) {
        return Math.round(nanos / 10.0) / 100.0;
    }
}
