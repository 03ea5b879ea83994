package io.capybara.eval;

/**
 * The HTTP rack experiment as the tail and skew figures use it: one run at one setting, its
 * request latencies and throughput. {@link SimulatedRack} runs it on the deterministic
 * simulator; tests plug in a model.
 */
public interface RackWorkload {
    /**
     * One run.
     *
     * @param offeredRps          open-loop request rate over the rack
     * @param skew                Zipf exponent over the connections (0 = uniform)
     * @param migration           whether the servers migrate connections
     * @param policy              whether the servers' load policy may start migrations (else only
     *                            the {@code migrationsPerSecond} triggered ones happen)
     * @param migrationsPerSecond migrations triggered on top of the load policy (0 = policy only)
     * @param extraDelayMicros    injected delay per migration (busy origin), the paper's Fig. 1 knob
     * @param leastWorkRoundRobin place connections by least-work round robin (the SIGCOMM'26
     *                            baseline) instead of static rank blocks
     */
    record Params(int connections, double offeredRps, double skew, boolean migration, boolean policy,
                  double migrationsPerSecond,
                  long extraDelayMicros, long durationNanos, long seed, boolean leastWorkRoundRobin) {
        public Params(int connections, double offeredRps, double skew, boolean migration, boolean policy,
                      double migrationsPerSecond, long extraDelayMicros, long durationNanos, long seed) {
            this(connections, offeredRps, skew, migration, policy, migrationsPerSecond, extraDelayMicros, durationNanos,
                    seed, false);
        }

        /** The placement's name in figures and CSV: static, lwrr or migration. */
        public String placementLabel() {
            return migration ? "migration" : leastWorkRoundRobin ? "lwrr" : "static";
        }
    }

    /**
     * @param completedRps requests completed per second of the whole run (schedule and drain):
     *                     falls below the offered rate when the rack cannot keep up
     */
    record Point(Params params, long completed, long errors, double completedRps, double p50Micros,
                 double p99Micros, double p999Micros, long migrations) {
    }

    /** Null if it can run here, else why not. */
    String unavailableReason();

    /** Nominal servers and per-request service time, for the report. */
    String describe();

    /** An offered rate surely above capacity, for measuring it (overload, then see what completes). */
    double overloadRps();

    Point run(Params params);
}
