package io.capybara.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-migration server overhead of one system at one queue size: the total of every migration
 * and each step's share, in nanoseconds, in migration order.
 *
 * @param steps    step name -> per-migration nanoseconds (same length as totals), in step order
 * @param verified migrations whose connection was checked by content afterwards
 * @param gc       garbage collections that happened while migrations were being timed
 * @param uncounted totals of the hand-offs migrated and checked but left out (one per batch,
 *                  right after the untimed setup), so the report can show what was left out
 */
public record OverheadRun(String system, int queueBytes, long[] totals, Map<String, long[]> steps, int verified,
                          GcPauses gc, long[] uncounted) {
    public OverheadRun(String system, int queueBytes, long[] totals, Map<String, long[]> steps, int verified) {
        this(system, queueBytes, totals, steps, verified, GcPauses.NONE, new long[0]);
    }

    public OverheadRun {
        steps = new LinkedHashMap<>(steps);
        for (Map.Entry<String, long[]> e : steps.entrySet()) {
            if (e.getValue().length != totals.length) {
                throw new IllegalArgumentException("step " + e.getKey() + " has " + e.getValue().length
                        + " samples, totals " + totals.length);
            }
        }
    }

    public int count() {
        return totals.length;
    }

    public double meanMicros() {
        return Stats.meanMicros(totals);
    }

    /** Share of the largest samples {@link #trimmedMeanMicros()} leaves out: 0.1 %. */
    public static final double TRIM = 0.001;

    public double trimmedMeanMicros() {
        return Stats.trimmedMeanMicros(totals, TRIM);
    }

    public double percentileMicros(double p) {
        return Stats.percentileMicros(totals, p);
    }
}
