package io.capybara.tor;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** A test port: frames queued for the switch to poll, and a record of what it sent out. */
final class CapturePort implements FrameChannel {
    final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    final List<byte[]> sent = new ArrayList<>();
    /** Where frames are handed to the switch inside a larger buffer (bytes before and after are filler). */
    int deliverAt;
    /** When set, {@link #send} refuses every frame, as a full transmit ring does. */
    boolean refuse;
    private final String name;

    CapturePort(String name) {
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
        if (refuse) {
            return false;
        }
        byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        sent.add(copy);
        return true;
    }

    byte[] takeOnly() {
        if (sent.size() != 1) {
            throw new AssertionError(name + ": expected exactly one frame sent, got " + sent.size());
        }
        return sent.remove(0);
    }

    @Override
    public String name() {
        return name;
    }
}
