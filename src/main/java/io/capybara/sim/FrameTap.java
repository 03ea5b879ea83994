package io.capybara.sim;

import org.agrona.DirectBuffer;

/**
 * Sees every frame a {@link SimLink} delivers, at its delivery time and as delivered (after any
 * corruption). Fits {@code io.capybara.io.PcapWriter::record}. The buffer is valid only during
 * the call.
 */
@FunctionalInterface
public interface FrameTap {
    void record(long timestampNanos, DirectBuffer buffer, int offset, int length);
}
