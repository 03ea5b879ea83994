package io.capybara.demo;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import io.capybara.wire.TcpMigHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A server's NIC under the virtual CPU model: a frame the server sends after it has charged CPU
 * time in the current poll (migration work, the injected delay) leaves only when that CPU time
 * has passed, as it would on a run-to-completion core. Frames sent while the CPU cursor is at
 * the present go straight out. Held frames keep their order; {@link #release} sends the due
 * ones. Copies only the (rare) held frames; the common path is a pass-through.
 */
final class CpuGatedChannel implements FrameChannel {
    private final FrameChannel inner;
    private final VirtualCpu cpu;
    private UnsafeBuffer slab = new UnsafeBuffer(new byte[64 * DEFAULT_MTU_FRAME]);
    private int[] lengths = new int[64];
    private long[] times = new long[64];
    private int head;
    private int count;
    private long held;
    private CpuServing watcher;
    private final TcpMigHeader mig = new TcpMigHeader();

    CpuGatedChannel(FrameChannel inner, VirtualCpu cpu) {
        this.inner = inner;
        this.cpu = cpu;
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        return inner.poll(handler, limit);
    }

    /** Reports each PREPARE_MIG_ACK this server sends, with the time it leaves. */
    void watchPrepareAcks(CpuServing app) {
        this.watcher = app;
    }

    @Override
    public boolean send(DirectBuffer buffer, int offset, int length) {
        long at = cpu.cursor();
        if (watcher != null) {
            watch(buffer, offset, length, at);
        }
        if (count == 0 && at <= cpu.now()) {
            return inner.send(buffer, offset, length);
        }
        if (length > DEFAULT_MTU_FRAME) {
            return false;
        }
        if (count == lengths.length) {
            grow();
        }
        int slot = (head + count) % lengths.length;
        slab.putBytes(slot * DEFAULT_MTU_FRAME, buffer, offset, length);
        lengths[slot] = length;
        times[slot] = Math.max(at, count > 0 ? times[(slot - 1 + lengths.length) % lengths.length] : at);
        count++;
        held++;
        return true;
    }

    /**
     * The blackout of a migration starts when the target's PREPARE_MIG_ACK leaves (the switch
     * redirects the connection as it passes): seen here, on the wire, in virtual time.
     */
    private void watch(DirectBuffer b, int off, int len, long at) {
        if (mig.wrapFrame(b, off, len) && mig.type() == TcpMigHeader.PREPARE_MIG_ACK) {
            watcher.prepareAckSent(mig.clientIp(), mig.clientPort(), mig.serverPort(), mig.originIp(),
                    mig.migrationId(), at);
        }
    }

    /** Sends every held frame due at {@code now}; returns how many went. */
    int release(long now) {
        int n = 0;
        while (count > 0 && times[head] <= now) {
            inner.send(slab, head * DEFAULT_MTU_FRAME, lengths[head]);
            head = (head + 1) % lengths.length;
            count--;
            n++;
        }
        return n;
    }

    /** When the oldest held frame is due, or {@link Long#MAX_VALUE}. */
    long nextRelease() {
        return count == 0 ? Long.MAX_VALUE : times[head];
    }

    /** Frames that had to wait for the CPU, in total. */
    long held() {
        return held;
    }

    private void grow() {
        int n = lengths.length;
        UnsafeBuffer s = new UnsafeBuffer(new byte[2 * n * DEFAULT_MTU_FRAME]);
        int[] l = new int[2 * n];
        long[] t = new long[2 * n];
        for (int i = 0; i < count; i++) {
            int from = (head + i) % n;
            s.putBytes(i * DEFAULT_MTU_FRAME, slab, from * DEFAULT_MTU_FRAME, lengths[from]);
            l[i] = lengths[from];
            t[i] = times[from];
        }
        slab = s;
        lengths = l;
        times = t;
        head = 0;
    }

    @Override
    public String name() {
        return inner.name() + "+cpu";
    }

    @Override
    public String toString() {
        return name() + " holding " + count;
    }
}
