package io.capybara.io.linux;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A TAP device as a {@link FrameChannel}: {@code /dev/net/tun} with
 * {@code TUNSETIFF(IFF_TAP | IFF_NO_PI)}, non-blocking. Each read returns one whole Ethernet
 * frame; each write injects one into the kernel as if received on the interface.
 *
 * <p>The device is not persistent: it disappears when this channel closes. The kernel side
 * may be moved to another network namespace after opening ({@code ip link set NAME netns NS});
 * the file descriptor keeps working, so the JVM never has to setns. Without IFF_VNET_HDR the
 * kernel cannot hand us partial checksums or GSO frames, so every frame is complete.
 *
 * <p>Receive and transmit go through two off-heap segments allocated once and wrapped by
 * Agrona {@link UnsafeBuffer}s: nothing is allocated per frame. Not thread-safe: poll and
 * send from one thread.
 */
public final class TapChannel extends FdFrameChannel {
    /** Large enough for any frame a TAP with a standard or jumbo MTU delivers. */
    public static final int DEFAULT_BUFFER_BYTES = 65536;

    private TapChannel(Arena arena, int fd, String name, int bufferBytes) {
        super(arena, fd, name, bufferBytes);
    }

    /** Creates (or attaches to) TAP device {@code name}. Needs CAP_NET_ADMIN. */
    public static TapChannel open(String name) {
        return open(name, DEFAULT_BUFFER_BYTES);
    }

    public static TapChannel open(String name, int bufferBytes) {
        LinuxCalls.checkInterfaceName(name);
        if (bufferBytes < 64) {
            throw new IllegalArgumentException("bufferBytes " + bufferBytes + " < 64");
        }
        Arena arena = Arena.ofShared();
        int fd = -1;
        try {
            MemorySegment cs = LinuxCalls.newCallState(arena);
            fd = LinuxCalls.check(LinuxCalls.open(cs, arena.allocateFrom("/dev/net/tun"),
                    LinuxCalls.O_RDWR | LinuxCalls.O_NONBLOCK | LinuxCalls.O_CLOEXEC, 0),
                    "open(/dev/net/tun)", name);
            MemorySegment ifr = LinuxCalls.ifreq(arena, name);
            ifr.set(JAVA_SHORT, LinuxCalls.IFREQ_UNION_OFFSET, (short) (LinuxCalls.IFF_TAP | LinuxCalls.IFF_NO_PI));
            LinuxCalls.check(LinuxCalls.ioctl(cs, fd, LinuxCalls.TUNSETIFF, ifr), "ioctl(TUNSETIFF)", name);
            // The kernel writes back the name it used (the same unless a pattern like tap%d was given).
            String actual = ifr.getString(0, StandardCharsets.UTF_8);
            return new TapChannel(arena, fd, actual, bufferBytes);
        } catch (RuntimeException e) {
            if (fd >= 0) {
                LinuxCalls.close(LinuxCalls.threadCallState(), fd);
            }
            arena.close();
            throw e;
        }
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        ensureOpen();
        int delivered = 0;
        while (delivered < limit) {
            long n = LinuxCalls.read(callState, fd, rx, rx.byteSize());
            if (n < 0) {
                if (readFailed(n)) {
                    continue;
                }
                break;
            }
            if (n == 0) {
                break;
            }
            framesReceived++;
            delivered++;
            handler.onFrame(rxBuffer, 0, (int) n);
        }
        return delivered;
    }

    @Override
    protected long transmit(int length) {
        return LinuxCalls.write(callState, fd, tx, length);
    }

    @Override
    protected int minFrameLength() {
        return 1;
    }
}
