package io.capybara.rack;

import io.capybara.mig.MigCounter;
import java.util.List;
import java.util.Map;

/**
 * What a rack simulation observed. {@code ok} means: every client received exactly the bytes
 * the application sent (and the servers every client byte), in order, no connection was reset
 * that the client did not abort itself, {@code invariantViolations == 0}, nothing leaked
 * (temporary buffers, half-migrations, connections) and the directory ended empty.
 *
 * @param migrations          migrations started (manual trigger and policy)
 * @param migrationsCompleted CONN_STATE_ACK received by the origin
 * @param migrationsAborted   ended by ABORT (prepare timeout, dead target, connection gone, too large)
 * @param migrationsRejected  ended by REJECT (no target, directory full, target busy)
 * @param policyMigrations    of {@code migrations}, started by the load policy
 * @param invariantViolations checks where a live connection was not whole on exactly one server or
 *                            the directory disagreed
 * @param connections         client connections opened
 * @param connectionsAborted  of those, aborted (RST) by the client on purpose
 * @param bytesVerified       bytes checked against the streams, both directions
 * @param directoryEntriesAtEnd directory entries left when everything had closed (foreign keys excluded)
 * @param causes              per-cause counters: MigCounter sums over servers and switch counters
 * @param failures            the first failures seen, human readable
 */
public record RackResult(RackOptions options, boolean ok, long migrations, long migrationsCompleted,
                         long migrationsAborted, long migrationsRejected, long policyMigrations,
                         long invariantViolations, long invariantChecks, long connections, long connectionsAborted,
                         long bytesVerified, long contentMismatches, long unexpectedResets,
                         long directoryEntriesAtEnd, long leakedConnections, long leakedBuffers,
                         long leakedMigrations, long virtualNanos, long traceHash, Map<String, Long> causes,
                         List<String> failures) {

    /** The record as ordered JSON-ready key/values (snake_case; nested maps for the causes). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("ok", ok);
        m.put("seed", options.seed());
        m.put("migrations", migrations);
        m.put("migrations_completed", migrationsCompleted);
        m.put("migrations_aborted", migrationsAborted);
        m.put("migrations_rejected", migrationsRejected);
        m.put("policy_migrations", policyMigrations);
        m.put("invariant_violations", invariantViolations);
        m.put("invariant_checks", invariantChecks);
        m.put("connections", connections);
        m.put("connections_aborted_by_client", connectionsAborted);
        m.put("bytes_verified", bytesVerified);
        m.put("content_mismatches", contentMismatches);
        m.put("unexpected_resets", unexpectedResets);
        m.put("directory_entries_at_end", directoryEntriesAtEnd);
        m.put("leaked_connections", leakedConnections);
        m.put("leaked_buffers", leakedBuffers);
        m.put("leaked_migrations", leakedMigrations);
        m.put("virtual_ms", virtualNanos / 1_000_000.0);
        m.put("trace_hash", Long.toHexString(traceHash));
        m.put("causes", new java.util.LinkedHashMap<String, Object>(causes));
        m.put("failures", failures);
        return m;
    }

    @Override
    public String toString() {
        return (ok ? "OK" : "FAIL") + " seed=" + options.seed() + " migrations=" + migrations + " completed="
                + migrationsCompleted + " aborted=" + migrationsAborted + " rejected=" + migrationsRejected
                + " policy=" + policyMigrations + " violations=" + invariantViolations + "/" + invariantChecks
                + " connections=" + connections + " aborted-by-client=" + connectionsAborted + " bytes="
                + bytesVerified + " mismatches=" + contentMismatches + " resets=" + unexpectedResets + " dir="
                + directoryEntriesAtEnd + " leaks=" + leakedConnections + "/" + leakedBuffers + "/" + leakedMigrations
                + " virtual=" + virtualNanos / 1_000_000 + "ms" + (failures.isEmpty() ? "" : " failures=" + failures);
    }
}
