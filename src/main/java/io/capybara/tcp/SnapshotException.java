package io.capybara.tcp;

/** Snapshot bytes that cannot be restored: truncated, corrupt, or of an unknown version. */
public final class SnapshotException extends Exception {
    public SnapshotException(String message) {
        super(message);
    }
}
