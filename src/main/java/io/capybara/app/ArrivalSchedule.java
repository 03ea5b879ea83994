package io.capybara.app;

/**
 * When the next request of an open-loop load is due and on which connection. Read the next
 * request with {@link #nextSendTimeNanos()} / {@link #nextConnection()}, then {@link #advance()}.
 */
public interface ArrivalSchedule {
    /** Intended send time of the next request. Non-decreasing. */
    long nextSendTimeNanos();

    /** Connection of the next request. */
    int nextConnection();

    /** Moves on to the following request. */
    void advance();

    /** True when the next request's intended time has come. */
    default boolean isDue(long nowNanos) {
        return nextSendTimeNanos() <= nowNanos;
    }
}
