package io.capybara.demo;

import io.capybara.io.FrameChannel;
import io.capybara.io.ForwardingChannel;
import io.capybara.io.FrameHandler;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A frame channel that can tell whether a frame is waiting ({@link #hasPending()}) without
 * handing it to anyone: it pulls waiting frames into its own ring first. The rack's nodes use
 * it to skip {@code Host.poll} (which walks every connection's timers) when no frame waits and
 * no timer is due; that walk, repeated at every simulator step, would otherwise dominate the
 * run time. Frames keep their order; the copy is one memcpy of a small frame.
 */
final class PeekingChannel extends ForwardingChannel {
    private static final int SLOTS = 256;
    private static final int FRAME = DEFAULT_MTU_FRAME;

    private final UnsafeBuffer slab = new UnsafeBuffer(new byte[SLOTS * FRAME]);
    private final int[] lengths = new int[SLOTS];
    private int head;
    private int count;
    private final FrameHandler stash = this::stash;

    PeekingChannel(FrameChannel inner) {
        super(inner);
    }

    private void stash(MutableDirectBuffer buffer, int offset, int length) {
        int slot = (head + count) % SLOTS;
        int n = Math.min(length, FRAME);
        slab.putBytes(slot * FRAME, buffer, offset, n);
        lengths[slot] = n;
        count++;
    }

    /** True if a frame is waiting to be polled. */
    boolean hasPending() {
        if (count == 0) {
            inner.poll(stash, SLOTS);
        }
        return count > 0;
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        int n = 0;
        while (n < limit && count > 0) {
            int slot = head;
            head = (head + 1) % SLOTS;
            count--;
            handler.onFrame(slab, slot * FRAME, lengths[slot]);
            n++;
        }
        if (n < limit && count == 0) {
            n += inner.poll(handler, limit - n);
        }
        return n;
    }
}
