package io.capybara.mig;

import java.util.function.LongSupplier;
import jdk.jfr.EventType;
import org.HdrHistogram.Histogram;
import org.agrona.collections.Long2LongHashMap;

/**
 * Where migrations are timed: one HdrHistogram per {@link MigrationStep}, one for the server
 * overhead of a migration (the sum of its steps on origin and target) and one for the
 * blackout (the target's PREPARE_MIG_ACK leaving, i.e. the switch redirecting the connection,
 * until the target serves it). The time source is injected: {@code System::nanoTime} for
 * benchmarks, a constant or the virtual clock in the simulator; protocol decisions never read
 * it. Engines of one process may share one instance, which is how origin and target halves of
 * a migration are added up. Single-threaded, like the engines.
 *
 * <p>Recording is deferred: a sample goes into a flat array and is folded into its histogram
 * later (when a histogram is read, the array is full, or {@link #flush()} runs from an idle
 * poll). A histogram of this range is about 200 KB, so recording straight into 15 of them
 * costs a cache miss per sample inside the very steps being timed.
 */
public final class MigrationMetrics {
    private static final long HIGHEST = 60_000_000_000L;
    private static final int PENDING_LIMIT = 1 << 16;
    private static final EventType JFR = EventType.getEventType(MigrationStepEvent.class);
    private static final int PENDING_SAMPLES = 1 << 14;
    /** Sample kinds past the step ordinals (a kind sits in a sample's top byte). */
    private static final int OVERHEAD_KIND = 0x7E;
    private static final int BLACKOUT_KIND = 0x7F;
    private static final int KIND_SHIFT = 56;

    private final LongSupplier clock;
    private final Histogram[] steps = new Histogram[MigrationStep.ALL.length];
    private final Histogram overhead = new Histogram(HIGHEST, 3);
    private final Histogram blackout = new Histogram(HIGHEST, 3);
    /** Per migration (origin ip, id): the first half's overhead, until the other half reports. */
    private final Long2LongHashMap pendingOverhead = new Long2LongHashMap(-1);
    private final Long2LongHashMap blackoutStart = new Long2LongHashMap(-1);
    /** Samples not yet in a histogram: kind << 56 | nanos. */
    private final long[] samples = new long[PENDING_SAMPLES];
    private int sampleCount;

    /** Sees each recorded step and each migration's summed overhead, e.g. to keep per-migration samples. */
    public interface Observer {
        default void step(MigrationStep step, long nanos) {
        }

        default void overhead(long nanos) {
        }

        /**
         * One side of a completed migration (origin {@code originIp}, id {@code id}): the origin
         * reports when CONN_STATE_ACK arrives, with {@code atNanos} its decision time; the target
         * reports when it serves the connection, with {@code atNanos} that moment. Both carry the
         * side's CPU time in migration code. Across processes on one machine the two clocks are
         * one (CLOCK_MONOTONIC), so target time less origin time is the end-to-end latency.
         */
        default void half(int originIp, int id, boolean origin, long atNanos, long cpuNanos) {
        }

        /**
         * The origin's outcome of one migration of client {@code clientIp:clientPort} towards
         * {@code targetIp} (0: none chosen yet): {@code COMPLETED}, an {@code ABORTED_*} or a
         * {@code REJECTED_*} counter; {@code nanos} from the decision until now. Called from
         * control-message handling: record it, do not log or allocate here.
         */
        default void outcome(int clientIp, int clientPort, int targetIp, MigCounter outcome, long nanos) {
        }

        /** Both observers, {@code a} first. */
        static Observer both(Observer a, Observer b) {
            return new Observer() {
                @Override
                public void step(MigrationStep step, long nanos) {
                    a.step(step, nanos);
                    b.step(step, nanos);
                }

                @Override
                public void overhead(long nanos) {
                    a.overhead(nanos);
                    b.overhead(nanos);
                }

                @Override
                public void half(int originIp, int id, boolean origin, long atNanos, long cpuNanos) {
                    a.half(originIp, id, origin, atNanos, cpuNanos);
                    b.half(originIp, id, origin, atNanos, cpuNanos);
                }

                @Override
                public void outcome(int clientIp, int clientPort, int targetIp, MigCounter outcome, long nanos) {
                    a.outcome(clientIp, clientPort, targetIp, outcome, nanos);
                    b.outcome(clientIp, clientPort, targetIp, outcome, nanos);
                }
            };
        }
    }

    private Observer observer;

    public MigrationMetrics(LongSupplier clock) {
        this.clock = clock;
        for (int i = 0; i < steps.length; i++) {
            steps[i] = new Histogram(HIGHEST, 3);
        }
    }

    /** Metrics that measure nothing (every step takes 0 ns): for simulations that want speed. */
    public static MigrationMetrics constant() {
        return new MigrationMetrics(() -> 0L);
    }

    public long now() {
        return clock.getAsLong();
    }

    static long key(int originIp, int migrationId) {
        return (long) originIp << 32 | (migrationId & 0xFFFF_FFFFL);
    }

    /**
     * Records a step that started at {@code startNanos} (of this clock) and ends now; returns
     * the end, which is the start of the next step when steps follow each other (one clock read
     * per step).
     */
    long lap(MigrationStep step, int serverIp, int migrationId, long startNanos) {
        long end = clock.getAsLong();
        record(step, serverIp, migrationId, end - startNanos);
        return end;
    }

    /** Records a step that started at {@code startNanos} and ends now; returns its duration. */
    long step(MigrationStep step, int serverIp, int migrationId, long startNanos) {
        long d = Math.max(0, clock.getAsLong() - startNanos);
        record(step, serverIp, migrationId, d);
        return d;
    }

    /** Records a step of known duration. */
    void record(MigrationStep step, int serverIp, int migrationId, long nanos) {
        long d = Math.max(0, nanos);
        defer(step.ordinal(), d);
        if (observer != null) {
            observer.step(step, d);
        }
        if (JFR.isEnabled()) {
            MigrationStepEvent e = new MigrationStepEvent();
            e.step = step.jsonName();
            e.migrationId = migrationId;
            e.serverIp = serverIp;
            e.durationNanos = d;
            e.commit();
        }
    }

    /** One side's share of a migration's server overhead; the sum is recorded when both reported. */
    void overheadPart(long migration, long nanos) {
        long other = pendingOverhead.remove(migration);
        if (other >= 0) {
            defer(OVERHEAD_KIND, other + nanos);
            if (observer != null) {
                observer.overhead(other + nanos);
            }
            return;
        }
        if (pendingOverhead.size() >= PENDING_LIMIT) {
            pendingOverhead.clear(); // halves of aborted migrations never pair up
        }
        pendingOverhead.put(migration, nanos);
    }

    void half(int originIp, int id, boolean origin, long atNanos, long cpuNanos) {
        if (observer != null) {
            observer.half(originIp, id, origin, atNanos, cpuNanos);
        }
    }

    void outcome(int clientIp, int clientPort, int targetIp, MigCounter outcome, long decidedAt) {
        if (observer != null) {
            observer.outcome(clientIp, clientPort, targetIp, outcome, now() - decidedAt);
        }
    }

    /** The observer (null: none). */
    public Observer observer() {
        return observer;
    }

    void forget(long migration) {
        pendingOverhead.remove(migration);
        blackoutStart.remove(migration);
    }

    void blackoutStarts(long migration, long atNanos) {
        if (blackoutStart.size() >= PENDING_LIMIT) {
            blackoutStart.clear();
        }
        blackoutStart.put(migration, atNanos);
    }

    void blackoutEnds(long migration, long atNanos) {
        long start = blackoutStart.remove(migration);
        if (start >= 0) {
            defer(BLACKOUT_KIND, Math.max(0, atNanos - start));
        }
    }

    private void defer(int kind, long nanos) {
        if (sampleCount == samples.length) {
            flush();
        }
        samples[sampleCount++] = (long) kind << KIND_SHIFT | Math.min(nanos, HIGHEST);
    }

    /** An idle engine's chance to fold samples, in batches so that each fold is worth its misses. */
    void flushWhenIdle() {
        if (sampleCount >= 1024) {
            flush();
        }
    }

    /** Folds the deferred samples into the histograms. */
    public void flush() {
        long mask = (1L << KIND_SHIFT) - 1;
        for (int i = 0; i < sampleCount; i++) {
            long v = samples[i];
            int kind = (int) (v >>> KIND_SHIFT);
            Histogram h = kind == OVERHEAD_KIND ? overhead : kind == BLACKOUT_KIND ? blackout : steps[kind];
            h.recordValue(v & mask);
        }
        sampleCount = 0;
    }

    /** Sets (or with null removes) the one observer. */
    public void observer(Observer o) {
        this.observer = o;
    }

    public Histogram step(MigrationStep step) {
        flush();
        return steps[step.ordinal()];
    }

    public Histogram overhead() {
        flush();
        return overhead;
    }

    public Histogram blackout() {
        flush();
        return blackout;
    }

    public void reset() {
        sampleCount = 0;
        for (Histogram h : steps) {
            h.reset();
        }
        overhead.reset();
        blackout.reset();
        pendingOverhead.clear();
        blackoutStart.clear();
    }
}
