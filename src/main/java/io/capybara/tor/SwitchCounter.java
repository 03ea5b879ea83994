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
    PREPARE_STEERED,
    PREPARE_REJECTED_NO_TARGET,
    ACK_FORWARDED,
    ABORT_FORWARDED,
    CONTROL_FORWARDED;

    private static final SwitchCounter[] VALUES = values();

    static SwitchCounter of(int ordinal) {
        return VALUES[ordinal];
    }
}
