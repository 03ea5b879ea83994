package io.capybara.eval.linux;

import io.capybara.io.linux.LinuxCalls;
import io.capybara.io.linux.Topology;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Plain kernel TCP sockets through FFM (IPv4 only): what the baseline needs to hold a
 * connection as a file descriptor it can later put into repair mode. Cold-path code: it
 * allocates, throws {@link io.capybara.io.linux.LinuxCallException} on failure, and waits with
 * poll(2).
 */
public final class TcpSockets {
    // netinet/tcp.h, linux/tcp.h
    public static final int SOL_TCP = 6;
    public static final int TCP_NODELAY = 1;
    public static final int TCP_MAXSEG = 2;
    public static final int TCP_INFO = 11;
    /** Bytes of struct tcp_info we read (the fields up to tcpi_total_retrans). */
    public static final int TCP_INFO_BYTES = 104;
    public static final int TCP_STATE_ESTABLISHED = 1;

    private TcpSockets() {
    }

    /** An IPv4 endpoint; the address is an int in network order value (10.0.0.1 = 0x0A000001). */
    public record Endpoint(int address, int port) {
        @Override
        public String toString() {
            return Topology.ipv4(address) + ":" + port;
        }
    }

    static void putSockaddrIn(MemorySegment sa, Endpoint e) {
        sa.fill((byte) 0);
        sa.set(JAVA_SHORT, 0, (short) LinuxCalls.AF_INET);
        sa.set(JAVA_BYTE, 2, (byte) (e.port() >>> 8));
        sa.set(JAVA_BYTE, 3, (byte) e.port());
        for (int i = 0; i < 4; i++) {
            sa.set(JAVA_BYTE, 4 + i, (byte) (e.address() >>> (24 - 8 * i)));
        }
    }

    static Endpoint getSockaddrIn(MemorySegment sa) {
        int port = ((sa.get(JAVA_BYTE, 2) & 0xFF) << 8) | (sa.get(JAVA_BYTE, 3) & 0xFF);
        int addr = 0;
        for (int i = 0; i < 4; i++) {
            addr = (addr << 8) | (sa.get(JAVA_BYTE, 4 + i) & 0xFF);
        }
        return new Endpoint(addr, port);
    }

    /** A listening socket bound to {@code local} (port 0 = any); returns the fd. */
    public static int listen(Endpoint local, int backlog) {
        MemorySegment cs = LinuxCalls.threadCallState();
        int fd = LinuxCalls.check(LinuxCalls.socket(cs, LinuxCalls.AF_INET,
                LinuxCalls.SOCK_STREAM | LinuxCalls.SOCK_CLOEXEC, 0), "socket(AF_INET, SOCK_STREAM)", local.toString());
        try (Arena arena = Arena.ofConfined()) {
            LinuxCalls.setIntOption(fd, LinuxCalls.SOL_SOCKET, LinuxCalls.SO_REUSEADDR, 1,
                    "setsockopt(SO_REUSEADDR)", local.toString());
            MemorySegment sa = arena.allocate(LinuxCalls.SOCKADDR_IN_SIZE, 4);
            putSockaddrIn(sa, local);
            LinuxCalls.check(LinuxCalls.bind(cs, fd, sa, LinuxCalls.SOCKADDR_IN_SIZE), "bind", local.toString());
            LinuxCalls.check(LinuxCalls.listen(cs, fd, backlog), "listen", local.toString());
            return fd;
        } catch (RuntimeException e) {
            LinuxCalls.close(cs, fd);
            throw e;
        }
    }

    /** Waits up to {@code timeoutMillis} for a connection on {@code listenFd}; returns its fd. */
    public static int accept(int listenFd, int timeoutMillis) {
        awaitReady(listenFd, LinuxCalls.POLLIN, timeoutMillis, "accept");
        return LinuxCalls.check(LinuxCalls.accept4(LinuxCalls.threadCallState(), listenFd, LinuxCalls.SOCK_CLOEXEC),
                "accept4", "fd " + listenFd);
    }

    public static Endpoint localEndpoint(int fd) {
        return name(fd, true);
    }

    public static Endpoint remoteEndpoint(int fd) {
        return name(fd, false);
    }

    private static Endpoint name(int fd, boolean local) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(LinuxCalls.SOCKADDR_IN_SIZE, 4);
            MemorySegment len = arena.allocateFrom(JAVA_INT, LinuxCalls.SOCKADDR_IN_SIZE);
            MemorySegment cs = LinuxCalls.threadCallState();
            int r = local ? LinuxCalls.getsockname(cs, fd, sa, len) : LinuxCalls.getpeername(cs, fd, sa, len);
            LinuxCalls.check(r, local ? "getsockname" : "getpeername", "fd " + fd);
            return getSockaddrIn(sa);
        }
    }

    /** Bytes waiting in the receive queue (SIOCINQ). */
    public static int receiveQueueBytes(int fd) {
        return queueBytes(fd, LinuxCalls.SIOCINQ, "ioctl(SIOCINQ)");
    }

    /** Bytes not yet acknowledged by the peer, sent or not (SIOCOUTQ). */
    public static int sendQueueBytes(int fd) {
        return queueBytes(fd, LinuxCalls.SIOCOUTQ, "ioctl(SIOCOUTQ)");
    }

    private static int queueBytes(int fd, long request, String call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            LinuxCalls.check(LinuxCalls.ioctl(LinuxCalls.threadCallState(), fd, request, v), call, "fd " + fd);
            return v.get(JAVA_INT, 0);
        }
    }

    /** The socket's struct tcp_info (its first {@link #TCP_INFO_BYTES} bytes), in {@code arena}. */
    private static MemorySegment tcpInfo(int fd, Arena arena) {
        MemorySegment info = arena.allocate(TCP_INFO_BYTES, 8);
        MemorySegment len = arena.allocateFrom(JAVA_INT, TCP_INFO_BYTES);
        LinuxCalls.check(LinuxCalls.getsockopt(LinuxCalls.threadCallState(), fd, SOL_TCP, TCP_INFO, info, len),
                "getsockopt(TCP_INFO)", "fd " + fd);
        return info;
    }

    /** tcpi_state of TCP_INFO (1 = ESTABLISHED). */
    public static int tcpState(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            return tcpInfo(fd, arena).get(JAVA_BYTE, 0);
        }
    }

    /** TCP_MAXSEG: outside repair mode, the MSS the socket currently sends with (mss_cache). */
    public static int maxSegment(int fd) {
        return LinuxCalls.getIntOption(fd, SOL_TCP, TCP_MAXSEG, "getsockopt(TCP_MAXSEG)", "fd " + fd);
    }

    /** tcpi_rto of TCP_INFO: the current retransmission timeout in microseconds. */
    public static int rtoMicros(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            return tcpInfo(fd, arena).get(JAVA_INT, 8);
        }
    }

    /** Writes all of {@code data}, waiting for buffer space up to {@code timeoutMillis} per wait. */
    public static void writeFully(int fd, byte[] data, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            MemorySegment cs = LinuxCalls.threadCallState();
            long done = 0;
            while (done < data.length) {
                long n = LinuxCalls.send(cs, fd, buf.asSlice(done), data.length - done,
                        LinuxCalls.MSG_DONTWAIT | LinuxCalls.MSG_NOSIGNAL);
                if (n == -LinuxCalls.EAGAIN) {
                    awaitReady(fd, LinuxCalls.POLLOUT, timeoutMillis, "send");
                } else if (n != -LinuxCalls.EINTR) {
                    done += LinuxCalls.check(n, "send", "fd " + fd);
                }
            }
        }
    }

    /** Reads exactly {@code length} bytes, waiting up to {@code timeoutMillis} per wait. */
    public static byte[] readFully(int fd, int length, int timeoutMillis) {
        byte[] out = new byte[length];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, length));
            MemorySegment cs = LinuxCalls.threadCallState();
            long done = 0;
            while (done < length) {
                long n = LinuxCalls.recv(cs, fd, buf.asSlice(done), length - done, LinuxCalls.MSG_DONTWAIT);
                if (n == -LinuxCalls.EAGAIN) {
                    awaitReady(fd, LinuxCalls.POLLIN, timeoutMillis, "recv");
                } else if (n == 0) {
                    throw new IllegalStateException("fd " + fd + ": peer closed after " + done + " of " + length + " bytes");
                } else if (n != -LinuxCalls.EINTR) {
                    done += LinuxCalls.check(n, "recv", "fd " + fd);
                }
            }
            MemorySegment.copy(buf, JAVA_BYTE, 0, out, 0, length);
        }
        return out;
    }

    private static void awaitReady(int fd, short events, int timeoutMillis, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(8, 4);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, events);
            int r;
            do {
                r = LinuxCalls.poll(LinuxCalls.threadCallState(), pfd, 1, timeoutMillis);
            } while (r == -LinuxCalls.EINTR);
            LinuxCalls.check(r, "poll", "fd " + fd);
            if (r == 0) {
                throw new IllegalStateException("fd " + fd + ": " + what + " timed out after " + timeoutMillis + " ms");
            }
        }
    }

    public static void close(int fd) {
        LinuxCalls.closeChecked(fd, "fd " + fd);
    }
}
