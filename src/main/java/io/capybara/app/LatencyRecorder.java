package io.capybara.app;

import org.HdrHistogram.Histogram;

/**
 * Response latency of an open-loop run, measured from each request's INTENDED send time (its
 * slot in the {@link OpenLoopSchedule}), not from when it was actually written: if the
 * generator or the server stalls, every request scheduled during the stall is charged the
 * stall, which is what an open-loop client would have seen (no coordinated omission).
 *
 * <p>An HdrHistogram in nanoseconds with a fixed range (default 1 ns .. 60 s, 3 significant
 * digits): recording never allocates. Values above the range are clamped to its top and
 * counted in {@link #saturated()}. Not thread-safe: one per generator thread, merged with
 * {@link #add}.
 */
public final class LatencyRecorder {
    public static final long DEFAULT_HIGHEST_NANOS = 60_000_000_000L;
    public static final int DEFAULT_SIGNIFICANT_DIGITS = 3;

    private final Histogram histogram;
    private final long highest;
    private long errors;
    private long saturated;

    public LatencyRecorder() {
        this(DEFAULT_HIGHEST_NANOS, DEFAULT_SIGNIFICANT_DIGITS);
    }

    public LatencyRecorder(long highestTrackableNanos, int significantDigits) {
        this.histogram = new Histogram(1, highestTrackableNanos, significantDigits);
        this.highest = highestTrackableNanos;
    }

    /** Records one completed response: latency = {@code completedNanos - intendedSendNanos}. */
    public void recordResponse(long intendedSendNanos, long completedNanos) {
        long latency = Math.max(0, completedNanos - intendedSendNanos);
        if (latency > highest) {
            latency = highest;
            saturated++;
        }
        histogram.recordValue(latency);
    }

    /** Counts one failed request (error status, broken connection, bad content). */
    public void recordError() {
        errors++;
    }

    public long completed() {
        return histogram.getTotalCount();
    }

    public long errors() {
        return errors;
    }

    /** Latencies clamped to the histogram's highest trackable value. */
    public long saturated() {
        return saturated;
    }

    /** Latency at {@code percentile} (0..100), in ns, to the histogram's precision. */
    public long percentileNanos(double percentile) {
        return histogram.getValueAtPercentile(percentile);
    }

    public long p50Nanos() {
        return percentileNanos(50);
    }

    public long p99Nanos() {
        return percentileNanos(99);
    }

    public long p999Nanos() {
        return percentileNanos(99.9);
    }

    public long maxNanos() {
        return histogram.getMaxValue();
    }

    public double meanNanos() {
        return histogram.getMean();
    }

    /** Completed responses per second over a run of {@code elapsedNanos}. */
    public double throughputPerSecond(long elapsedNanos) {
        return elapsedNanos <= 0 ? 0 : completed() * 1e9 / elapsedNanos;
    }

    /** Adds another recorder's samples and counts into this one. */
    public void add(LatencyRecorder other) {
        histogram.add(other.histogram);
        errors += other.errors;
        saturated += other.saturated;
    }

    public void reset() {
        histogram.reset();
        errors = 0;
        saturated = 0;
    }

    /** The underlying histogram, for exporting full distributions. Do not record into it. */
    public Histogram histogram() {
        return histogram;
    }

    /** The numbers of a run, for reports (allocates: call once at the end). */
    public Summary summary(long elapsedNanos) {
        return new Summary(completed(), errors, throughputPerSecond(elapsedNanos), p50Nanos(), p99Nanos(),
                p999Nanos(), maxNanos(), meanNanos());
    }

    /** One run's results; latencies in nanoseconds. */
    public record Summary(long completed, long errors, double throughputPerSecond, long p50Nanos, long p99Nanos,
                          long p999Nanos, long maxNanos, double meanNanos) {
    }
}
