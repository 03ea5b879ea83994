package io.capybara.app;

import java.util.SplittableRandom;

/**
 * The open-loop arrival process of the load generator (as the Caladan generator in the paper):
 * Poisson arrivals at a fixed total rate, i.e. exponential inter-arrival times, each request
 * assigned to a connection by a {@link ConnectionSkew}. Requests are due at their scheduled
 * time whether or not earlier ones were answered, so a slow server cannot slow the offered load
 * down (no coordinated omission); record latency from {@link #nextSendTimeNanos()}.
 *
 * <p>Pure and deterministic per seed: arrival times and connection choices come from two
 * independent streams split from the seed, so changing the skew leaves the arrival times as
 * they were. Read the next request with {@link #nextSendTimeNanos()} / {@link #nextConnection()},
 * then {@link #advance()}.
 */
public final class OpenLoopSchedule implements ArrivalSchedule {
    private final SplittableRandom arrivals;
    private final SplittableRandom choices;
    private final ConnectionSkew skew;
    private final long startNanos;
    private final double meanGapNanos;

    /** Offset of the next request from startNanos; a double so rounding never accumulates. */
    private double offsetNanos;
    private long nextSendTime;
    private int nextConnection;
    private long issued;

    /**
     * @param startNanos        time origin; the first request comes one exponential gap after it
     * @param requestsPerSecond total offered rate over all connections
     */
    public OpenLoopSchedule(long startNanos, double requestsPerSecond, ConnectionSkew skew, long seed) {
        if (!(requestsPerSecond > 0) || Double.isInfinite(requestsPerSecond)) {
            throw new IllegalArgumentException("requestsPerSecond must be finite and > 0: " + requestsPerSecond);
        }
        SplittableRandom root = new SplittableRandom(seed);
        this.arrivals = root.split();
        this.choices = root.split();
        this.skew = skew;
        this.startNanos = startNanos;
        this.meanGapNanos = 1e9 / requestsPerSecond;
        draw();
    }

    /** Uniform spread over {@code connections}. */
    public static OpenLoopSchedule uniform(long startNanos, double requestsPerSecond, int connections, long seed) {
        return new OpenLoopSchedule(startNanos, requestsPerSecond, new UniformSkew(connections), seed);
    }

    /** Zipf spread over {@code connections} with exponent {@code s} (connection 0 hottest). */
    public static OpenLoopSchedule zipf(long startNanos, double requestsPerSecond, int connections, double s,
                                        long seed) {
        return new OpenLoopSchedule(startNanos, requestsPerSecond, new ZipfSkew(connections, s), seed);
    }

    private void draw() {
        // 1 - u lies in (0, 1]: the log is finite
        offsetNanos += -Math.log(1.0 - arrivals.nextDouble()) * meanGapNanos;
        nextSendTime = startNanos + Math.round(offsetNanos);
        nextConnection = skew.sample(choices);
    }

    /** Intended send time of the next request. Non-decreasing. */
    @Override
    public long nextSendTimeNanos() {
        return nextSendTime;
    }

    /** Connection of the next request, in {@code [0, connections)}. */
    @Override
    public int nextConnection() {
        return nextConnection;
    }

    /** True when the next request's intended time has come. */
    @Override
    public boolean isDue(long nowNanos) {
        return nextSendTime <= nowNanos;
    }

    /** Moves on to the following request. */
    @Override
    public void advance() {
        issued++;
        draw();
    }

    /** Requests advanced past so far. */
    public long issued() {
        return issued;
    }

    public double meanInterArrivalNanos() {
        return meanGapNanos;
    }

    public ConnectionSkew skew() {
        return skew;
    }
}
