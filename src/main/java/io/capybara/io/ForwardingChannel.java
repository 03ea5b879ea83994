package io.capybara.io;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The base of a {@link FrameChannel} decorator: every call goes to the wrapped channel
 * unchanged, so a decorator overrides only what it changes (a receive filter, a fault, a hook).
 */
public abstract class ForwardingChannel implements FrameChannel {
    protected final FrameChannel inner;

    protected ForwardingChannel(FrameChannel inner) {
        this.inner = inner;
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        return inner.poll(handler, limit);
    }

    @Override
    public boolean send(DirectBuffer buffer, int offset, int length) {
        return inner.send(buffer, offset, length);
    }

    @Override
    public boolean send(DirectBuffer a, int aOffset, int aLength, DirectBuffer b, int bOffset, int bLength,
                        DirectBuffer c, int cOffset, int cLength, MutableDirectBuffer scratch) {
        return inner.send(a, aOffset, aLength, b, bOffset, bLength, c, cOffset, cLength, scratch);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void close() {
        inner.close();
    }
}
