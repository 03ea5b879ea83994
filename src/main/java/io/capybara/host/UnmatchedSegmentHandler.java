package io.capybara.host;

import io.capybara.wire.TcpSegment;

/**
 * Sees a TCP segment for which the host has no connection, before the host answers it with a
 * RST or hands it to a listener. The segment (and its payload view) is valid only during the
 * call; copy what must be kept.
 */
@FunctionalInterface
public interface UnmatchedSegmentHandler {
    /** @return true if the segment was taken (the host then does nothing more with it) */
    boolean onUnmatched(TcpSegment segment, long nowNanos);
}
