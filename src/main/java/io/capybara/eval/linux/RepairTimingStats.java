package io.capybara.eval.linux;

import io.capybara.eval.linux.RepairTimings.ExportStep;
import io.capybara.eval.linux.RepairTimings.ImportStep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

/** Collects {@link RepairTimings} samples and reports per-step percentiles. */
public final class RepairTimingStats {
    private final List<RepairTimings> samples = new ArrayList<>();

    public void add(RepairTimings timings) {
        samples.add(timings.copy());
    }

    public int count() {
        return samples.size();
    }

    public long percentile(ExportStep step, double p) {
        return percentile(t -> t.nanos(step), p);
    }

    public long percentile(ImportStep step, double p) {
        return percentile(t -> t.nanos(step), p);
    }

    public long exportTotalPercentile(double p) {
        return percentile(RepairTimings::exportTotalNanos, p);
    }

    public long importTotalPercentile(double p) {
        return percentile(RepairTimings::importTotalNanos, p);
    }

    public long totalPercentile(double p) {
        return percentile(RepairTimings::totalNanos, p);
    }

    /** Nearest-rank percentile, p in [0, 100]. */
    public long percentile(ToLongFunction<RepairTimings> metric, double p) {
        if (samples.isEmpty()) {
            throw new IllegalStateException("no samples");
        }
        long[] v = samples.stream().mapToLong(metric).toArray();
        Arrays.sort(v);
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }

    /** A table: step, median, p90, p99 in microseconds. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-22s %10s %10s %10s%n", "step (n=" + count() + ")", "median us", "p90 us", "p99 us"));
        for (ExportStep s : ExportStep.values()) {
            row(sb, "export." + s, t -> t.nanos(s));
        }
        row(sb, "export total", RepairTimings::exportTotalNanos);
        for (ImportStep s : ImportStep.values()) {
            row(sb, "import." + s, t -> t.nanos(s));
        }
        row(sb, "import total", RepairTimings::importTotalNanos);
        row(sb, "export+import", RepairTimings::totalNanos);
        return sb.toString();
    }

    private void row(StringBuilder sb, String name, ToLongFunction<RepairTimings> metric) {
        sb.append(String.format(Locale.ROOT, "%-22s %10.1f %10.1f %10.1f%n", name,
                percentile(metric, 50) / 1000.0, percentile(metric, 90) / 1000.0, percentile(metric, 99) / 1000.0));
    }
}
