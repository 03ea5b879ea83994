package io.capybara.host;

import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Pending and completed queue operations, as parallel arrays indexed by slot. A token is
 * {@code generation << 32 | slot}: a slot is reused after its completion is taken, and the
 * generation makes stale tokens harmless. Completed tokens also wait in FIFO order for
 * {@link #next}.
 */
final class OpTable {
    private int[] generation;
    private QueueOp[] op;
    private int[] qd;
    private boolean[] done;
    private int[] error;
    private int[] value;
    private DirectBuffer[] data;
    private int[] dataOffset;
    private int[] dataLength;
    // push source / pop destination
    DirectBuffer[] src;
    int[] srcOffset;
    int[] remaining;
    int[] total;
    MutableDirectBuffer[] dst;
    int[] dstOffset;
    int[] dstLength;

    private int[] free;
    private int freeCount;
    private long[] doneQueue;
    private int doneHead;
    private int doneCount;

    OpTable(int capacity) {
        generation = new int[0];
        grow(capacity);
    }

    private void grow(int capacity) {
        int old = generation.length;
        generation = Arrays.copyOf(generation, capacity);
        op = Arrays.copyOf(op == null ? new QueueOp[0] : op, capacity);
        qd = Arrays.copyOf(qd == null ? new int[0] : qd, capacity);
        done = Arrays.copyOf(done == null ? new boolean[0] : done, capacity);
        error = Arrays.copyOf(error == null ? new int[0] : error, capacity);
        value = Arrays.copyOf(value == null ? new int[0] : value, capacity);
        data = Arrays.copyOf(data == null ? new DirectBuffer[0] : data, capacity);
        dataOffset = Arrays.copyOf(dataOffset == null ? new int[0] : dataOffset, capacity);
        dataLength = Arrays.copyOf(dataLength == null ? new int[0] : dataLength, capacity);
        src = Arrays.copyOf(src == null ? new DirectBuffer[0] : src, capacity);
        srcOffset = Arrays.copyOf(srcOffset == null ? new int[0] : srcOffset, capacity);
        remaining = Arrays.copyOf(remaining == null ? new int[0] : remaining, capacity);
        total = Arrays.copyOf(total == null ? new int[0] : total, capacity);
        dst = Arrays.copyOf(dst == null ? new MutableDirectBuffer[0] : dst, capacity);
        dstOffset = Arrays.copyOf(dstOffset == null ? new int[0] : dstOffset, capacity);
        dstLength = Arrays.copyOf(dstLength == null ? new int[0] : dstLength, capacity);
        int[] newFree = new int[capacity];
        if (free != null) {
            System.arraycopy(free, 0, newFree, 0, freeCount);
        }
        free = newFree;
        // hand out low slots first
        for (int s = capacity - 1; s >= old; s--) {
            free[freeCount++] = s;
            generation[s] = 1;
        }
        long[] newDone = new long[capacity];
        for (int i = 0; i < doneCount; i++) {
            newDone[i] = doneQueue[(doneHead + i) % doneQueue.length];
        }
        doneQueue = newDone;
        doneHead = 0;
    }

    long allocate(QueueOp kind, int descriptor) {
        if (freeCount == 0) {
            grow(generation.length * 2);
        }
        int s = free[--freeCount];
        op[s] = kind;
        qd[s] = descriptor;
        done[s] = false;
        error[s] = 0;
        value[s] = 0;
        data[s] = null;
        dataOffset[s] = dataLength[s] = 0;
        src[s] = null;
        dst[s] = null;
        return (long) generation[s] << 32 | s;
    }

    static int slot(long token) {
        return (int) token;
    }

    /** The slot of a live token, or -1. */
    int live(long token) {
        int s = (int) token;
        if (s < 0 || s >= generation.length || generation[s] != (int) (token >>> 32) || op[s] == null) {
            return -1;
        }
        return s;
    }

    boolean isDone(int s) {
        return done[s];
    }

    void complete(int s, int err, int val) {
        complete(s, err, val, null, 0, 0);
    }

    void complete(int s, int err, int val, DirectBuffer buf, int off, int len) {
        done[s] = true;
        error[s] = err;
        value[s] = val;
        data[s] = buf;
        dataOffset[s] = off;
        dataLength[s] = len;
        src[s] = null;
        dst[s] = null;
        if (doneCount == doneQueue.length) {
            grow(generation.length * 2);
        }
        doneQueue[(doneHead + doneCount) % doneQueue.length] = (long) generation[s] << 32 | s;
        doneCount++;
    }

    /** Copies a completed operation into {@code out} and frees its slot. */
    boolean take(long token, QResult out) {
        int s = live(token);
        if (s < 0 || !done[s]) {
            return false;
        }
        out.token = token;
        out.qd = qd[s];
        out.op = op[s];
        out.error = error[s];
        out.value = value[s];
        out.data = data[s];
        out.dataOffset = dataOffset[s];
        out.dataLength = dataLength[s];
        op[s] = null;
        data[s] = null;
        generation[s]++;
        free[freeCount++] = s;
        return true;
    }

    /** Takes the oldest completion not yet taken. */
    boolean next(QResult out) {
        while (doneCount > 0) {
            long token = doneQueue[doneHead];
            doneHead = (doneHead + 1) % doneQueue.length;
            doneCount--;
            if (take(token, out)) {
                return true;
            }
        }
        return false;
    }

    QueueOp op(int s) {
        return op[s];
    }

    int qd(int s) {
        return qd[s];
    }
}
