package io.capybara.demo;

/**
 * Everything one rack run depends on. Times are virtual nanoseconds unless the name says
 * otherwise. Start from {@link #defaults()} and use the withers; the same options give the same
 * run, bit for bit.
 *
 * @param servers                 servers behind the switch
 * @param connections             client connections, placed statically in equal contiguous
 *                                blocks of Zipf rank (the hottest block on server 0)
 * @param requestsPerSecond       offered load over the whole rack (Poisson arrivals)
 * @param durationNanos           length of the arrival schedule of one phase; the run then
 *                                drains until every request is answered
 * @param skew                    Zipf exponent over the connections (0 = uniform)
 * @param serviceMicros           CPU demand of one request on its server
 * @param responseBytes           N of every {@code GET /bytes/N}
 * @param linkDelayNanos          one-way delay of every cable (host to switch)
 * @param seed                    seeds the schedule, the links, the ISNs and the trigger
 * @param policyIntervalNanos     how often each server's migration policy looks
 * @param highBacklogMicros       a server sheds connections above this backlog (queued work)
 * @param lowBacklogMicros        ... until its backlog falls below this (hysteresis)
 * @param cooldownNanos           a connection that moved is not moved again by the policy for this long
 * @param heartbeatNanos          HEARTBEAT period of each server
 * @param originCpuNanos          modelled CPU time a migration costs its origin (serialize, send)
 * @param targetCpuNanos          modelled CPU time a migration costs its target (restore, replay)
 * @param extraMigrationDelayMicros injected per-migration delay: extra CPU busy time on the origin
 *                                when it serializes the connection; CONN_STATE leaves after it
 *                                (the paper's Fig. 1 knob); the engines' control timeouts and
 *                                the policy's marks and interval are raised to match
 *                                ({@link DemoRack#migrationConfig})
 * @param manualMigrationsPerSecond migrations triggered by hand on top of the policy: each one
 *                                moves a random connection of a random server (0 = none)
 */
public record DemoOptions(int servers, int connections, double requestsPerSecond, long durationNanos, double skew,
                          long serviceMicros, long responseBytes, long linkDelayNanos, long seed,
                          long policyIntervalNanos, long highBacklogMicros, long lowBacklogMicros,
                          long cooldownNanos, long heartbeatNanos, long originCpuNanos, long targetCpuNanos,
                          long extraMigrationDelayMicros, double manualMigrationsPerSecond) {

    public DemoOptions {
        if (servers < 1 || servers > 64) {
            throw new IllegalArgumentException("servers must be 1..64: " + servers);
        }
        if (connections < servers || connections > 16_384) {
            throw new IllegalArgumentException("connections must be servers..16384: " + connections);
        }
        if (!(requestsPerSecond > 0) || Double.isInfinite(requestsPerSecond)) {
            throw new IllegalArgumentException("rate must be > 0: " + requestsPerSecond);
        }
        if (durationNanos <= 0 || serviceMicros < 0 || responseBytes < 0 || linkDelayNanos < 0
                || extraMigrationDelayMicros < 0 || manualMigrationsPerSecond < 0 || originCpuNanos < 0
                || targetCpuNanos < 0 || lowBacklogMicros > highBacklogMicros || !(skew >= 0)) {
            throw new IllegalArgumentException("bad demo options " + this);
        }
    }

    /**
     * The README demo: 2 servers of 10 us per request (100 k requests/s each), 150 connections
     * with Zipf 0.9 skew at 130 k requests/s, i.e. the rack at 65 % but server 0 at 110 % under
     * static placement; 1.5 virtual seconds per phase (about 195 k requests). {@code ./capybara
     * demo} runs 3 virtual seconds per phase by default, about 15 s of wall time in all on the
     * shared 2-core development machine.
     */
    public static DemoOptions defaults() {
        return new DemoOptions(2, 150, 130_000, 1_500_000_000L, 0.9, 10, 64, 2_000, 42,
                100_000, 200, 50, 20_000_000L, 100_000, 2_000, 1_700, 0, 0);
    }

    /** Capacity of the whole rack in requests per second (infinite with no service time). */
    public double rackCapacity() {
        return serviceMicros == 0 ? Double.POSITIVE_INFINITY : servers * 1e6 / serviceMicros;
    }

    /** The server a connection is placed on statically: contiguous blocks of Zipf rank. */
    public int homeServer(int connection) {
        return (int) ((long) connection * servers / connections);
    }

    public DemoOptions withServers(int n) {
        return new DemoOptions(n, connections, requestsPerSecond, durationNanos, skew, serviceMicros, responseBytes,
                linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros, cooldownNanos,
                heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, manualMigrationsPerSecond);
    }

    public DemoOptions withConnections(int n) {
        return new DemoOptions(servers, n, requestsPerSecond, durationNanos, skew, serviceMicros, responseBytes,
                linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros, cooldownNanos,
                heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, manualMigrationsPerSecond);
    }

    public DemoOptions withRate(double rps) {
        return new DemoOptions(servers, connections, rps, durationNanos, skew, serviceMicros, responseBytes,
                linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros, cooldownNanos,
                heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, manualMigrationsPerSecond);
    }

    public DemoOptions withDuration(long nanos) {
        return new DemoOptions(servers, connections, requestsPerSecond, nanos, skew, serviceMicros, responseBytes,
                linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros, cooldownNanos,
                heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, manualMigrationsPerSecond);
    }

    public DemoOptions withSkew(double s) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, s, serviceMicros, responseBytes,
                linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros, cooldownNanos,
                heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, manualMigrationsPerSecond);
    }

    public DemoOptions withServiceMicros(long us) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, skew, us, responseBytes,
                linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros, cooldownNanos,
                heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, manualMigrationsPerSecond);
    }

    public DemoOptions withSeed(long s) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, skew, serviceMicros,
                responseBytes, linkDelayNanos, s, policyIntervalNanos, highBacklogMicros, lowBacklogMicros,
                cooldownNanos, heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros,
                manualMigrationsPerSecond);
    }

    public DemoOptions withLinkDelay(long nanos) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, skew, serviceMicros,
                responseBytes, nanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros,
                cooldownNanos, heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros,
                manualMigrationsPerSecond);
    }

    public DemoOptions withPolicy(long intervalNanos, long highMicros, long lowMicros, long cooldown) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, skew, serviceMicros,
                responseBytes, linkDelayNanos, seed, intervalNanos, highMicros, lowMicros, cooldown, heartbeatNanos,
                originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, manualMigrationsPerSecond);
    }

    /**
     * The load policy never sheds (thresholds at infinity): migrations happen only by the manual
     * trigger, as in the paper's Fig. 1 experiment, where a fixed stream of migrations meets
     * a growing per-migration delay. With the policy on, a long delay feeds back: a stalled
     * server looks loaded and sheds more connections, each stalling it again.
     */
    public DemoOptions withoutPolicy() {
        return withPolicy(policyIntervalNanos, Long.MAX_VALUE, Long.MAX_VALUE, cooldownNanos);
    }

    /** True when the load policy can shed connections. */
    public boolean policyEnabled() {
        return highBacklogMicros != Long.MAX_VALUE;
    }

    public DemoOptions withMigrationCpu(long originNanos, long targetNanos) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, skew, serviceMicros,
                responseBytes, linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros,
                cooldownNanos, heartbeatNanos, originNanos, targetNanos, extraMigrationDelayMicros,
                manualMigrationsPerSecond);
    }

    public DemoOptions withExtraMigrationDelayMicros(long us) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, skew, serviceMicros,
                responseBytes, linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros,
                cooldownNanos, heartbeatNanos, originCpuNanos, targetCpuNanos, us, manualMigrationsPerSecond);
    }

    public DemoOptions withManualMigrations(double perSecond) {
        return new DemoOptions(servers, connections, requestsPerSecond, durationNanos, skew, serviceMicros,
                responseBytes, linkDelayNanos, seed, policyIntervalNanos, highBacklogMicros, lowBacklogMicros,
                cooldownNanos, heartbeatNanos, originCpuNanos, targetCpuNanos, extraMigrationDelayMicros, perSecond);
    }
}
