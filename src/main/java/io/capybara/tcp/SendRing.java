package io.capybara.tcp;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The send buffer: a power-of-two ring holding unacknowledged then unsent bytes, oldest first.
 * Offset 0 is the byte at the connection's {@code bufSeq}.
 *
 * <p>The ring holds no memory until bytes are queued; it then starts small and doubles on
 * demand up to {@link #maxCapacity()} (which is at least the configured send buffer). With a
 * {@link BufferPool} its memory comes from the pool and goes back when every byte is
 * acknowledged, so an idle connection holds none. Growth happens only inside {@link #write}
 * (an application call), never while a segment's payload view is out.
 */
final class SendRing {
    static final int INITIAL_CAPACITY = 4096;
    /** The buffer of a ring without memory (capacity 0; never written). */
    static final UnsafeBuffer NO_MEMORY = new UnsafeBuffer(new byte[0]);

    private final int maxCapacity;
    /** Where memory comes from and goes back to when the ring empties; null: the heap, kept. */
    BufferPool pool;
    private UnsafeBuffer buffer;
    private int mask;
    private int head;
    private int length;

    /** An empty ring without memory. */
    SendRing(int maxCapacity) {
        this(maxCapacity, NO_MEMORY);
    }

    /** Over {@code buffer} (power-of-two capacity, possibly dirty: only written bytes are read). */
    SendRing(int maxCapacity, UnsafeBuffer buffer) {
        this.maxCapacity = maxCapacity;
        this.buffer = buffer;
        this.mask = buffer.capacity() - 1;
    }

    /** Hands the ring's memory to {@code pool} and leaves the ring empty (capacity 1). */
    void release(BufferPool pool) {
        if (buffer != NO_MEMORY) {
            pool.give(buffer);
        }
        buffer = NO_MEMORY;
        mask = -1;
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
            if (pool != null && buffer != NO_MEMORY) {
                pool.give(buffer); // idle: the memory serves other connections meanwhile
                buffer = NO_MEMORY;
                mask = -1;
            }
        }
    }

    private void grow(int needed) {
        int cap = Math.max(capacity(), Math.min(maxCapacity, INITIAL_CAPACITY));
        while (cap < needed) {
            cap <<= 1;
        }
        UnsafeBuffer next = take(pool, cap);
        copyOut(next, 0, length);
        if (pool != null && buffer != NO_MEMORY) {
            pool.give(buffer);
        }
        buffer = next;
        mask = cap - 1;
        head = 0;
    }

    static UnsafeBuffer take(BufferPool pool, int capacity) {
        return pool != null ? pool.take(capacity) : new UnsafeBuffer(new byte[capacity]);
    }

    /**
     * Capacity a snapshot records: an empty ring records the one it would start with, whether
     * it holds memory or not, so that its snapshot does not depend on where memory went.
     */
    private int recordedCapacity() {
        return length == 0 ? Math.min(maxCapacity, INITIAL_CAPACITY) : capacity();
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
        w.putInt(recordedCapacity());
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
        if (length == 0) {
            SendRing empty = new SendRing(maxCapacity); // no memory until something is queued
            empty.pool = pool;
            return empty;
        }
        SendRing ring = new SendRing(maxCapacity, take(pool, capacity));
        ring.pool = pool;
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
