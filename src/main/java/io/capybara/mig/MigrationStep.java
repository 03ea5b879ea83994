package io.capybara.mig;

/** The timing points of one migration, named after the paper's breakdown (Fig. 4). */
public enum MigrationStep {
    ORIGIN_DECIDE,
    ORIGIN_SEND_PREPARE,
    ORIGIN_RECEIVE_ACK,
    ORIGIN_QUIESCE,
    ORIGIN_SERIALIZE,
    ORIGIN_SEND_STATE,
    ORIGIN_RECEIVE_STATE_ACK,
    TARGET_RECEIVE_PREPARE,
    TARGET_SEND_ACK,
    TARGET_RECEIVE_STATE,
    TARGET_DESERIALIZE,
    TARGET_REPLAY,
    TARGET_RESUME;

    static final MigrationStep[] ALL = values();

    private final String jsonName = name().toLowerCase(java.util.Locale.ROOT);

    /** The name in JSON output and JFR events: {@code origin_decide}, ... */
    public String jsonName() {
        return jsonName;
    }
}
