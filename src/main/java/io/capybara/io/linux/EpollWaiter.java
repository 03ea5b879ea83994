package io.capybara.io.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Where an idle node sleeps: an epoll set over its descriptors (a TAP, AF_PACKET sockets) plus
 * an eventfd that another thread writes to wake it ({@link #wakeup()}, e.g. a control request).
 * {@link #await(long)} blocks in {@code epoll_pwait2} until one of them is readable or the
 * timeout (nanoseconds, not rounded to milliseconds) passes. Level-triggered: a descriptor with
 * frames still queued wakes the next wait at once, so the caller needs no bookkeeping.
 *
 * <p>{@link #await} belongs to one thread (the node loop); {@link #wakeup()} may be called from
 * any thread. Nothing is allocated per call.
 */
public final class EpollWaiter implements AutoCloseable {
    private static final int MAX_EVENTS = 16;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment callState = LinuxCalls.newCallState(arena);
    private final MemorySegment events = arena.allocate((long) LinuxCalls.EPOLL_EVENT_SIZE * MAX_EVENTS, 8);
    private final MemorySegment timeout = arena.allocate(16, 8);
    private final MemorySegment counter = arena.allocate(8, 8);
    private final int epfd;
    private final int eventFd;
    private volatile boolean closed;
    private boolean woken;
    private long waits;
    private long wakeups;

    public EpollWaiter() {
        epfd = LinuxCalls.check(LinuxCalls.epollCreate1(callState, LinuxCalls.EPOLL_CLOEXEC), "epoll_create1", "node");
        int efd = LinuxCalls.eventfd(callState, 0, LinuxCalls.EFD_NONBLOCK | LinuxCalls.EFD_CLOEXEC);
        if (efd < 0) {
            LinuxCalls.close(callState, epfd);
            arena.close();
            throw new LinuxCallException("eventfd", "node", -efd);
        }
        eventFd = efd;
        add(eventFd);
    }

    /** Watches {@code fd} for readability. */
    public void add(int fd) {
        MemorySegment ev = events.asSlice(0, LinuxCalls.EPOLL_EVENT_SIZE);
        ev.set(JAVA_INT, 0, LinuxCalls.EPOLLIN);
        ev.set(JAVA_LONG.withByteAlignment(4), LinuxCalls.EPOLL_EVENT_DATA_OFFSET, fd);
        LinuxCalls.check(LinuxCalls.epollCtl(callState, epfd, LinuxCalls.EPOLL_CTL_ADD, fd, ev), "epoll_ctl(ADD)",
                "fd " + fd);
    }

    /**
     * Blocks until a watched descriptor is readable, {@link #wakeup()} is called, or
     * {@code timeoutNanos} pass (negative: no limit).
     *
     * @return the number of ready descriptors (0 on time-out or EINTR)
     */
    public int await(long timeoutNanos) {
        MemorySegment t = MemorySegment.NULL;
        if (timeoutNanos >= 0) {
            timeout.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
            timeout.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            t = timeout;
        }
        waits++;
        int n = LinuxCalls.epollPwait2(callState, epfd, events, MAX_EVENTS, t);
        if (n < 0) {
            return 0; // EINTR (a signal, e.g. SIGTERM on the way): the caller loops and re-checks
        }
        for (int i = 0; i < n; i++) {
            long data = events.get(JAVA_LONG.withByteAlignment(4),
                    (long) i * LinuxCalls.EPOLL_EVENT_SIZE + LinuxCalls.EPOLL_EVENT_DATA_OFFSET);
            if (data == eventFd) {
                LinuxCalls.read(callState, eventFd, counter, 8); // reset the counter
                woken = true;
                wakeups++;
            }
        }
        return n;
    }

    /** True once after a wait that {@link #wakeup()} ended (or shortened). */
    public boolean takeWoken() {
        boolean w = woken;
        woken = false;
        return w;
    }

    /** Wakes the thread blocked in (or about to enter) {@link #await}. Any thread. */
    public void wakeup() {
        if (closed) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocateFrom(JAVA_LONG, 1L);
            LinuxCalls.write(LinuxCalls.threadCallState(), eventFd, one, 8);
        }
    }

    /** epoll waits entered. */
    public long waits() {
        return waits;
    }

    /** Waits ended by {@link #wakeup()}. */
    public long wakeups() {
        return wakeups;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LinuxCalls.close(callState, eventFd);
        LinuxCalls.close(callState, epfd);
        arena.close();
    }
}
