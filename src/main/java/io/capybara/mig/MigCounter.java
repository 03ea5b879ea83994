package io.capybara.mig;

/** What a migration engine counts; {@link MigrationEngine#counter}. */
public enum MigCounter {
    // origin
    STARTED,
    COMPLETED,
    REJECTED_NO_TARGET,
    REJECTED_DIRECTORY_FULL,
    REJECTED_TARGET_BUSY,
    ABORTED_PREPARE_TIMEOUT,
    STATE_UNANSWERED,
    ABORTED_TARGET_DEAD,
    ABORTED_STATE_REFUSED,
    LATE_STATE_ACK,
    ABORTED_CONNECTION_GONE,
    ABORTED_SNAPSHOT_TOO_LARGE,
    ABORT_CONFIRMED,
    ABORT_UNCONFIRMED,
    RESTORED_LOCALLY,
    NOT_ELIGIBLE,
    TOO_MANY_OUTGOING,
    PREPARE_SENT,
    PREPARE_RETRANSMITTED,
    STATE_FRAGMENTS_SENT,
    STATE_RETRANSMITTED,
    SEGMENTS_FORWARDED,
    FORWARD_TTL_EXPIRED,
    STRAY_ACK,
    POLICY_DECISIONS,
    HEARTBEATS_SENT,
    /** The switch's answers to heartbeats that asked for the rack's loads. */
    LOADS_RECEIVED,
    DIRECTORY_RELEASED,
    // target
    PREPARED,
    PREPARE_DUPLICATE,
    REJECTED_BUSY_SENT,
    SEGMENTS_BUFFERED,
    BUFFER_FULL_DROPS,
    STATE_FRAGMENTS_RECEIVED,
    STATE_FRAGMENT_DUPLICATE,
    STATE_FOR_UNKNOWN_MIGRATION,
    STATE_TOO_LARGE,
    STATE_INVALID,
    /**
     * A whole state whose CRC32C failed (a fragment's body was damaged on the way): the target
     * forgets the fragments and takes the origin's resend.
     */
    STATE_CORRUPT,
    RESTORED,
    SEGMENTS_REPLAYED,
    /** Buffered client segments sent on to the server that keeps the connection (an ABORT ended the slot). */
    SEGMENTS_HANDED_BACK,
    STATE_ACK_SENT,
    STATE_REACKED,
    ABORT_RECEIVED,
    ABORT_AFTER_RESTORE,
    HOLD_EXPIRED,
    TARGET_RESTARTS,
    QUIET_TIME_DROPS,
    CONNECTION_ALREADY_HERE,
    // both
    CONTROL_RECEIVED,
    CONTROL_MALFORMED,
    CONTROL_UNEXPECTED,
    CONTROL_DUPLICATE;

    static final MigCounter[] ALL = values();
}
