package io.capybara.tcp;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The send buffer: a power-of-two ring holding unacknowledged then unsent bytes, oldest first.
 * Offset 0 is the byte at the connection's {@code bufSeq}.
 *
 * <p>The ring starts small and doubles on demand up to {@link #maxCapacity()} (which is at
 * least the configured send buffer), so idle or lightly used connections stay cheap to
 * snapshot and restore. Growth happens only inside {@link #write} (an application call),
 * never while a segment's payload view is out.
 */
final class SendRing {
    static final int INITIAL_CAPACITY = 4096;

    private final int maxCapacity;
    private UnsafeBuffer buffer;
    private int mask;
    private int head;
    private int length;

    SendRing(int maxCapacity, int capacity) {
        this(maxCapacity, new UnsafeBuffer(new byte[capacity]));
    }

    /** Over {@code buffer} (power-of-two capacity, possibly dirty: only written bytes are read). */
    SendRing(int maxCapacity, UnsafeBuffer buffer) {
        this.maxCapacity = maxCapacity;
        this.buffer = buffer;
        this.mask = buffer.capacity() - 1;
    }

    /** Hands the ring's memory to {@code pool} and leaves the ring empty (capacity 1). */
    void release(BufferPool pool) {
        pool.give(buffer);
        buffer = new UnsafeBuffer(new byte[1]);
        mask = 0;
        head = 0;
        length = 0;
    }

    int maxCapacity() {
        return maxCapacity;
    }

    int capacity() {
        return mask + 1;
    }

    int head() {
        return head;
    }

    int length() {
        return length;
    }

    int free() {
        return maxCapacity - length;
    }

    UnsafeBuffer buffer() {
        return buffer;
    }

    /** Physical index of the byte at logical {@code offset}. */
    int index(int offset) {
        return (head + offset) & mask;
    }

    /** Bytes from logical {@code offset} up to the ring's wrap point. */
    int contiguous(int offset) {
        return capacity() - index(offset);
    }

    /** Appends up to {@code len} bytes; returns how many fit. */
    int write(DirectBuffer src, int srcOffset, int len) {
        int n = Math.min(len, free());
        if (n <= 0) {
            return 0;
        }
        if (length + n > capacity()) {
            grow(length + n);
        }
        int tail = index(length);
        int first = Math.min(n, capacity() - tail);
        buffer.putBytes(tail, src, srcOffset, first);
        if (first < n) {
            buffer.putBytes(0, src, srcOffset + first, n - first);
        }
        length += n;
        return n;
    }

    /** Drops {@code n} acknowledged bytes from the front. */
    void consume(int n) {
        head = (head + n) & mask;
        length -= n;
        if (length == 0) {
            head = 0; // keeps segment boundaries aligned with the ring after an idle period
        }
    }

    private void grow(int needed) {
        int cap = capacity();
        while (cap < needed) {
            cap <<= 1;
        }
        UnsafeBuffer next = new UnsafeBuffer(new byte[cap]);
        copyOut(next, 0, length);
        buffer = next;
        mask = cap - 1;
        head = 0;
    }

    /** Copies the logical range [0, n) into {@code dst} at {@code dstOffset}, linearized. */
    private void copyOut(UnsafeBuffer dst, int dstOffset, int n) {
        int first = Math.min(n, capacity() - head);
        dst.putBytes(dstOffset, buffer, head, first);
        if (first < n) {
            dst.putBytes(dstOffset + first, buffer, 0, n - first);
        }
    }

    void write(SnapshotWriter w) {
        w.putInt(capacity());
        w.putInt(head);
        w.putInt(length);
        int first = Math.min(length, capacity() - head);
        w.putBytes(buffer, head, first);
        if (first < length) {
            w.putBytes(buffer, 0, length - first);
        }
    }

    static SendRing read(SnapshotReader r, int maxCapacity, BufferPool pool) throws SnapshotException {
        int capacity = r.getInt("send.capacity", 1, maxCapacity);
        if (Integer.bitCount(capacity) != 1) {
            throw new SnapshotException("snapshot corrupt: send ring capacity " + capacity + " is not a power of two");
        }
        int head = r.getInt("send.head", 0, capacity - 1);
        int length = r.getInt("send.length", 0, capacity);
        if (r.remaining() < length) {
            throw new SnapshotException("snapshot truncated: send buffer holds " + length + " bytes, "
                    + r.remaining() + " left");
        }
        SendRing ring = pool != null ? new SendRing(maxCapacity, pool.take(capacity)) : new SendRing(maxCapacity, capacity);
        ring.head = head;
        ring.length = length;
        int first = Math.min(length, capacity - head);
        r.getBytes(ring.buffer, head, first, "send.bytes");
        if (first < length) {
            r.getBytes(ring.buffer, 0, length - first, "send.bytes");
        }
        return ring;
    }
}
