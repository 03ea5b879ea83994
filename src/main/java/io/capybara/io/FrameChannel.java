package io.capybara.io;

import org.agrona.DirectBuffer;

/**
 * A bidirectional link that carries whole Ethernet frames: an in-memory ring, a simulated
 * link, a TAP device or an AF_PACKET socket. Non-blocking: both calls return at once.
 * Implementations allocate nothing per frame.
 */
public interface FrameChannel extends AutoCloseable {
    /** Largest frame (Ethernet header included, FCS excluded) this channel carries. */
    int DEFAULT_MTU_FRAME = 1514;

    /**
     * Hands up to {@code limit} received frames to {@code handler}, one call each. The buffer
     * passed to the handler is only valid during that call.
     *
     * @return the number of frames handed over
     */
    int poll(FrameHandler handler, int limit);

    /**
     * Sends one frame. The channel copies it (or owns it once this returns).
     *
     * @return false if the frame was dropped because the channel is full or down
     */
    boolean send(DirectBuffer buffer, int offset, int length);

    /** A name for logs and errors. */
    String name();

    @Override
    default void close() {
    }
}
