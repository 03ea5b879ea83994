package io.capybara.host;

/** Error codes of queue operations ({@link QResult#error}); 0 is success. */
public final class QueueError {
    public static final int OK = 0;
    /** Not an open descriptor. */
    public static final int BAD_DESCRIPTOR = 1;
    /** The descriptor is in the wrong state for this call (e.g. push on a listener). */
    public static final int INVALID = 2;
    /** Port already bound or listened on. */
    public static final int ADDRESS_IN_USE = 3;
    /** The peer answered the SYN with RST. */
    public static final int CONNECTION_REFUSED = 4;
    /** The connection was reset after it was established. */
    public static final int CONNECTION_RESET = 5;
    /** The connection gave up (retransmissions exhausted) without a RST. */
    public static final int TIMED_OUT = 6;
    /** The descriptor was closed while the operation was pending. */
    public static final int CLOSED = 7;
    /** No free ephemeral port. */
    public static final int NO_PORTS = 8;
    /** Too many operations of this kind pending on the descriptor. */
    public static final int BUSY = 9;
    /** The connection was detached (migrated away). */
    public static final int DETACHED = 10;

    private QueueError() {
    }

    public static String name(int code) {
        return switch (code) {
            case OK -> "OK";
            case BAD_DESCRIPTOR -> "BAD_DESCRIPTOR";
            case INVALID -> "INVALID";
            case ADDRESS_IN_USE -> "ADDRESS_IN_USE";
            case CONNECTION_REFUSED -> "CONNECTION_REFUSED";
            case CONNECTION_RESET -> "CONNECTION_RESET";
            case TIMED_OUT -> "TIMED_OUT";
            case CLOSED -> "CLOSED";
            case NO_PORTS -> "NO_PORTS";
            case BUSY -> "BUSY";
            case DETACHED -> "DETACHED";
            default -> "ERROR_" + code;
        };
    }
}
