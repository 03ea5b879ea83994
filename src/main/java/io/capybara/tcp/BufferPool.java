package io.capybara.tcp;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Ring memory a host recycles: the buffers of connections that moved away become the buffers
 * of connections restored here, so a restore copies into memory that is already mapped and
 * likely cached instead of zeroing fresh heap (which was most of a restore's time). The SACK
 * scoreboards' record arrays are kept the same way ({@link #takeRecords}).
 *
 * <p>One LIFO stack per power-of-two size, bounded by a count and by bytes: the most recently
 * given buffer is the one most likely still in cache, and a full stack forgets its oldest.
 * Buffers come back dirty; that is safe because a ring only ever reads bytes it wrote (the
 * snapshot format carries exactly those ranges). Single-threaded, one per host loop.
 */
public final class BufferPool {
    private final int perSize;
    private final long bytesPerSize;
    private final UnsafeBuffer[][] stacks = new UnsafeBuffer[31][];
    private final int[] counts = new int[31];
    /** Index of each stack's top; a stack is a ring so that a full one drops its bottom. */
    private final int[] tops = new int[31];
    private long reused;
    private long allocated;
    private final boolean nativeMemory;
    /** Scoreboard record arrays by log2 capacity; a plain stack (a full one keeps what it has). */
    private final LossRecovery.Records[][] records = new LossRecovery.Records[31][];
    private final int[] recordCounts = new int[31];

    /** @param perSize buffers kept per size at most (the rest is left to the garbage collector) */
    public BufferPool(int perSize) {
        this(perSize, Long.MAX_VALUE);
    }

    /**
     * @param perSize      buffers kept per size at most
     * @param bytesPerSize bytes kept per size at most (at least one buffer of each size is kept),
     *                     so that small rings can be kept by the thousand and large ones by the few
     */
    public BufferPool(int perSize, long bytesPerSize) {
        this(perSize, bytesPerSize, false);
    }

    /**
     * @param nativeMemory buffers off the heap (direct), e.g. for a channel that hands a send
     *                     ring's bytes to the kernel where they lie instead of copying them out
     *                     of the heap first; buffers of the other kind are not kept
     */
    public BufferPool(int perSize, long bytesPerSize, boolean nativeMemory) {
        if (perSize < 0 || bytesPerSize < 0) {
            throw new IllegalArgumentException("perSize and bytesPerSize must be >= 0");
        }
        this.perSize = perSize;
        this.bytesPerSize = bytesPerSize;
        this.nativeMemory = nativeMemory;
    }

    /** A buffer of exactly {@code capacity} bytes (a power of two), recycled when one is kept. */
    UnsafeBuffer take(int capacity) {
        int k = Integer.numberOfTrailingZeros(capacity);
        if (counts[k] > 0) {
            UnsafeBuffer[] stack = stacks[k];
            int top = tops[k];
            UnsafeBuffer b = stack[top];
            stack[top] = null;
            tops[k] = top == 0 ? stack.length - 1 : top - 1;
            counts[k]--;
            reused++;
            return b;
        }
        allocated++;
        return nativeMemory ? new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(capacity))
                : new UnsafeBuffer(new byte[capacity]);
    }

    /**
     * Keeps {@code buffer} for a later {@link #take}; its owner must not touch it again. A full
     * stack forgets its oldest buffer, the one least likely to be in cache.
     */
    void give(UnsafeBuffer buffer) {
        int capacity = buffer.capacity();
        if (perSize == 0 || Integer.bitCount(capacity) != 1 || capacity < 64
                || (buffer.byteArray() == null) != nativeMemory) {
            return; // the placeholders of released rings, or not ring memory of this pool's kind
        }
        int k = Integer.numberOfTrailingZeros(capacity);
        if (stacks[k] == null) {
            int depth = (int) Math.min(perSize, Math.max(1, bytesPerSize >>> k));
            stacks[k] = new UnsafeBuffer[depth];
            tops[k] = depth - 1;
        }
        UnsafeBuffer[] stack = stacks[k];
        int top = tops[k] + 1 == stack.length ? 0 : tops[k] + 1;
        stack[top] = buffer;
        tops[k] = top;
        counts[k] = Math.min(counts[k] + 1, stack.length);
    }

    /** Scoreboard record arrays of {@code capacity} records (a power of two), recycled when kept. */
    LossRecovery.Records takeRecords(int capacity) {
        int k = Integer.numberOfTrailingZeros(capacity);
        if (recordCounts[k] > 0) {
            reused++;
            LossRecovery.Records r = records[k][--recordCounts[k]];
            records[k][recordCounts[k]] = null;
            return r;
        }
        allocated++;
        return new LossRecovery.Records(capacity);
    }

    /** Keeps {@code r} for a later {@link #takeRecords}, within the same bounds as buffers. */
    void giveRecords(LossRecovery.Records r) {
        int k = Integer.numberOfTrailingZeros(r.capacity());
        if (perSize == 0 || Integer.bitCount(r.capacity()) != 1) {
            return;
        }
        if (records[k] == null) {
            long bytes = (long) r.capacity() * LossRecovery.Records.BYTES_PER_RECORD;
            records[k] = new LossRecovery.Records[(int) Math.min(perSize, Math.max(1, bytesPerSize / bytes))];
        }
        if (recordCounts[k] < records[k].length) {
            records[k][recordCounts[k]++] = r;
        }
    }

    /** Buffers of {@code capacity} bytes kept now. */
    public int available(int capacity) {
        return Integer.bitCount(capacity) == 1 ? counts[Integer.numberOfTrailingZeros(capacity)] : 0;
    }

    /** Takes served from kept buffers or kept scoreboard records. */
    public long reused() {
        return reused;
    }

    /** Takes (of buffers or scoreboard records) that had to allocate. */
    public long allocated() {
        return allocated;
    }
}
