package io.capybara.io.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * FFM downcalls into glibc for the few system calls the Linux channels and the TCP_REPAIR
 * baseline need. No JNI, no JNA.
 *
 * <p>Convention: the raw methods return the call's result, or {@code -errno} when the call
 * failed (the kernel's own convention), so hot loops can test {@code r == -EAGAIN} without
 * allocating. errno is captured with {@code Linker.Option.captureCallState("errno")} into a
 * small segment the caller owns ({@link #newCallState(Arena)}); each channel keeps one, which
 * is why a channel must not be polled from two threads at once. Cold paths wrap a raw result
 * in {@link #check(long, String, String)}, which throws a {@link LinuxCallException} naming
 * the call, the subject and the errno text.
 *
 * <p>Constants were read from the x86_64 glibc/Linux headers (compiled and printed, not
 * guessed); they are the same on aarch64 except where noted.
 */
@SuppressWarnings("restricted") // deliberate: this class is the one place that links to libc
public final class LinuxCalls {
    // errno values
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int EINPROGRESS = 115;

    // open(2) / fcntl(2)
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;

    // poll(2)
    public static final short POLLIN = 1;
    public static final short POLLOUT = 4;

    // epoll(7), eventfd(2) (sys/epoll.h, sys/eventfd.h)
    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLLIN = 1;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;
    /**
     * struct epoll_event is packed on x86_64 (u32 events, u64 data at 4: 12 bytes) and
     * naturally aligned elsewhere (data at 8: 16 bytes).
     */
    public static final boolean EPOLL_EVENT_PACKED =
            System.getProperty("os.arch", "").matches("amd64|x86_64");
    public static final int EPOLL_EVENT_SIZE = EPOLL_EVENT_PACKED ? 12 : 16;
    public static final int EPOLL_EVENT_DATA_OFFSET = EPOLL_EVENT_PACKED ? 4 : 8;

    // sockets
    public static final int AF_INET = 2;
    public static final int AF_PACKET = 17;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    /** Like SO_RCVBUF but past net.core.rmem_max (needs CAP_NET_ADMIN). */
    public static final int SO_RCVBUFFORCE = 33;
    public static final int MSG_PEEK = 2;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int SHUT_WR = 1;
    public static final int SOCKADDR_IN_SIZE = 16;
    // struct mmsghdr (x86_64): struct msghdr (56 bytes: name, namelen, iov at 16, iovlen at 24,
    // control, controllen, flags at 48), then msg_len at 56, padded to 64; struct iovec is 16.
    public static final int MMSGHDR_SIZE = 64;
    public static final int MSGHDR_IOV = 16;
    public static final int MSGHDR_IOVLEN = 24;
    public static final int MSGHDR_FLAGS = 48;
    public static final int MSGHDR_SIZE = 56;
    public static final int MMSGHDR_LEN = 56;
    public static final int IOVEC_SIZE = 16;

    // AF_PACKET (linux/if_packet.h, linux/if_ether.h)
    public static final int SOL_PACKET = 263;
    public static final int ETH_P_ALL = 0x0003;
    public static final int PACKET_QDISC_BYPASS = 20;
    public static final int PACKET_IGNORE_OUTGOING = 23;
    /** Every frame sent or received is prefixed by a struct virtio_net_hdr (packet(7)). */
    public static final int PACKET_VNET_HDR = 15;
    public static final int SOCKADDR_LL_SIZE = 20;
    /** An mmap'ed receive ring of frames (packet_mmap): struct tpacket_req. */
    public static final int PACKET_RX_RING = 5;
    /** Frames longer than a ring slot are also queued whole to the socket (TP_STATUS_COPY). */
    public static final int PACKET_COPY_THRESH = 7;
    public static final int PACKET_VERSION = 10;
    public static final int TPACKET_V2 = 1;
    /** struct tpacket2_hdr: tp_status, tp_len, tp_snaplen (u32), tp_mac, tp_net (u16), ...; 32 bytes. */
    public static final int TPACKET2_STATUS = 0;
    public static final int TPACKET2_LEN = 4;
    public static final int TPACKET2_SNAPLEN = 8;
    public static final int TPACKET2_MAC = 12;
    public static final int TP_STATUS_KERNEL = 0;
    public static final int TP_STATUS_USER = 1;
    public static final int TP_STATUS_COPY = 2;

    // mmap(2)
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;

    // TUN/TAP (linux/if_tun.h); TUNSETIFF = _IOW('T', 202, int)
    public static final long TUNSETIFF = 0x400454caL;
    public static final short IFF_TAP = 0x0002;
    public static final short IFF_NO_PI = 0x1000;

    // interface ioctls (linux/sockios.h); struct ifreq is 40 bytes, name first, union at 16
    public static final long SIOCGIFHWADDR = 0x8927;
    public static final int IFREQ_SIZE = 40;
    public static final int IFREQ_UNION_OFFSET = 16;
    /** IFNAMSIZ - 1: the longest interface name the kernel accepts, in bytes. */
    public static final int MAX_INTERFACE_NAME_BYTES = 15;

    // queue sizes (asm-generic/ioctls.h, linux/sockios.h)
    public static final long SIOCINQ = 0x541B;
    public static final long SIOCOUTQ = 0x5411;
    public static final long SIOCOUTQNSD = 0x894B;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET =
            CALL_STATE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle SOCKET = errnoCall("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle BIND = errnoCall("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LISTEN = errnoCall("listen", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle ACCEPT4 =
            errnoCall("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle CONNECT = errnoCall("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SHUTDOWN = errnoCall("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle GETSOCKNAME =
            errnoCall("getsockname", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle GETPEERNAME =
            errnoCall("getpeername", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle SETSOCKOPT =
            errnoCall("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle GETSOCKOPT =
            errnoCall("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle READ = errnoCall("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle WRITE = errnoCall("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle RECV =
            errnoCall("recv", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SEND =
            errnoCall("send", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    /** mmap/munmap with the address as a long (a pointer-sized integer in the x86_64 and aarch64 ABIs). */
    private static final MethodHandle MMAP =
            errnoCall("mmap", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = errnoCall("munmap", JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle SENDMSG = errnoCall("sendmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVMMSG =
            errnoCall("recvmmsg", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle CLOSE = errnoCall("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle POLL = errnoCall("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle EPOLL_CREATE1 = errnoCall("epoll_create1", JAVA_INT, JAVA_INT);
    private static final MethodHandle EPOLL_CTL =
            errnoCall("epoll_ctl", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    /** epoll_pwait2 (Linux 5.11, glibc 2.35): a timespec timeout, so waits need not round to ms. */
    private static final MethodHandle EPOLL_PWAIT2 =
            errnoCall("epoll_pwait2", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle EVENTFD = errnoCall("eventfd", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle KILL = errnoCall("kill", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle GETTID = errnoCall("gettid", JAVA_INT);
    private static final MethodHandle SETPRIORITY = errnoCall("setpriority", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle IF_NAMETOINDEX = errnoCall("if_nametoindex", JAVA_INT, ADDRESS);
    // Variadic in C: the linker must be told where the variadic part starts.
    private static final MethodHandle OPEN =
            variadicErrnoCall("open", 2, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle IOCTL =
            variadicErrnoCall("ioctl", 2, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle FCNTL =
            variadicErrnoCall("fcntl", 2, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private LinuxCalls() {
    }

    private static MethodHandle errnoCall(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name),
                FunctionDescriptor.of(result, args), CAPTURE_ERRNO);
    }

    private static MethodHandle variadicErrnoCall(String name, int firstVariadic, MemoryLayout result,
                                                  MemoryLayout... args) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name),
                FunctionDescriptor.of(result, args), CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** A segment for the captured errno; one per thread or per channel, allocated once. */
    public static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    private static final ThreadLocal<MemorySegment> THREAD_CALL_STATE =
            ThreadLocal.withInitial(() -> newCallState(Arena.ofAuto()));

    /** The calling thread's errno segment, for cold paths that don't keep their own. */
    public static MemorySegment threadCallState() {
        return THREAD_CALL_STATE.get();
    }

    private static int errno(MemorySegment callState) {
        return callState.get(JAVA_INT, ERRNO_OFFSET);
    }

    private static int intResult(int r, MemorySegment cs) {
        return r == -1 ? -errno(cs) : r;
    }

    private static long longResult(long r, MemorySegment cs) {
        return r == -1 ? -errno(cs) : r;
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall failed", t);
    }

    // ---- raw calls: result, or -errno on failure ----

    public static int socket(MemorySegment cs, int domain, int type, int protocol) {
        try {
            return intResult((int) SOCKET.invokeExact(cs, domain, type, protocol), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int bind(MemorySegment cs, int fd, MemorySegment addr, int addrLen) {
        try {
            return intResult((int) BIND.invokeExact(cs, fd, addr, addrLen), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int listen(MemorySegment cs, int fd, int backlog) {
        try {
            return intResult((int) LISTEN.invokeExact(cs, fd, backlog), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** accept4(fd, NULL, NULL, flags). */
    public static int accept4(MemorySegment cs, int fd, int flags) {
        try {
            return intResult((int) ACCEPT4.invokeExact(cs, fd, MemorySegment.NULL, MemorySegment.NULL, flags), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int connect(MemorySegment cs, int fd, MemorySegment addr, int addrLen) {
        try {
            return intResult((int) CONNECT.invokeExact(cs, fd, addr, addrLen), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int shutdown(MemorySegment cs, int fd, int how) {
        try {
            return intResult((int) SHUTDOWN.invokeExact(cs, fd, how), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code lenInOut} holds a socklen_t (int): the buffer size in, the address size out. */
    public static int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        try {
            return intResult((int) GETSOCKNAME.invokeExact(cs, fd, addr, lenInOut), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        try {
            return intResult((int) GETPEERNAME.invokeExact(cs, fd, addr, lenInOut), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len) {
        try {
            return intResult((int) SETSOCKOPT.invokeExact(cs, fd, level, name, value, len), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code lenInOut} holds a socklen_t (int): the buffer size in, the option size out. */
    public static int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value,
                                 MemorySegment lenInOut) {
        try {
            return intResult((int) GETSOCKOPT.invokeExact(cs, fd, level, name, value, lenInOut), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long read(MemorySegment cs, int fd, MemorySegment buf, long len) {
        try {
            return longResult((long) READ.invokeExact(cs, fd, buf, len), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long write(MemorySegment cs, int fd, MemorySegment buf, long len) {
        try {
            return longResult((long) WRITE.invokeExact(cs, fd, buf, len), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long recv(MemorySegment cs, int fd, MemorySegment buf, long len, int flags) {
        try {
            return longResult((long) RECV.invokeExact(cs, fd, buf, len, flags), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * recvmmsg(2) without a timeout into {@code vlen} prepared mmsghdrs: the number of messages
     * (each one's length in its msg_len) or -errno.
     */
    public static int recvmmsg(MemorySegment cs, int fd, MemorySegment msgvec, int vlen, int flags) {
        try {
            return intResult((int) RECVMMSG.invokeExact(cs, fd, msgvec, vlen, flags, MemorySegment.NULL), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd}, shared and read-write (a packet ring); a
     * cold path, so a failure throws a {@link LinuxCallException} naming {@code subject}.
     * Returns the mapping's address.
     */
    public static long mapShared(MemorySegment cs, int fd, long length, String subject) {
        long r;
        try {
            r = (long) MMAP.invokeExact(cs, 0L, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return check(longResult(r, cs), "mmap", subject);
    }

    /** munmap(2) of a mapping {@link #mapShared} made. */
    public static void unmap(MemorySegment cs, long address, long length, String subject) {
        int r;
        try {
            r = (int) MUNMAP.invokeExact(cs, address, length);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(longResult(r, cs), "munmap", subject);
    }

    /** sendmsg(2) of a prepared struct msghdr: the bytes sent or -errno. */
    public static long sendmsg(MemorySegment cs, int fd, MemorySegment msghdr, int flags) {
        try {
            return longResult((long) SENDMSG.invokeExact(cs, fd, msghdr, flags), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long send(MemorySegment cs, int fd, MemorySegment buf, long len, int flags) {
        try {
            return longResult((long) SEND.invokeExact(cs, fd, buf, len, flags), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int close(MemorySegment cs, int fd) {
        try {
            return intResult((int) CLOSE.invokeExact(cs, fd), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code fds} is an array of struct pollfd {int fd; short events; short revents;}. */
    public static int poll(MemorySegment cs, MemorySegment fds, long nfds, int timeoutMillis) {
        try {
            return intResult((int) POLL.invokeExact(cs, fds, nfds, timeoutMillis), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int epollCreate1(MemorySegment cs, int flags) {
        try {
            return intResult((int) EPOLL_CREATE1.invokeExact(cs, flags), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code event} is one struct epoll_event ({@link #EPOLL_EVENT_SIZE} bytes). */
    public static int epollCtl(MemorySegment cs, int epfd, int op, int fd, MemorySegment event) {
        try {
            return intResult((int) EPOLL_CTL.invokeExact(cs, epfd, op, fd, event), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * epoll_pwait2(epfd, events, max, timeout, NULL): {@code timeout} is a struct timespec
     * (two longs), or {@link MemorySegment#NULL} to wait without limit.
     */
    public static int epollPwait2(MemorySegment cs, int epfd, MemorySegment events, int maxEvents,
                                  MemorySegment timeout) {
        try {
            return intResult((int) EPOLL_PWAIT2.invokeExact(cs, epfd, events, maxEvents, timeout, MemorySegment.NULL),
                    cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int eventfd(MemorySegment cs, int initial, int flags) {
        try {
            return intResult((int) EVENTFD.invokeExact(cs, initial, flags), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** PRIO_PROCESS: with a thread id, setpriority(2) sets that one thread's nice value on Linux. */
    public static final int PRIO_PROCESS = 0;

    /** gettid(2): the calling thread's id (glibc 2.30). */
    public static int gettid(MemorySegment cs) {
        try {
            return intResult((int) GETTID.invokeExact(cs), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setpriority(2): 0 or -errno (EACCES: a lower nice value needs CAP_SYS_NICE). */
    public static int setpriority(MemorySegment cs, int which, int who, int prio) {
        try {
            return intResult((int) SETPRIORITY.invokeExact(cs, which, who, prio), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** kill(2): e.g. a test hook that ends its own process with SIGKILL, as {@code kill -9} would. */
    public static int kill(MemorySegment cs, int pid, int signal) {
        try {
            return intResult((int) KILL.invokeExact(cs, pid, signal), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int open(MemorySegment cs, MemorySegment path, int flags, int mode) {
        try {
            return intResult((int) OPEN.invokeExact(cs, path, flags, mode), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int ioctl(MemorySegment cs, int fd, long request, MemorySegment arg) {
        try {
            return intResult((int) IOCTL.invokeExact(cs, fd, request, arg), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int fcntl(MemorySegment cs, int fd, int cmd, int arg) {
        try {
            return intResult((int) FCNTL.invokeExact(cs, fd, cmd, arg), cs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** if_nametoindex: the index, or -errno (it returns 0 on failure). */
    public static int ifNameToIndex(MemorySegment cs, MemorySegment name) {
        try {
            int r = (int) IF_NAMETOINDEX.invokeExact(cs, name);
            return r == 0 ? -errno(cs) : r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The C library's text for an errno value. */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- cold-path helpers ----

    /**
     * Returns {@code result} if it is not negative, else throws a {@link LinuxCallException}
     * for errno {@code -result}.
     */
    public static long check(long result, String call, String subject) {
        if (result < 0) {
            throw new LinuxCallException(call, subject, (int) -result);
        }
        return result;
    }

    public static int check(int result, String call, String subject) {
        if (result < 0) {
            throw new LinuxCallException(call, subject, -result);
        }
        return result;
    }

    /**
     * Refuses names the kernel would reject (dev_valid_name): empty, longer than 15 bytes,
     * "." or "..", or containing '/', ':' or whitespace. Called before any system call.
     */
    public static void checkInterfaceName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("interface name is empty");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_INTERFACE_NAME_BYTES) {
            throw new IllegalArgumentException("interface name '" + name + "' is " + bytes
                    + " bytes; Linux allows at most " + MAX_INTERFACE_NAME_BYTES + " (IFNAMSIZ - 1)");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("interface name '" + name + "' is not allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || c == 0) {
                throw new IllegalArgumentException("interface name '" + name
                        + "' contains '" + c + "', which Linux does not allow");
            }
        }
    }

    /** The index of a network interface in this process's namespace. */
    public static int interfaceIndex(String name) {
        checkInterfaceName(name);
        try (Arena arena = Arena.ofConfined()) {
            return check(ifNameToIndex(threadCallState(), arena.allocateFrom(name)), "if_nametoindex", name);
        }
    }

    /** Writes a zeroed struct ifreq with {@code name} in ifr_name. */
    public static MemorySegment ifreq(Arena arena, String name) {
        checkInterfaceName(name);
        MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(bytes, 0, ifr, JAVA_BYTE, 0, bytes.length);
        return ifr;
    }

    /** setsockopt with an int value; throws on failure. */
    public static void setIntOption(int fd, int level, int option, int value, String call, String subject) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocateFrom(JAVA_INT, value);
            check(setsockopt(threadCallState(), fd, level, option, v, 4), call, subject);
        }
    }

    /** getsockopt of an int value; throws on failure. */
    public static int getIntOption(int fd, int level, int option, String call, String subject) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            MemorySegment len = arena.allocateFrom(JAVA_INT, 4);
            check(getsockopt(threadCallState(), fd, level, option, v, len), call, subject);
            return v.get(JAVA_INT, 0);
        }
    }

    /** close(2) that throws; use for cold paths. */
    public static void closeChecked(int fd, String subject) {
        check(close(threadCallState(), fd), "close", subject);
    }
}
