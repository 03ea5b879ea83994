package io.capybara.eval;

/**
 * A system whose per-migration server overhead the evaluation measures: Capybara-J or the Linux
 * TCP_REPAIR baseline. Each {@link #run} migrates {@code count} distinct connections once each,
 * with {@code queueBytes} unread in the receive queue and unacknowledged in the send queue, and
 * checks every connection's data after its migration.
 */
public interface MigrationSystem {
    /** Short stable name, used in JSON keys and file names. */
    String key();

    /** Name for plots and tables. */
    String label();

    /** Null if the system can run here, else why not (e.g. "needs root"). */
    String unavailableReason();

    OverheadRun run(int count, int queueBytes, Progress progress) throws Exception;
}
