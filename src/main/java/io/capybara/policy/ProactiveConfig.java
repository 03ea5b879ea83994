package io.capybara.policy;

/**
 * Tunables of {@link ProactivePolicy}. Times in nanoseconds of the caller's clock.
 *
 * @param intervalNanos           how often the policy measures connection rates and decides
 * @param smoothing               weight of the newest measurement in each rate (EWMA, 0..1]
 * @param threshold               act only when (own load - least other load) exceeds this
 *                                fraction of their sum: the dead band that keeps noise from
 *                                causing migrations
 * @param persistence             ... for this many looks in a row (a burst is not a trend)
 * @param connectionIntervalNanos per-connection rate cap: a connection is moved by the policy at
 *                                most once per this long (no ping-pong of one hot connection)
 * @param cooldownNanos           after a migration the server waits this long before the next
 *                                one, so that both servers' measured loads reflect it
 * @param budget                  at most this many migrations per {@code budgetWindowNanos}
 * @param budgetWindowNanos       the budget's window
 */
public record ProactiveConfig(long intervalNanos, double smoothing, double threshold, int persistence,
                              long connectionIntervalNanos,
                              long cooldownNanos, int budget, long budgetWindowNanos) {
    public ProactiveConfig {
        if (intervalNanos <= 0 || !(smoothing > 0 && smoothing <= 1) || !(threshold >= 0 && threshold < 1) || persistence < 1
                || connectionIntervalNanos < 0 || cooldownNanos < 0 || budget < 0 || budgetWindowNanos <= 0) {
            throw new IllegalArgumentException("bad proactive policy settings " + this);
        }
    }

    /**
     * 1 ms looks, rates smoothed over about two looks, a 35% dead band held for 2 looks, a
     * connection moved at most once a second, 5 ms between migrations, at most 20 a second.
     */
    public static ProactiveConfig defaults() {
        return new ProactiveConfig(1_000_000L, 0.5, 0.35, 2, 1_000_000_000L, 5_000_000L, 20, 1_000_000_000L);
    }

    public ProactiveConfig withInterval(long nanos) {
        return new ProactiveConfig(nanos, smoothing, threshold, persistence, connectionIntervalNanos, cooldownNanos, budget,
                budgetWindowNanos);
    }

    public ProactiveConfig withThreshold(double t) {
        return new ProactiveConfig(intervalNanos, smoothing, t, persistence, connectionIntervalNanos, cooldownNanos, budget,
                budgetWindowNanos);
    }

    public ProactiveConfig withBudget(int migrations, long windowNanos) {
        return new ProactiveConfig(intervalNanos, smoothing, threshold, persistence, connectionIntervalNanos, cooldownNanos, migrations,
                windowNanos);
    }

    public ProactiveConfig withCooldown(long nanos) {
        return new ProactiveConfig(intervalNanos, smoothing, threshold, persistence, connectionIntervalNanos, nanos, budget,
                budgetWindowNanos);
    }
}
