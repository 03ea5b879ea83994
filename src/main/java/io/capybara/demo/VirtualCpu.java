package io.capybara.demo;

/**
 * One server core in virtual time: run to completion, so work charged to it pushes the moment
 * it is free again ({@link #cursor()}) into the future; until then the server does not poll.
 * Counts its busy time for utilisation.
 */
final class VirtualCpu {
    private long now;
    private long freeAt;
    private long busyNanos;

    /** The simulator's time of the current poll. */
    long now() {
        return now;
    }

    void now(long nanos) {
        now = nanos;
    }

    /** When the CPU has finished everything charged so far (never before {@link #now()}). */
    long cursor() {
        return Math.max(now, freeAt);
    }

    boolean busy() {
        return freeAt > now;
    }

    /** Spends {@code nanos} of CPU after what is already charged. */
    void charge(long nanos) {
        freeAt = cursor() + nanos;
        busyNanos += nanos;
    }

    long busyNanos() {
        return busyNanos;
    }
}
