package io.capybara.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The receive buffer: a power-of-two ring of in-order unread bytes, followed (at their
 * sequence offset) by out-of-order bytes awaiting reassembly. Out-of-order data is tracked as
 * at most {@code maxIntervals} disjoint, non-adjacent [start, end) sequence intervals in fixed
 * int arrays, sorted by start. The advertised window guarantees every accepted byte fits.
 *
 * <p>Like {@link SendRing}, the ring holds no memory until bytes arrive, grows by doubling up
 * to {@link #maxCapacity()}, and with a {@link BufferPool} gives its memory back when nothing
 * is left in it (no unread and no out-of-order bytes).
 */
final class ReceiveRing {
    static final int INITIAL_CAPACITY = 4096;
    private static final int[] NO_INTERVALS = new int[0];

    private final int maxCapacity;
    /** Where memory comes from and goes back to when the ring empties; null: the heap, kept. */
    BufferPool pool;
    private UnsafeBuffer buffer;
    private int mask;
    private int head;
    private int readable;

    private final int maxIntervals;
    /** Out-of-order intervals, sorted; allocated at the first one (most connections never need them). */
    private int[] oooStart = NO_INTERVALS;
    private int[] oooEnd = NO_INTERVALS;
    private int oooCount;

    /** An empty ring without memory. */
    ReceiveRing(int maxCapacity, int maxIntervals) {
        this(maxCapacity, SendRing.NO_MEMORY, maxIntervals);
    }

    /** Over {@code buffer} (power-of-two capacity, possibly dirty: only written bytes are read). */
    ReceiveRing(int maxCapacity, UnsafeBuffer buffer, int maxIntervals) {
        this.maxCapacity = maxCapacity;
        this.buffer = buffer;
        this.mask = buffer.capacity() - 1;
        this.maxIntervals = maxIntervals;
    }

    private void allocateIntervals() {
        if (oooStart.length == 0) {
            oooStart = new int[maxIntervals];
            oooEnd = new int[maxIntervals];
        }
    }

    /** Hands the ring's memory to {@code pool} and leaves the ring empty (capacity 1). */
    void release(BufferPool pool) {
        if (buffer != SendRing.NO_MEMORY) {
            pool.give(buffer);
        }
        buffer = SendRing.NO_MEMORY;
        mask = -1;
        head = 0;
        readable = 0;
        oooCount = 0;
        oooStart = NO_INTERVALS;
        oooEnd = NO_INTERVALS;
    }

    /** Nothing left in the ring: with a pool, its memory (and interval arrays) go back. */
    private void releaseIfEmpty() {
        if (readable == 0 && oooCount == 0) {
            head = 0;
            if (pool != null && buffer != SendRing.NO_MEMORY) {
                pool.give(buffer);
                buffer = SendRing.NO_MEMORY;
                mask = -1;
                oooStart = NO_INTERVALS;
                oooEnd = NO_INTERVALS;
            }
        }
    }

    int maxCapacity() {
        return maxCapacity;
    }

    int capacity() {
        return mask + 1;
    }

    int readable() {
        return readable;
    }

    /** Logical free space: what the window may offer. */
    int free() {
        return maxCapacity - readable;
    }

    int oooCount() {
        return oooCount;
    }

    int oooStart(int i) {
        return oooStart[i];
    }

    int oooEnd(int i) {
        return oooEnd[i];
    }

    /** The interval holding all of [start, end), or -1 if none does (the range is not all held). */
    int oooHolding(int start, int end) {
        for (int i = 0; i < oooCount; i++) {
            if (Seq.le(oooStart[i], start)) {
                if (Seq.le(end, oooEnd[i])) {
                    return i;
                }
            } else {
                break; // sorted: later intervals start even higher
            }
        }
        return -1;
    }

    int maxIntervals() {
        return maxIntervals;
    }

    /** Stores bytes at logical offset {@code offset} from the read position (in-order or not). */
    void put(int offset, DirectBuffer src, int srcOffset, int len) {
        if (offset + len > capacity()) {
            grow(offset + len);
        }
        int at = (head + offset) & mask;
        int first = Math.min(len, capacity() - at);
        buffer.putBytes(at, src, srcOffset, first);
        if (first < len) {
            buffer.putBytes(0, src, srcOffset + first, len - first);
        }
    }

    /** Marks {@code n} bytes after the readable ones as readable (they were put in order). */
    void commit(int n) {
        readable += n;
    }

    int read(MutableDirectBuffer dst, int dstOffset, int len) {
        int n = Math.min(len, readable);
        if (n <= 0) {
            return 0;
        }
        int first = Math.min(n, capacity() - head);
        dst.putBytes(dstOffset, buffer, head, first);
        if (first < n) {
            dst.putBytes(dstOffset + first, buffer, 0, n - first);
        }
        head = (head + n) & mask;
        readable -= n;
        releaseIfEmpty();
        return n;
    }

    /**
     * Records out-of-order interval [start, end), merging with overlapping or adjacent ones.
     *
     * @return false if it would need a new interval beyond the bound (the caller drops it)
     */
    boolean addInterval(int start, int end) {
        int i = 0;
        while (i < oooCount && Seq.lt(oooEnd[i], start)) {
            i++; // intervals entirely before, not even adjacent
        }
        if (i == oooCount || Seq.lt(end, oooStart[i])) {
            // no overlap: insert a new interval at i
            if (oooCount == maxIntervals) {
                return false;
            }
            allocateIntervals();
            System.arraycopy(oooStart, i, oooStart, i + 1, oooCount - i);
            System.arraycopy(oooEnd, i, oooEnd, i + 1, oooCount - i);
            oooStart[i] = start;
            oooEnd[i] = end;
            oooCount++;
            return true;
        }
        // merge into i, then swallow successors that now touch it
        if (Seq.lt(start, oooStart[i])) {
            oooStart[i] = start;
        }
        if (Seq.gt(end, oooEnd[i])) {
            oooEnd[i] = end;
        }
        int j = i + 1;
        while (j < oooCount && Seq.le(oooStart[j], oooEnd[i])) {
            if (Seq.gt(oooEnd[j], oooEnd[i])) {
                oooEnd[i] = oooEnd[j];
            }
            j++;
        }
        int removed = j - (i + 1);
        if (removed > 0) {
            System.arraycopy(oooStart, j, oooStart, i + 1, oooCount - j);
            System.arraycopy(oooEnd, j, oooEnd, i + 1, oooCount - j);
            oooCount -= removed;
        }
        return true;
    }

    /**
     * After in-order data advanced RCV.NXT to {@code rcvNxt}: absorbs the out-of-order intervals
     * it reached, making their bytes readable.
     *
     * @return the new RCV.NXT (unchanged if no interval was reached)
     */
    int absorb(int rcvNxt) {
        int removed = 0;
        while (removed < oooCount && Seq.le(oooStart[removed], rcvNxt)) {
            int end = oooEnd[removed];
            if (Seq.gt(end, rcvNxt)) {
                readable += end - rcvNxt;
                rcvNxt = end;
            }
            removed++;
        }
        if (removed > 0) {
            System.arraycopy(oooStart, removed, oooStart, 0, oooCount - removed);
            System.arraycopy(oooEnd, removed, oooEnd, 0, oooCount - removed);
            oooCount -= removed;
        }
        return rcvNxt;
    }

    private void grow(int needed) {
        int cap = Math.max(capacity(), Math.min(maxCapacity, INITIAL_CAPACITY));
        while (cap < needed) {
            cap <<= 1;
        }
        UnsafeBuffer next = SendRing.take(pool, cap);
        // the whole old ring, linearized from the read position: keeps readable and OOO bytes
        int old = capacity();
        if (old > 0) {
            int first = old - head;
            next.putBytes(0, buffer, head, first);
            next.putBytes(first, buffer, 0, head);
            if (pool != null) {
                pool.give(buffer);
            }
        }
        buffer = next;
        mask = cap - 1;
        head = 0;
    }

    /** Number of bytes {@link #write} emits after the fixed fields. */
    int snapshotBytes() {
        int n = readable;
        for (int i = 0; i < oooCount; i++) {
            n += 8 + (oooEnd[i] - oooStart[i]);
        }
        return n;
    }

    void write(SnapshotWriter w, int rcvNxt) {
        // an empty ring records the capacity it would start with, memory or not (see SendRing)
        w.putInt(readable == 0 && oooCount == 0 ? Math.min(maxCapacity, INITIAL_CAPACITY) : capacity());
        w.putInt(head);
        w.putInt(readable);
        copyRange(w, 0, readable);
        w.putInt(oooCount);
        for (int i = 0; i < oooCount; i++) {
            w.putInt(oooStart[i]);
            w.putInt(oooEnd[i]);
            copyRange(w, readable + (oooStart[i] - rcvNxt), oooEnd[i] - oooStart[i]);
        }
    }

    private void copyRange(SnapshotWriter w, int offset, int len) {
        int at = (head + offset) & mask;
        int first = Math.min(len, capacity() - at);
        w.putBytes(buffer, at, first);
        if (first < len) {
            w.putBytes(buffer, 0, len - first);
        }
    }

    static ReceiveRing read(SnapshotReader r, int maxCapacity, int maxIntervals, int rcvNxt, BufferPool pool)
            throws SnapshotException {
        int capacity = r.getInt("recv.capacity", 1, maxCapacity);
        if (Integer.bitCount(capacity) != 1) {
            throw new SnapshotException("snapshot corrupt: receive ring capacity " + capacity
                    + " is not a power of two");
        }
        int head = r.getInt("recv.head", 0, capacity - 1);
        int readable = r.getInt("recv.readable", 0, capacity);
        if (r.remaining() < readable) {
            throw new SnapshotException("snapshot truncated: receive buffer holds " + readable + " bytes, "
                    + r.remaining() + " left");
        }
        ReceiveRing ring = new ReceiveRing(maxCapacity, maxIntervals);
        ring.pool = pool;
        if (readable > 0) {
            ring.memory(capacity, head);
        }
        ring.readRange(r, 0, readable, "recv.bytes");
        ring.readable = readable;
        int count = r.getInt("recv.oooCount", 0, maxIntervals);
        if (count > 0 && ring.capacity() == 0) {
            ring.memory(capacity, head);
        }
        int prevEnd = rcvNxt;
        for (int i = 0; i < count; i++) {
            int start = r.getInt("recv.oooStart");
            int end = r.getInt("recv.oooEnd");
            // sorted, disjoint, non-adjacent, beyond RCV.NXT, inside the ring
            long offset = (long) readable + (start - rcvNxt);
            if (!Seq.gt(start, prevEnd) || !Seq.gt(end, start) || (start - rcvNxt) <= 0
                    || offset + (end - start) > capacity) {
                throw new SnapshotException("snapshot corrupt: out-of-order interval " + i + " ["
                        + Integer.toUnsignedString(start) + ", " + Integer.toUnsignedString(end)
                        + ") is not ordered or does not fit the receive ring");
            }
            ring.allocateIntervals();
            ring.oooStart[i] = start;
            ring.oooEnd[i] = end;
            ring.oooCount = i + 1;
            ring.readRange(r, (int) offset, end - start, "recv.oooBytes");
            prevEnd = end;
        }
        return ring;
    }

    /** Memory for a restored ring: the snapshot's capacity and read position. */
    private void memory(int capacity, int at) {
        buffer = SendRing.take(pool, capacity);
        mask = capacity - 1;
        head = at;
    }

    private void readRange(SnapshotReader r, int offset, int len, String field) throws SnapshotException {
        int at = (head + offset) & mask;
        int first = Math.min(len, capacity() - at);
        r.getBytes(buffer, at, first, field);
        if (first < len) {
            r.getBytes(buffer, 0, len - first, field);
        }
    }
}
