package io.capybara.bench;

import io.capybara.tcp.SegmentSink;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.TcpSegment;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An allocation-free in-memory wire for benchmarks: the sink copies each emitted segment
 * (fields and payload) into a pre-allocated slot of a ring, as a host would copy it into a frame.
 */
final class Loopback implements SegmentSink {
    private static final int SLOTS = 1024;
    private static final int MAX_PAYLOAD = 9000;

    private final TcpSegment[] slots = new TcpSegment[SLOTS];
    private final UnsafeBuffer[] payloads = new UnsafeBuffer[SLOTS];
    private long head;
    private long tail;
    /** TSval of the last segment carried: a fake peer continues the sender's clock from it. */
    int lastTsVal;

    Loopback() {
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new TcpSegment();
            payloads[i] = new UnsafeBuffer(new byte[MAX_PAYLOAD]);
        }
    }

    @Override
    public void transmit(TcpConnection connection, TcpSegment s) {
        if (tail - head == SLOTS) {
            throw new IllegalStateException("loopback full");
        }
        lastTsVal = s.tsVal;
        int i = (int) (tail++ & (SLOTS - 1));
        TcpSegment d = slots[i];
        d.copyHeader(s);
        UnsafeBuffer p = payloads[i];
        if (s.payloadLength > 0) {
            p.putBytes(0, s.payload, s.payloadOffset, s.payloadLength);
        }
        d.payload = p;
        d.payloadOffset = 0;
        d.payloadLength = s.payloadLength;
    }

    boolean isEmpty() {
        return head == tail;
    }

    int size() {
        return (int) (tail - head);
    }

    /** The oldest queued segment (valid until the next transmit wraps over it). */
    TcpSegment poll() {
        return head == tail ? null : slots[(int) (head++ & (SLOTS - 1))];
    }

    void clear() {
        head = tail;
    }

    /** Delivers everything queued on this wire to {@code to}; returns how many. */
    int deliverAll(TcpConnection to, long now) {
        int n = 0;
        TcpSegment s;
        while ((s = poll()) != null) {
            to.onSegment(s, now);
            n++;
        }
        return n;
    }
}
