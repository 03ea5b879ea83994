package io.capybara.io;

/**
 * The contract of every node, simulated or real: a host, a switch, a migration engine. The
 * simulator drives it in virtual time, a real-time loop with the clock. Sans-IO: the node does
 * all its work inside {@link #poll} (reading its channels, running due timers, sending) and never
 * reads a clock.
 */
public interface Node {
    /**
     * Does the work that is due at {@code nowNanos}.
     *
     * @return units of work done (frames handled, timers fired); 0 when there was nothing to do
     */
    int poll(long nowNanos);

    /** When the node next wants {@link #poll} called without new input, or {@link Long#MAX_VALUE}. */
    long nextDeadline();
}
