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
 */
public record MigrationConfig(int switchIp, long prepareTimeoutNanos, int prepareRetries, long stateTimeoutNanos,
                              int stateRetries, long abortTimeoutNanos, int abortRetries, int maxOutgoing,
                              int tempBufferSlots, int tempBufferFrames, int tempBufferBytes, int maxStateBytes,
                              long targetHoldNanos, int outcomeMemory, int forwardEntries,
                              long heartbeatIntervalNanos, long policyIntervalNanos, long highLoad, long lowLoad,
                              long cooldownNanos) {

    /** Largest IPv4 packet a control message may fill (Ethernet MTU). */
    public static final int MTU = 1500;

    public MigrationConfig {
        if (prepareRetries < 0 || stateRetries < 0 || abortRetries < 0 || maxOutgoing < 1 || tempBufferSlots < 1
                || tempBufferFrames < 1 || tempBufferBytes < 1 || maxStateBytes < 1 || outcomeMemory < 1
                || forwardEntries < 1 || lowLoad > highLoad) {
            throw new IllegalArgumentException("bad migration config " + this);
        }
    }

    /**
     * Defaults for a rack with microsecond links: 200 us control timeouts, 6 PREPARE resends,
     * 10 CONN_STATE resends (about 12 ms of patience), policy off until thresholds are set.
     */
    public static MigrationConfig defaults(int switchIp) {
        return new MigrationConfig(switchIp, 200_000, 6, 200_000, 10, 200_000, 8, 64, 64, 64, 128 * 1024,
                4 << 20, 50_000_000L, 4096, 65536, 1_000_000L, 0, Long.MAX_VALUE, Long.MAX_VALUE, 2_000_000L);
    }

    public MigrationConfig withPolicy(long intervalNanos, long high, long low, long cooldown) {
        return new MigrationConfig(switchIp, prepareTimeoutNanos, prepareRetries, stateTimeoutNanos, stateRetries,
                abortTimeoutNanos, abortRetries, maxOutgoing, tempBufferSlots, tempBufferFrames, tempBufferBytes,
                maxStateBytes, targetHoldNanos, outcomeMemory, forwardEntries, heartbeatIntervalNanos, intervalNanos,
                high, low, cooldown);
    }

    public MigrationConfig withHeartbeat(long intervalNanos) {
        return new MigrationConfig(switchIp, prepareTimeoutNanos, prepareRetries, stateTimeoutNanos, stateRetries,
                abortTimeoutNanos, abortRetries, maxOutgoing, tempBufferSlots, tempBufferFrames, tempBufferBytes,
                maxStateBytes, targetHoldNanos, outcomeMemory, forwardEntries, intervalNanos, policyIntervalNanos,
                highLoad, lowLoad, cooldownNanos);
    }

    public MigrationConfig withTimeouts(long prepare, int prepareN, long state, int stateN, long abort, int abortN,
                                       long hold) {
        return new MigrationConfig(switchIp, prepare, prepareN, state, stateN, abort, abortN, maxOutgoing,
                tempBufferSlots, tempBufferFrames, tempBufferBytes, maxStateBytes, hold, outcomeMemory,
                forwardEntries, heartbeatIntervalNanos, policyIntervalNanos, highLoad, lowLoad, cooldownNanos);
    }

    public MigrationConfig withPools(int outgoing, int slots, int frames, int bytes, int maxState) {
        return new MigrationConfig(switchIp, prepareTimeoutNanos, prepareRetries, stateTimeoutNanos, stateRetries,
                abortTimeoutNanos, abortRetries, outgoing, slots, frames, bytes, maxState, targetHoldNanos,
                outcomeMemory, forwardEntries, heartbeatIntervalNanos, policyIntervalNanos, highLoad, lowLoad,
                cooldownNanos);
    }

    /** Body bytes per CONN_STATE fragment so the IPv4 packet stays within {@link #MTU}. */
    public static int fragmentBody() {
        return MTU - 20 - 8 - io.capybara.wire.TcpMigHeader.MIN_LENGTH;
    }
}
