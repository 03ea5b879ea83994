package io.capybara.sim;

/**
 * Simulated time in nanoseconds. Only the {@link Simulator} moves it, and only forward, so a run
 * is a pure function of its seed.
 */
public final class VirtualClock {
    private long nowNanos;

    public VirtualClock(long startNanos) {
        this.nowNanos = startNanos;
    }

    public long nanos() {
        return nowNanos;
    }

    /** Moves time to {@code nanos}; going backwards is a simulator bug. */
    public void advanceTo(long nanos) {
        if (nanos < nowNanos) {
            throw new IllegalArgumentException("time goes forward only: " + nanos + " < " + nowNanos);
        }
        nowNanos = nanos;
    }
}
