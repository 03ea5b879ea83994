package io.capybara.sim;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A simulated cable between two nodes: {@link #a()} and {@link #b()} are the node-side
 * {@link FrameChannel}s. Each direction has its own {@link LinkProfile} and its own seeded
 * {@link SplittableRandom}, so a run is reproducible bit for bit.
 *
 * <p>Frames in flight live in preallocated slots; a binary heap orders them by delivery time,
 * ties broken by a per-direction send counter. Delivered frames wait in the receiving port's
 * FIFO until the node polls. When every slot is taken, {@code send} returns false and the frame
 * is counted as an overflow drop. The link can be scheduled down over time intervals: frames
 * sent or due while down are lost.
 */
public final class SimLink {
    /** Direction index of frames sent on {@link #a()} toward {@link #b()}. */
    public static final int A_TO_B = 0;
    public static final int B_TO_A = 1;

    private final Simulator simulator;
    private final int id;
    private final String name;
    private final Direction ab;
    private final Direction ba;
    private final Port portA;
    private final Port portB;
    private long[] downFrom = new long[0];
    private long[] downTo = new long[0];
    private FrameTap tap;

    SimLink(Simulator simulator, int id, String name, LinkProfile abProfile, LinkProfile baProfile,
            SplittableRandom abRandom, SplittableRandom baRandom, int slotsPerDirection, int maxFrameBytes) {
        this.simulator = simulator;
        this.id = id;
        this.name = name;
        this.ab = new Direction(A_TO_B, abProfile, abRandom, slotsPerDirection, maxFrameBytes);
        this.ba = new Direction(B_TO_A, baProfile, baRandom, slotsPerDirection, maxFrameBytes);
        this.portA = new Port(name + ".a", ab, ba);
        this.portB = new Port(name + ".b", ba, ab);
    }

    /** The channel for the node at end A. */
    public FrameChannel a() {
        return portA;
    }

    /** The channel for the node at end B. */
    public FrameChannel b() {
        return portB;
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** Counters of the direction {@link #A_TO_B} or {@link #B_TO_A}. */
    public Stats stats(int direction) {
        return direction == A_TO_B ? ab.stats : ba.stats;
    }

    /** Attaches a listener that sees every delivered frame (both directions); null removes it. */
    public void tap(FrameTap tap) {
        this.tap = tap;
    }

    /** Takes the link down in both directions over [fromNanos, toNanos). */
    public void down(long fromNanos, long toNanos) {
        if (toNanos <= fromNanos) {
            throw new IllegalArgumentException("empty interval");
        }
        int n = downFrom.length;
        downFrom = Arrays.copyOf(downFrom, n + 1);
        downTo = Arrays.copyOf(downTo, n + 1);
        downFrom[n] = fromNanos;
        downTo[n] = toNanos;
    }

    public boolean isDown(long nanos) {
        for (int i = 0; i < downFrom.length; i++) {
            if (nanos >= downFrom[i] && nanos < downTo[i]) {
                return true;
            }
        }
        return false;
    }

    /** Earliest delivery time of a frame in flight, or {@link Long#MAX_VALUE}. */
    long nextDelivery() {
        return Math.min(ab.headTime(), ba.headTime());
    }

    /** Moves every frame due at {@code now} to its receiving port; returns how many moved. */
    int deliverDue(long now) {
        return ab.deliverDue(now) + ba.deliverDue(now);
    }

    /** Per-direction counters. */
    public static final class Stats {
        long sent;
        long delivered;
        long lost;
        long duplicated;
        long reordered;
        long corrupted;
        long downDrops;
        long overflowDrops;
        long oversizeDrops;

        public long sent() { return sent; }
        public long delivered() { return delivered; }
        public long lost() { return lost; }
        public long duplicated() { return duplicated; }
        public long reordered() { return reordered; }
        public long corrupted() { return corrupted; }
        public long downDrops() { return downDrops; }
        public long overflowDrops() { return overflowDrops; }
        public long oversizeDrops() { return oversizeDrops; }

        @Override
        public String toString() {
            return "sent=" + sent + " delivered=" + delivered + " lost=" + lost + " dup=" + duplicated
                    + " reordered=" + reordered + " corrupted=" + corrupted + " down=" + downDrops
                    + " overflow=" + overflowDrops + " oversize=" + oversizeDrops;
        }
    }

    /** One direction: slots, the in-flight heap and the receiver's FIFO. */
    private final class Direction {
        final int index;
        final LinkProfile profile;
        final SplittableRandom random;
        final int maxFrame;
        final UnsafeBuffer slab;
        final int[] lengths;
        final long[] times;
        final long[] order;
        final int[] free;
        int freeCount;
        final int[] heap;
        int heapSize;
        final int[] rx;
        int rxHead;
        int rxCount;
        long sendCounter;
        long busyUntil;
        final Stats stats = new Stats();

        Direction(int index, LinkProfile profile, SplittableRandom random, int slots, int maxFrame) {
            this.index = index;
            this.profile = profile;
            this.random = random;
            this.maxFrame = maxFrame;
            this.slab = new UnsafeBuffer(new byte[slots * maxFrame]);
            this.lengths = new int[slots];
            this.times = new long[slots];
            this.order = new long[slots];
            this.free = new int[slots];
            for (int i = 0; i < slots; i++) {
                free[i] = slots - 1 - i;
            }
            this.freeCount = slots;
            this.heap = new int[slots];
            this.rx = new int[slots];
        }

        boolean send(DirectBuffer buffer, int offset, int length) {
            if (length <= 0 || length > maxFrame) {
                stats.oversizeDrops++;
                return false;
            }
            long now = simulator.now();
            stats.sent++;
            if (isDown(now)) {
                stats.downDrops++;
                return true;
            }
            LinkProfile p = profile;
            long departure = now;
            if (p.bitsPerSecond() > 0) {
                long start = Math.max(now, busyUntil);
                busyUntil = start + (length * 8L * 1_000_000_000L + p.bitsPerSecond() - 1) / p.bitsPerSecond();
                departure = busyUntil;
            }
            if (p.loss() > 0 && random.nextDouble() < p.loss()) {
                stats.lost++;
                return true;
            }
            int copies = p.duplicate() > 0 && random.nextDouble() < p.duplicate() ? 2 : 1;
            for (int c = 0; c < copies; c++) {
                if (freeCount == 0) {
                    stats.overflowDrops++;
                    return c > 0;
                }
                if (c > 0) {
                    stats.duplicated++;
                }
                int slot = free[--freeCount];
                int base = slot * maxFrame;
                slab.putBytes(base, buffer, offset, length);
                long delay = p.delayNanos();
                if (p.jitterNanos() > 0) {
                    delay += random.nextLong(p.jitterNanos() + 1);
                }
                if (p.reorder() > 0 && random.nextDouble() < p.reorder()) {
                    long extra = p.reorderDelayNanos();
                    delay += extra / 2 + (extra > 0 ? random.nextLong(extra + 1) : 0);
                    stats.reordered++;
                }
                if (p.corrupt() > 0 && random.nextDouble() < p.corrupt()) {
                    int at = base + random.nextInt(length);
                    slab.putByte(at, (byte) (slab.getByte(at) ^ (1 << random.nextInt(8))));
                    stats.corrupted++;
                }
                lengths[slot] = length;
                times[slot] = departure + delay;
                order[slot] = sendCounter++;
                heapPush(slot);
            }
            return true;
        }

        long headTime() {
            return heapSize == 0 ? Long.MAX_VALUE : times[heap[0]];
        }

        int deliverDue(long now) {
            int moved = 0;
            while (heapSize > 0 && times[heap[0]] <= now) {
                int slot = heapPop();
                long t = times[slot];
                if (isDown(t)) {
                    stats.downDrops++;
                    free[freeCount++] = slot;
                    continue;
                }
                int base = slot * maxFrame;
                simulator.recordDelivery(id, index, t, slab, base, lengths[slot]);
                if (tap != null) {
                    tap.record(t, slab, base, lengths[slot]);
                }
                rx[(rxHead + rxCount) % rx.length] = slot;
                rxCount++;
                stats.delivered++;
                moved++;
            }
            return moved;
        }

        int poll(FrameHandler handler, int limit) {
            int n = 0;
            while (n < limit && rxCount > 0) {
                int slot = rx[rxHead];
                rxHead = (rxHead + 1) % rx.length;
                rxCount--;
                try {
                    handler.onFrame(slab, slot * maxFrame, lengths[slot]);
                } finally {
                    free[freeCount++] = slot;
                }
                n++;
            }
            return n;
        }

        private boolean before(int x, int y) {
            return times[x] < times[y] || (times[x] == times[y] && order[x] < order[y]);
        }

        private void heapPush(int slot) {
            int i = heapSize++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!before(slot, heap[parent])) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = slot;
        }

        private int heapPop() {
            int top = heap[0];
            int last = heap[--heapSize];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= heapSize) {
                    break;
                }
                if (child + 1 < heapSize && before(heap[child + 1], heap[child])) {
                    child++;
                }
                if (!before(heap[child], last)) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            if (heapSize > 0) {
                heap[i] = last;
            }
            return top;
        }
    }

    /** A node-side end: sends into one direction, receives from the other. */
    private static final class Port implements FrameChannel {
        private final String name;
        private final Direction out;
        private final Direction in;

        Port(String name, Direction out, Direction in) {
            this.name = name;
            this.out = out;
            this.in = in;
        }

        @Override
        public int poll(FrameHandler handler, int limit) {
            return in.poll(handler, limit);
        }

        @Override
        public boolean send(DirectBuffer buffer, int offset, int length) {
            return out.send(buffer, offset, length);
        }

        @Override
        public String name() {
            return name;
        }
    }
}
