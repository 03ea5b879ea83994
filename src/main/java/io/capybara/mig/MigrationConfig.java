package io.capybara.mig;

/**
 * Tunables of one server's migration engine. Times are nanoseconds of the caller's clock (the
 * {@code nowNanos} handed to {@link MigrationEngine#poll}).
 *
 * @param switchIp             where PREPARE_MIG and HEARTBEAT go
 * @param prepareTimeoutNanos  wait for PREPARE_MIG_ACK before resending PREPARE_MIG
 * @param prepareRetries       resends of PREPARE_MIG before the migration is aborted
 * @param stateTimeoutNanos    wait for CONN_STATE_ACK before resending all CONN_STATE fragments
 *                             (doubled after each resend, capped at 8x)
 * @param stateRetries         resends of CONN_STATE before the target is presumed dead
 * @param abortTimeoutNanos    wait for the target's answer to ABORT before resending it
 * @param abortRetries         resends of ABORT
 * @param maxOutgoing          migrations this server runs as origin at once
 * @param tempBufferSlots      migrations this server prepares as target at once (the pool)
 * @param tempBufferFrames     client frames buffered per prepared migration
 * @param tempBufferBytes      bytes buffered per prepared migration
 * @param maxStateBytes        largest CONN_STATE accepted or sent (TCP and application state)
 * @param targetHoldNanos      how long a target keeps a prepared slot waiting for CONN_STATE;
 *                             must exceed the origin's whole CONN_STATE retry budget
 * @param outcomeMemory        finished migrations a target remembers to answer duplicates
 * @param forwardEntries       connections an origin keeps forwarding segments for
 * @param heartbeatIntervalNanos HEARTBEAT period; 0 = no heartbeats
 * @param policyIntervalNanos  how often the load policy looks; 0 = policy off
 * @param highLoad             start shedding connections above this load
 * @param lowLoad              stop shedding below this load (hysteresis)
 * @param cooldownNanos        a connection that moved is not moved again by the policy for this
 *                             long; must exceed the network's largest packet delay
 * @param mtu                  largest IPv4 packet between servers (CONN_STATE fragments fill it):
 *                             1500 by default, up to 9000 on a jumbo-frame rack. Every server of
 *                             a rack must use the same value: a target checks fragment sizes
 *                             against its own, and a mismatch aborts the migration (counted)
 */
public record MigrationConfig(int switchIp, long prepareTimeoutNanos, int prepareRetries, long stateTimeoutNanos,
                              int stateRetries, long abortTimeoutNanos, int abortRetries, int maxOutgoing,
                              int tempBufferSlots, int tempBufferFrames, int tempBufferBytes, int maxStateBytes,
                              long targetHoldNanos, int outcomeMemory, int forwardEntries,
                              long heartbeatIntervalNanos, long policyIntervalNanos, long highLoad, long lowLoad,
                              long cooldownNanos, int mtu) {

    /** Standard Ethernet MTU, the default. */
    public static final int MTU = 1500;
    /** Largest MTU accepted: jumbo frames. */
    public static final int MAX_MTU = 9000;

    public MigrationConfig {
        if (prepareRetries < 0 || stateRetries < 0 || abortRetries < 0 || maxOutgoing < 1 || tempBufferSlots < 1
                || tempBufferFrames < 1 || tempBufferBytes < 1 || maxStateBytes < 1 || outcomeMemory < 1
                || forwardEntries < 1 || lowLoad > highLoad || mtu < 576 || mtu > MAX_MTU) {
            throw new IllegalArgumentException("bad migration config " + this);
        }
    }

    /**
     * Defaults for a rack with microsecond links: 200 us control timeouts, 6 PREPARE resends,
     * 10 CONN_STATE resends (about 12 ms of patience), policy off until thresholds are set.
     */
    public static MigrationConfig defaults(int switchIp) {
        return new MigrationConfig(switchIp, 200_000, 6, 200_000, 10, 200_000, 8, 64, 64, 64, 128 * 1024,
                4 << 20, 50_000_000L, 4096, 65536, 1_000_000L, 0, Long.MAX_VALUE, Long.MAX_VALUE, 2_000_000L, MTU);
    }

    public MigrationConfig withPolicy(long intervalNanos, long high, long low, long cooldown) {
        return new MigrationConfig(switchIp, prepareTimeoutNanos, prepareRetries, stateTimeoutNanos, stateRetries,
                abortTimeoutNanos, abortRetries, maxOutgoing, tempBufferSlots, tempBufferFrames, tempBufferBytes,
                maxStateBytes, targetHoldNanos, outcomeMemory, forwardEntries, heartbeatIntervalNanos, intervalNanos,
                high, low, cooldown, mtu);
    }

    public MigrationConfig withHeartbeat(long intervalNanos) {
        return new MigrationConfig(switchIp, prepareTimeoutNanos, prepareRetries, stateTimeoutNanos, stateRetries,
                abortTimeoutNanos, abortRetries, maxOutgoing, tempBufferSlots, tempBufferFrames, tempBufferBytes,
                maxStateBytes, targetHoldNanos, outcomeMemory, forwardEntries, intervalNanos, policyIntervalNanos,
                highLoad, lowLoad, cooldownNanos, mtu);
    }

    public MigrationConfig withTimeouts(long prepare, int prepareN, long state, int stateN, long abort, int abortN,
                                       long hold) {
        return new MigrationConfig(switchIp, prepare, prepareN, state, stateN, abort, abortN, maxOutgoing,
                tempBufferSlots, tempBufferFrames, tempBufferBytes, maxStateBytes, hold, outcomeMemory,
                forwardEntries, heartbeatIntervalNanos, policyIntervalNanos, highLoad, lowLoad, cooldownNanos, mtu);
    }

    public MigrationConfig withPools(int outgoing, int slots, int frames, int bytes, int maxState) {
        return new MigrationConfig(switchIp, prepareTimeoutNanos, prepareRetries, stateTimeoutNanos, stateRetries,
                abortTimeoutNanos, abortRetries, outgoing, slots, frames, bytes, maxState, targetHoldNanos,
                outcomeMemory, forwardEntries, heartbeatIntervalNanos, policyIntervalNanos, highLoad, lowLoad,
                cooldownNanos, mtu);
    }

    /** The same, for a rack whose links carry IPv4 packets of up to {@code bytes} (e.g. 9000). */
    public MigrationConfig withMtu(int bytes) {
        return new MigrationConfig(switchIp, prepareTimeoutNanos, prepareRetries, stateTimeoutNanos, stateRetries,
                abortTimeoutNanos, abortRetries, maxOutgoing, tempBufferSlots, tempBufferFrames, tempBufferBytes,
                maxStateBytes, targetHoldNanos, outcomeMemory, forwardEntries, heartbeatIntervalNanos,
                policyIntervalNanos, highLoad, lowLoad, cooldownNanos, bytes);
    }

    /** Body bytes per CONN_STATE fragment so the IPv4 packet stays within the default {@link #MTU}. */
    public static int fragmentBody() {
        return fragmentBody(MTU);
    }

    /** Body bytes per CONN_STATE fragment in IPv4 packets of {@code mtu} bytes. */
    public static int fragmentBody(int mtu) {
        return mtu - 20 - 8 - io.capybara.wire.TcpMigHeader.MIN_LENGTH;
    }
}
