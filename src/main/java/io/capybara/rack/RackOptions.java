package io.capybara.rack;

/**
 * What {@link RackSimulation#run} builds and does.
 *
 * @param seed               everything random in the run derives from it
 * @param servers            server hosts behind the switch (with engines)
 * @param clientHosts        client hosts behind the switch
 * @param slotsPerClient     concurrent connections per client host; a finished connection is
 *                           replaced by a new one while migrations remain to be started
 * @param bytesEachWay       stream length per connection, each direction
 * @param migrations         migrations to start (manual trigger plus policy)
 * @param triggerIntervalNanos time between manual migrations
 * @param policy             heartbeats and the load policy on (in addition to the trigger)
 * @param loss               per-frame loss on every link (data and control alike)
 * @param duplicate          per-frame duplication
 * @param reorder            per-frame reordering (extra delay {@code reorderDelayNanos})
 * @param reorderDelayNanos  extra delay of a reordered frame
 * @param linkDelayNanos     one-way delay host <-> switch
 * @param directoryLevels    switch directory levels (1 = small, collisions matter)
 * @param directoryJunk      fraction of level-0 slots pre-filled with foreign keys
 * @param clientAbortFraction fraction of connections the client aborts (RST) mid-stream
 * @param targetRestarts     times a random server's migration layer forgets its target side
 *                           (prepared buffers, partial state, outcomes) during the run: a target
 *                           dying after PREPARE_MIG_ACK or after part of the state
 * @param paceBytesPerMs     per connection and direction, bytes the client may send and read per
 *                           millisecond (0 = as fast as TCP goes); keeps the simulated data
 *                           volume, and so the run time, proportional to the migrations
 * @param timeLimitNanos     virtual time limit
 * @param corrupt            per-frame probability of one flipped bit (every checksum must catch it)
 * @param vip                load-balancer mode: clients connect to a VIP and the switch places them
 *                           (Maglev over the servers heartbeating); the last server's heartbeats are
 *                           held back for the first quarter of the run (it joins late) and the
 *                           third (it leaves the placement, keeping its connections, and rejoins)
 */
public record RackOptions(long seed, int servers, int clientHosts, int slotsPerClient, long bytesEachWay,
                          int migrations, long triggerIntervalNanos, boolean policy, double loss, double duplicate,
                          double reorder, long reorderDelayNanos, long linkDelayNanos, int directoryLevels,
                          double directoryJunk, double clientAbortFraction, int targetRestarts, long paceBytesPerMs,
                          long timeLimitNanos, double corrupt, boolean vip) {

    public RackOptions {
        if (servers < 2 || servers > 16 || clientHosts < 1 || slotsPerClient < 1 || bytesEachWay < 0
                || migrations < 0 || triggerIntervalNanos <= 0) {
            throw new IllegalArgumentException("bad rack options " + this);
        }
    }

    /** 3 servers, 2 client hosts with 24 connections each, 10,000 migrations, no faults. */
    public static RackOptions defaults() {
        return new RackOptions(1, 3, 2, 24, 256 * 1024, 10_000, 10_000, true, 0, 0, 0, 0, 2_000, 2, 0, 0, 0,
                8 * 1024, 120_000_000_000L, 0, false);
    }

    /**
     * Loss, duplication, reordering and bit flips on every link, a crowded one-level directory,
     * client aborts.
     */
    public RackOptions withFaults() {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations,
                triggerIntervalNanos * 2, policy, 0.01, 0.01, 0.01, 30_000, linkDelayNanos, 1, 0.02, 0.05,
                Math.max(targetRestarts, 20), paceBytesPerMs, timeLimitNanos, Math.max(corrupt, 0.001), vip);
    }

    public RackOptions withSeed(long s) {
        return new RackOptions(s, servers, clientHosts, slotsPerClient, bytesEachWay, migrations,
                triggerIntervalNanos, policy, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos,
                directoryLevels, directoryJunk, clientAbortFraction, targetRestarts,
                paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }

    public RackOptions withMigrations(int n) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, n, triggerIntervalNanos,
                policy, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos, directoryLevels, directoryJunk,
                clientAbortFraction, targetRestarts, paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }

    public RackOptions withConnections(int slots, long bytes) {
        return new RackOptions(seed, servers, clientHosts, slots, bytes, migrations, triggerIntervalNanos, policy,
                loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos, directoryLevels, directoryJunk,
                clientAbortFraction, targetRestarts, paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }

    public RackOptions withLinkFaults(double l, double d, double r) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations,
                triggerIntervalNanos, policy, l, d, r, r > 0 ? Math.max(reorderDelayNanos, 30_000) : reorderDelayNanos,
                linkDelayNanos, directoryLevels, directoryJunk, clientAbortFraction, targetRestarts,
                paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }

    public RackOptions withDirectory(int levels, double junk) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations,
                triggerIntervalNanos, policy, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos, levels, junk,
                clientAbortFraction, targetRestarts, paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }

    public RackOptions withClientAborts(double fraction) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations,
                triggerIntervalNanos, policy, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos,
                directoryLevels, directoryJunk, fraction, targetRestarts, paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }

    public RackOptions withTargetRestarts(int n) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations,
                triggerIntervalNanos, policy, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos,
                directoryLevels, directoryJunk, clientAbortFraction, n, paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }

    public RackOptions withPace(long bytesPerMs) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations,
                triggerIntervalNanos, policy, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos,
                directoryLevels, directoryJunk, clientAbortFraction, targetRestarts,
                bytesPerMs, timeLimitNanos, corrupt, vip);
    }

    /** Load-balancer mode ({@code vip} above). */
    public RackOptions withVip(boolean on) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations, triggerIntervalNanos,
                policy, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos, directoryLevels, directoryJunk,
                clientAbortFraction, targetRestarts, paceBytesPerMs, timeLimitNanos, corrupt, on);
    }

    public RackOptions withTrigger(long intervalNanos, boolean policyOn) {
        return new RackOptions(seed, servers, clientHosts, slotsPerClient, bytesEachWay, migrations, intervalNanos,
                policyOn, loss, duplicate, reorder, reorderDelayNanos, linkDelayNanos, directoryLevels, directoryJunk,
                clientAbortFraction, targetRestarts, paceBytesPerMs, timeLimitNanos, corrupt, vip);
    }
}
