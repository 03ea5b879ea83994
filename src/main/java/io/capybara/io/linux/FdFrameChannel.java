package io.capybara.io.linux;

import io.capybara.io.FrameChannel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What the TAP and AF_PACKET channels share: a non-blocking file descriptor, one off-heap
 * receive and one transmit buffer allocated once, the send path, the counters and closing.
 * Subclasses say how a frame is read and written.
 */
public abstract class FdFrameChannel implements FrameChannel {
    protected final Arena arena;
    protected final MemorySegment callState;
    protected final MemorySegment rx;
    protected final MemorySegment tx;
    protected final UnsafeBuffer rxBuffer;
    protected final UnsafeBuffer txBuffer;
    protected final String name;
    /**
     * Bytes in front of every frame in {@link #tx} and {@link #rx} (a {@code virtio_net_hdr}
     * on an AF_PACKET socket with PACKET_VNET_HDR; 0 otherwise). {@link #send} zeroes them.
     */
    protected final int headroom;
    protected int fd;

    protected long framesReceived;
    protected long framesSent;
    protected long sendsDropped;
    protected long readErrors;
    protected int lastErrno;

    FdFrameChannel(Arena arena, int fd, String name, int bufferBytes) {
        this(arena, fd, name, bufferBytes, 0);
    }

    FdFrameChannel(Arena arena, int fd, String name, int bufferBytes, int headroom) {
        this.arena = arena;
        this.fd = fd;
        this.name = name;
        this.headroom = headroom;
        this.callState = LinuxCalls.newCallState(arena);
        this.rx = arena.allocate(bufferBytes + headroom, 64);
        this.tx = arena.allocate(bufferBytes + headroom, 64);
        this.rxBuffer = new UnsafeBuffer(rx.address(), bufferBytes + headroom);
        this.txBuffer = new UnsafeBuffer(tx.address(), bufferBytes + headroom);
    }

    /**
     * One write(2)/send(2) of {@code length} bytes from {@link #tx} (the headroom included):
     * the count or -errno.
     */
    protected abstract long transmit(int length);

    /** Frames shorter than this are not sent. */
    protected abstract int minFrameLength();

    /**
     * Handles a failed read: counts it unless it just means "nothing more now".
     *
     * @return true to retry (EINTR), false to stop reading
     */
    protected final boolean readFailed(long n) {
        if (n == -LinuxCalls.EINTR) {
            return true;
        }
        if (n != -LinuxCalls.EAGAIN) {
            readErrors++;
            lastErrno = (int) -n;
        }
        return false;
    }

    @Override
    public final boolean send(DirectBuffer buffer, int offset, int length) {
        ensureOpen();
        if (length < minFrameLength() || length > tx.byteSize() - headroom) {
            sendsDropped++;
            return false;
        }
        if (headroom > 0) {
            txBuffer.setMemory(0, headroom, (byte) 0);
        }
        // The system call needs native memory and the caller's buffer may be on the heap: one copy.
        txBuffer.putBytes(headroom, buffer, offset, length);
        return transmitted(length + headroom);
    }

    /** Transmits {@code length} bytes of {@link #tx} (retrying on EINTR) and counts the outcome. */
    protected final boolean transmitted(int length) {
        long n;
        do {
            n = transmit(length);
        } while (n == -LinuxCalls.EINTR);
        return counted(n, length);
    }

    /** Counts the result {@code n} of a send of {@code length} bytes: whether all went. */
    protected final boolean counted(long n, int length) {
        if (n == length) {
            framesSent++;
            return true;
        }
        if (n < 0) {
            lastErrno = (int) -n;
        }
        sendsDropped++;
        return false;
    }

    protected final void ensureOpen() {
        if (fd < 0) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** The file descriptor, e.g. to wait on it with poll(2). -1 once closed. */
    public int fd() {
        return fd;
    }

    public long framesReceived() {
        return framesReceived;
    }

    public long framesSent() {
        return framesSent;
    }

    /** Frames not sent: too short or long, or refused by the kernel (device down, no buffer). */
    public long sendsDropped() {
        return sendsDropped;
    }

    /** Reads that failed with something other than EAGAIN (e.g. the device was deleted). */
    public long readErrors() {
        return readErrors;
    }

    /** errno of the last failed read or write, 0 if none failed. */
    public int lastErrno() {
        return lastErrno;
    }

    @Override
    public synchronized void close() {
        if (fd < 0) {
            return;
        }
        int r = LinuxCalls.close(callState, fd);
        fd = -1;
        arena.close();
        LinuxCalls.check(r, "close", name);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + "]";
    }
}
