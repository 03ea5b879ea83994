package io.capybara.io;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A test double of a link: frames the test queues in {@link #inbound} are handed out on poll;
 * frames sent are kept in {@link #sent} (refused while {@link #full}).
 */
public class ScriptedChannel implements FrameChannel {
    public final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    public final List<byte[]> sent = new ArrayList<>();
    public boolean full;
    /** Where polled frames sit inside a larger buffer (0: a buffer of their own; else filler around them). */
    public int deliverAt;
    public boolean closed;
    private final String name;

    public ScriptedChannel(String name) {
        this.name = name;
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        int n = 0;
        while (n < limit && !inbound.isEmpty()) {
            byte[] f = inbound.poll();
            if (deliverAt == 0) {
                handler.onFrame(new UnsafeBuffer(f), 0, f.length);
            } else {
                byte[] framed = new byte[deliverAt + f.length + 64];
                java.util.Arrays.fill(framed, (byte) 0x5A);
                System.arraycopy(f, 0, framed, deliverAt, f.length);
                handler.onFrame(new UnsafeBuffer(framed), deliverAt, f.length);
            }
            n++;
        }
        return n;
    }

    @Override
    public boolean send(DirectBuffer buffer, int offset, int length) {
        if (full) {
            return false;
        }
        byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        sent.add(copy);
        return true;
    }

    /** The one frame sent since the last take; an error if there was not exactly one. */
    public byte[] takeOnly() {
        if (sent.size() != 1) {
            throw new AssertionError(name + ": expected exactly one frame sent, got " + sent.size());
        }
        return sent.remove(0);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void close() {
        closed = true;
    }
}
