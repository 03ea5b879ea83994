package io.capybara.interop;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import java.util.SplittableRandom;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * netem in user space, for kernels without {@code sch_netem}: wraps the Java host's channel
 * and, in both directions, drops a frame with probability {@code loss}, else delays it by
 * {@code delayNanos}, except that with probability {@code reorder} it goes at once, ahead of
 * the delayed ones (netem's {@code reorder} semantics). Seeded; uses the real clock (test
 * code on the realtime loop). Frames are copied into preallocated slots.
 */
final class ImpairedChannel implements FrameChannel {
    private static final int SLOTS = 8192;
    private static final int SLOT_BYTES = 2048;

    private final FrameChannel delegate;
    private final double loss;
    private final double reorder;
    private final long delayNanos;
    private final SplittableRandom random;
    private final DelayLine inbound = new DelayLine();
    private final DelayLine outbound = new DelayLine();
    private FrameHandler downstream;
    private final FrameHandler intake = this::onInbound;
    long dropped;
    long reordered;
    long overflow;

    ImpairedChannel(FrameChannel delegate, double loss, double reorder, long delayNanos, long seed) {
        this.delegate = delegate;
        this.loss = loss;
        this.reorder = reorder;
        this.delayNanos = delayNanos;
        this.random = new SplittableRandom(seed);
    }

    /** A FIFO of delayed frames (every frame gets the same delay, so release order = FIFO). */
    private final class DelayLine {
        final UnsafeBuffer[] frames = new UnsafeBuffer[SLOTS];
        final int[] lengths = new int[SLOTS];
        final long[] due = new long[SLOTS];
        int head;
        int size;

        DelayLine() {
            for (int i = 0; i < SLOTS; i++) {
                frames[i] = new UnsafeBuffer(new byte[SLOT_BYTES]);
            }
        }

        boolean add(DirectBuffer b, int off, int len, long dueNanos) {
            if (size == SLOTS || len > SLOT_BYTES) {
                overflow++;
                return false;
            }
            int i = (head + size++) % SLOTS;
            frames[i].putBytes(0, b, off, len);
            lengths[i] = len;
            due[i] = dueNanos;
            return true;
        }
    }

    private enum Fate { DROP, NOW, LATER }

    private Fate fate() {
        if (random.nextDouble() < loss) {
            dropped++;
            return Fate.DROP;
        }
        if (random.nextDouble() < reorder) {
            reordered++;
            return Fate.NOW;
        }
        return Fate.LATER;
    }

    private void onInbound(org.agrona.MutableDirectBuffer b, int off, int len) {
        switch (fate()) {
            case DROP -> { }
            case NOW -> downstream.onFrame(b, off, len);
            case LATER -> inbound.add(b, off, len, System.nanoTime() + delayNanos);
        }
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        downstream = handler;
        int work = delegate.poll(intake, limit);
        long now = System.nanoTime();
        while (inbound.size > 0 && inbound.due[inbound.head] <= now) {
            int i = inbound.head;
            handler.onFrame(inbound.frames[i], 0, inbound.lengths[i]);
            inbound.head = (i + 1) % SLOTS;
            inbound.size--;
            work++;
        }
        while (outbound.size > 0 && outbound.due[outbound.head] <= now) {
            int i = outbound.head;
            delegate.send(outbound.frames[i], 0, outbound.lengths[i]);
            outbound.head = (i + 1) % SLOTS;
            outbound.size--;
            work++;
        }
        return work + inbound.size + outbound.size; // pending frames keep the loop awake
    }

    @Override
    public boolean send(DirectBuffer buffer, int offset, int length) {
        return switch (fate()) {
            case DROP -> true; // lost on the wire, not refused
            case NOW -> delegate.send(buffer, offset, length);
            case LATER -> outbound.add(buffer, offset, length, System.nanoTime() + delayNanos);
        };
    }

    @Override
    public String name() {
        return "impaired(" + delegate.name() + ")";
    }

    @Override
    public void close() {
        // the delegate belongs to the topology
    }

    @Override
    public String toString() {
        return "ImpairedChannel{dropped=" + dropped + " reordered=" + reordered + " overflow=" + overflow + "}";
    }
}
