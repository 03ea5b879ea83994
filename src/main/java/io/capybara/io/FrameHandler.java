package io.capybara.io;

import org.agrona.MutableDirectBuffer;

/** Receives frames from a {@link FrameChannel}. The buffer is valid only during the call. */
@FunctionalInterface
public interface FrameHandler {
    void onFrame(MutableDirectBuffer buffer, int offset, int length);
}
