package io.capybara.io;

import org.agrona.DirectBuffer;

/** A channel that receives nothing and accepts every frame it is sent: a sink for benchmarks. */
public final class NullChannel implements FrameChannel {
    private long sent;

    @Override
    public int poll(FrameHandler handler, int limit) {
        return 0;
    }

    @Override
    public boolean send(DirectBuffer buffer, int offset, int length) {
        sent++;
        return true;
    }

    public long sent() {
        return sent;
    }

    @Override
    public String name() {
        return "null";
    }
}
