package io.capybara.app;

/**
 * The open-loop load generator's dispatch step: every request whose intended time has come
 * goes onto its connection's outbound queue, whether earlier requests were answered or not.
 * A request that cannot be queued (connection failed, closing, or at its outstanding limit) is
 * counted as an error at once and never retried: the offered load stays what the schedule says.
 * Sans-IO: the caller moves each {@link LoadConnection}'s bytes through its transport.
 */
public final class LoadGenerator {
    private final OpenLoopSchedule schedule;
    private final LoadConnection[] connections;
    private final long bytesCount;
    private final long endNanos;
    private final LatencyRecorder recorder;
    private long issued;
    private long dropped;

    /**
     * @param connections one per index of the schedule's skew
     * @param bytesCount  N of every {@code GET /bytes/N}
     * @param endNanos    no request is issued with an intended time at or after this
     */
    public LoadGenerator(OpenLoopSchedule schedule, LoadConnection[] connections, long bytesCount, long endNanos,
                         LatencyRecorder recorder) {
        if (connections.length != schedule.skew().connections()) {
            throw new IllegalArgumentException(connections.length + " connections for a skew over "
                    + schedule.skew().connections());
        }
        this.schedule = schedule;
        this.connections = connections;
        this.bytesCount = bytesCount;
        this.endNanos = endNanos;
        this.recorder = recorder;
    }

    /** Queues every request due at {@code nowNanos}; returns how many were queued. */
    public int issueDue(long nowNanos) {
        int queued = 0;
        while (schedule.isDue(nowNanos) && schedule.nextSendTimeNanos() < endNanos) {
            LoadConnection c = connections[schedule.nextConnection()];
            if (c.enqueue(schedule.nextSendTimeNanos(), bytesCount)) {
                queued++;
                issued++;
            } else {
                dropped++;
                recorder.recordError();
            }
            schedule.advance();
        }
        return queued;
    }

    /** When the next request is due (for the caller's idle strategy), or MAX_VALUE after the end. */
    public long nextDueNanos() {
        long t = schedule.nextSendTimeNanos();
        return t < endNanos ? t : Long.MAX_VALUE;
    }

    /** True once the schedule has ended and no request is outstanding on a live connection. */
    public boolean isDone() {
        if (schedule.nextSendTimeNanos() < endNanos) {
            return false;
        }
        for (LoadConnection c : connections) {
            if (c.outstanding() > 0) {
                return false;
            }
        }
        return true;
    }

    public long issued() {
        return issued;
    }

    /** Requests that could not be queued, counted as errors. */
    public long dropped() {
        return dropped;
    }

    public LoadConnection connection(int index) {
        return connections[index];
    }

    public LatencyRecorder recorder() {
        return recorder;
    }
}
