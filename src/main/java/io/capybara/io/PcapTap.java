package io.capybara.io;

import java.util.function.LongSupplier;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A {@link FrameChannel} decorator that records every frame sent and polled on the wrapped
 * channel into a {@link PcapWriter}, timestamped by a caller-supplied time source (the
 * simulator's virtual clock, or a real clock in the I/O layer). Sent frames are recorded only
 * if the channel accepted them. Closing the tap closes the writer and the wrapped channel.
 */
public final class PcapTap implements FrameChannel {
    private final FrameChannel delegate;
    private final PcapWriter writer;
    private final LongSupplier nowNanos;
    // One recording handler reused for every poll, so polling allocates nothing.
    private final FrameHandler recorder = this::recordAndForward;
    private FrameHandler downstream;

    public PcapTap(FrameChannel delegate, PcapWriter writer, LongSupplier nowNanos) {
        this.delegate = delegate;
        this.writer = writer;
        this.nowNanos = nowNanos;
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        downstream = handler;
        try {
            return delegate.poll(recorder, limit);
        } finally {
            downstream = null;
        }
    }

    private void recordAndForward(MutableDirectBuffer buffer, int offset, int length) {
        writer.record(nowNanos.getAsLong(), buffer, offset, length);
        downstream.onFrame(buffer, offset, length);
    }

    @Override
    public boolean send(DirectBuffer buffer, int offset, int length) {
        // Timestamp before the send so the file order matches the caller's order.
        long now = nowNanos.getAsLong();
        boolean sent = delegate.send(buffer, offset, length);
        if (sent) {
            writer.record(now, buffer, offset, length);
        }
        return sent;
    }

    @Override
    public String name() {
        return "pcap(" + delegate.name() + ")";
    }

    public PcapWriter writer() {
        return writer;
    }

    @Override
    public void close() {
        try {
            writer.close();
        } finally {
            delegate.close();
        }
    }
}
