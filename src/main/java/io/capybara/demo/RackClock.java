package io.capybara.demo;

import java.util.function.LongSupplier;

/**
 * The step clock handed to the migration engines' {@code MigrationMetrics}: the virtual time
 * of the server poll in progress plus the wall time elapsed inside that poll. So a migration
 * step (pure computation within one poll) is timed by {@link System#nanoTime()}, i.e. what it
 * really costs on this JVM, while a span across polls (the blackout, from the target's
 * PREPARE_MIG_ACK until it serves the connection) is virtual time, plus at most a poll's worth
 * of wall-clock noise. Nothing in the simulation decides on it, so runs stay deterministic;
 * only these reported timings vary from run to run.
 */
final class RackClock implements LongSupplier {
    private long base;
    private long wallAtBase;

    /** A server poll at virtual {@code nowNanos} begins. */
    void enter(long nowNanos) {
        base = nowNanos;
        wallAtBase = System.nanoTime();
    }

    @Override
    public long getAsLong() {
        return base + (System.nanoTime() - wallAtBase);
    }
}
