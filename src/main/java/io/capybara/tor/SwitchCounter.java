package io.capybara.tor;

/** Everything the switch counts: one long each in {@link TorSwitch#counters()}. */
public enum SwitchCounter {
    RX_FRAMES,
    FORWARDED,
    TX_DROPPED,
    DROP_MALFORMED,
    DROP_NOT_IPV4,
    DROP_UNKNOWN_DESTINATION,
    ARP_ANSWERED,
    ARP_FLOODED,
    ARP_IGNORED,
    REWRITE_REQUEST,
    REWRITE_RESPONSE,
    DIRECTORY_INSTALLED,
    DIRECTORY_UPDATED,
    DIRECTORY_REFUSED_FULL,
    REMOVED_RST,
    REMOVED_FIN,
    REMOVED_MIGRATE_BACK,
    REMOVED_ABORT,
    REMOVED_IDLE,
    /**
     * RST or FIN segments (or ACKs after a FIN) whose IPv4 or TCP checksum fails: forwarded, as
     * every frame, but the directory does not act on them (the server drops them anyway).
     */
    END_IGNORED_CORRUPT,
    CONTROL_ON_CLIENT_PORT,
    CONTROL_SPOOFED_SENDER,
    CONTROL_MALFORMED,
    CONTROL_UNKNOWN_SERVER,
    HEARTBEATS,
    /** Heartbeats that asked for the rack's loads, answered ({@link TcpMigHeader#HEARTBEAT_LOADS}). */
    LOADS_REPORTED,
    PREPARE_STEERED,
    PREPARE_REJECTED_NO_TARGET,
    ACK_FORWARDED,
    ABORT_FORWARDED,
    CONTROL_FORWARDED,
    /** A SYN to a VIP placed on a server, with a directory entry that pins it there. */
    VIP_PLACED,
    /** A SYN to a VIP placed without an entry: the directory had no free slot for it. */
    VIP_PLACED_UNTRACKED,
    /**
     * A SYN to a VIP dropped: no free directory slot, and its Maglev bucket's untracked
     * connections are on another live server than the table names now (placing it would make the
     * two indistinguishable). The client's SYN retransmission tries again.
     */
    VIP_REFUSED_UNTRACKED,
    /**
     * A segment to a VIP with no entry and no SYN: sent to its bucket's untracked server (an
     * untracked connection), or where the table says (a stray).
     */
    VIP_DEFAULT_ROUTED,
    /** A segment to a VIP dropped because no server is a member. */
    VIP_NO_SERVER,
    /**
     * A SYN that found the entry of an earlier connection on a server no longer live, with another
     * initial sequence number (a new connection, not a repeat of the SYN that placed the entry):
     * placed afresh.
     */
    VIP_STALE_ENTRY_REPLACED,
    /** Rebuilds of the placement table (servers joining, leaving, draining, undraining). */
    MEMBERSHIP_CHANGES
}
