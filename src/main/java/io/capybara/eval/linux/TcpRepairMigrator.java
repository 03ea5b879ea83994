package io.capybara.eval.linux;

import io.capybara.eval.linux.RepairTimings.ExportStep;
import io.capybara.eval.linux.RepairTimings.ImportStep;
import io.capybara.eval.linux.TcpSockets.Endpoint;
import io.capybara.io.linux.LinuxCallException;
import io.capybara.io.linux.LinuxCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The Linux baseline: moves an established kernel TCP connection from one socket to a new one
 * with TCP_REPAIR, step by step as CRIU and Prism do, timing each step with
 * {@link System#nanoTime()} (this is a measurement harness, not protocol logic).
 *
 * <p><b>Export</b> ({@link #export}): TCP_REPAIR on; for each queue (send, receive) select it
 * with TCP_REPAIR_QUEUE, read TCP_QUEUE_SEQ and peek its bytes with recv(MSG_PEEK) (with the
 * send queue selected, a repair-mode peek returns the send queue); the negotiated options
 * (TCP_MAXSEG, which in repair mode returns the clamp; window scales, SACK and timestamps
 * flags from TCP_INFO; TCP_TIMESTAMP); TCP_REPAIR_WINDOW; the addresses; then close() in repair
 * mode, which sends neither FIN nor RST.
 *
 * <p><b>Import</b> ({@link #importSocket}): new socket, SO_REUSEADDR, TCP_REPAIR on (in this order:
 * repair mode forces address reuse, even next to a listener on the port, and a later
 * SO_REUSEADDR would undo that), bind to the old local address;
 * TCP_QUEUE_SEQ of both queues set to the start of their dumped bytes; TCP_MAXSEG before
 * connect (else the MSS falls to 524) and TCP_TIMESTAMP before any queued byte; connect()
 * (no SYN in repair mode); TCP_REPAIR_OPTIONS; the queue bytes written back with send() while
 * each queue is selected (send-queue bytes count as sent-but-unacknowledged and are
 * retransmitted by the timer if the peer lacks them); TCP_REPAIR_WINDOW; TCP_REPAIR off,
 * upon which the kernel sends a window probe.
 *
 * <p>The caller must keep the flow blocked in both directions from before export until after
 * import (see {@link FlowBlocker}): a socket in repair mode can still transmit from kernel
 * timers until it is closed, and a peer segment reaching neither socket must not be answered
 * by a RST. Not restored: SO_SNDBUF/SO_RCVBUF, TCP_NODELAY/TCP_CORK, congestion state and the
 * RTT estimate (a restored socket starts with the initial RTO).
 *
 * <p>Constants and struct layouts are from /usr/include/linux/tcp.h and netinet/tcp.h.
 * Instances keep preallocated scratch memory and are not thread-safe.
 */
public final class TcpRepairMigrator implements AutoCloseable {
    public static final int TCP_REPAIR = 19;
    public static final int TCP_REPAIR_QUEUE = 20;
    public static final int TCP_QUEUE_SEQ = 21;
    public static final int TCP_REPAIR_OPTIONS = 22;
    public static final int TCP_TIMESTAMP = 24;
    public static final int TCP_REPAIR_WINDOW = 29;
    public static final int TCP_REPAIR_ON = 1;
    public static final int TCP_REPAIR_OFF = 0;
    public static final int TCP_NO_QUEUE = 0;
    public static final int TCP_RECV_QUEUE = 1;
    public static final int TCP_SEND_QUEUE = 2;
    public static final int TCPOPT_MAXSEG = 2;
    public static final int TCPOPT_WINDOW = 3;
    public static final int TCPOPT_SACK_PERM = 4;
    public static final int TCPOPT_TIMESTAMP = 8;
    public static final int TCPI_OPT_TIMESTAMPS = 1;
    public static final int TCPI_OPT_SACK = 2;
    public static final int TCPI_OPT_WSCALE = 4;
    /** struct tcp_repair_window: five __u32. */
    public static final int REPAIR_WINDOW_BYTES = 20;
    /** MAX_TCP_WINDOW: the largest TCP_MAXSEG the kernel accepts (include/net/tcp.h). */
    public static final int MAX_USER_MSS = 32767;
    private static final int TCPI_OPTIONS_OFFSET = 5;
    /** tcpi_snd_wscale:4 in the low nibble, tcpi_rcv_wscale:4 in the high nibble (x86_64 GCC). */
    private static final int TCPI_WSCALE_OFFSET = 6;
    private static final int SOL_TCP = TcpSockets.SOL_TCP;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = LinuxCalls.newCallState(arena);
    private final MemorySegment intValue = arena.allocate(JAVA_INT);
    private final MemorySegment intLength = arena.allocate(JAVA_INT);
    private final MemorySegment tcpInfo = arena.allocate(TcpSockets.TCP_INFO_BYTES, 8);
    private final MemorySegment window = arena.allocate(REPAIR_WINDOW_BYTES, 4);
    private final MemorySegment sockaddr = arena.allocate(LinuxCalls.SOCKADDR_IN_SIZE, 4);
    private final MemorySegment options = arena.allocate(4 * 8, 4);
    private MemorySegment queue = arena.allocate(256 * 1024, 64);
    /** What the current export (fd) or import (state) acts on; named only in error messages. */
    private int subjectFd;
    private TcpRepairState subjectState;

    /**
     * Dumps the connection on {@code fd} and closes {@code fd} in repair mode. On failure the
     * socket is taken out of repair mode (best effort) and left open.
     */
    public TcpRepairState export(int fd, RepairTimings timings) {
        subjectFd = fd;
        subjectState = null;
        boolean closed = false;
        try {
            long t0 = System.nanoTime();
            setInt(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON, "setsockopt(TCP_REPAIR, 1)");
            long t1 = System.nanoTime();
            timings.set(ExportStep.REPAIR_ON, t1 - t0);

            Dumped send = dump(fd, RepairQueue.SEND);
            long t2 = System.nanoTime();
            timings.set(ExportStep.SEND_QUEUE, t2 - t1);

            Dumped recv = dump(fd, RepairQueue.RECV);
            long t3 = System.nanoTime();
            timings.set(ExportStep.RECV_QUEUE, t3 - t2);

            intLength.set(JAVA_INT, 0, TcpSockets.TCP_INFO_BYTES);
            ok(LinuxCalls.getsockopt(cs, fd, SOL_TCP, TcpSockets.TCP_INFO, tcpInfo, intLength),
                    "getsockopt(TCP_INFO)");
            int tcpiOptions = tcpInfo.get(JAVA_BYTE, TCPI_OPTIONS_OFFSET) & 0xFF;
            int wscales = tcpInfo.get(JAVA_BYTE, TCPI_WSCALE_OFFSET) & 0xFF;
            int mss = getInt(fd, SOL_TCP, TcpSockets.TCP_MAXSEG, "getsockopt(TCP_MAXSEG)");
            boolean timestamps = (tcpiOptions & TCPI_OPT_TIMESTAMPS) != 0;
            int timestamp = timestamps ? getInt(fd, SOL_TCP, TCP_TIMESTAMP, "getsockopt(TCP_TIMESTAMP)") : 0;
            long t4 = System.nanoTime();
            timings.set(ExportStep.OPTIONS, t4 - t3);

            intLength.set(JAVA_INT, 0, REPAIR_WINDOW_BYTES);
            ok(LinuxCalls.getsockopt(cs, fd, SOL_TCP, TCP_REPAIR_WINDOW, window, intLength),
                    "getsockopt(TCP_REPAIR_WINDOW)");
            int[] win = new int[5];
            for (int i = 0; i < 5; i++) {
                win[i] = window.get(JAVA_INT, 4L * i);
            }
            long t5 = System.nanoTime();
            timings.set(ExportStep.WINDOW, t5 - t4);

            Endpoint local = sockName(fd, true);
            Endpoint remote = sockName(fd, false);
            long t6 = System.nanoTime();
            timings.set(ExportStep.ADDRESSES, t6 - t5);

            closed = true; // even a failed close(2) releases the descriptor on Linux
            ok(LinuxCalls.close(cs, fd), "close (repair mode)");
            long t7 = System.nanoTime();
            timings.set(ExportStep.CLOSE, t7 - t6);

            return new TcpRepairState(local, remote, send.seq(), recv.seq(), send.bytes(), recv.bytes(), mss,
                    (tcpiOptions & TCPI_OPT_WSCALE) != 0, wscales & 0x0F, wscales >>> 4,
                    (tcpiOptions & TCPI_OPT_SACK) != 0, timestamps, timestamp, win);
        } catch (RuntimeException e) {
            if (!closed) {
                intValue.set(JAVA_INT, 0, TCP_REPAIR_OFF);
                LinuxCalls.setsockopt(cs, fd, SOL_TCP, TCP_REPAIR, intValue, 4);
            }
            throw e;
        }
    }

    /**
     * Builds a new socket holding the connection in {@code state}; returns its fd (blocking,
     * out of repair mode). On failure the new socket is closed.
     */
    public int importSocket(TcpRepairState state, RepairTimings timings) {
        subjectFd = -1;
        subjectState = state;
        long t0 = System.nanoTime();
        int fd = ok(LinuxCalls.socket(cs, LinuxCalls.AF_INET,
                LinuxCalls.SOCK_STREAM | LinuxCalls.SOCK_CLOEXEC, 0), "socket(AF_INET, SOCK_STREAM)");
        try {
            // SO_REUSEADDR first: TCP_REPAIR on sets sk_reuse to SK_FORCE_REUSE (bind even next
            // to a listener on the port), and a later SO_REUSEADDR would overwrite it.
            setInt(fd, LinuxCalls.SOL_SOCKET, LinuxCalls.SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
            setInt(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON, "setsockopt(TCP_REPAIR, 1)");
            TcpSockets.putSockaddrIn(sockaddr, state.local());
            ok(LinuxCalls.bind(cs, fd, sockaddr, LinuxCalls.SOCKADDR_IN_SIZE), "bind");
            long t1 = System.nanoTime();
            timings.set(ImportStep.SOCKET, t1 - t0);

            // Each queue starts where its dumped bytes start; writing them back advances it.
            select(fd, RepairQueue.SEND);
            setInt(fd, SOL_TCP, TCP_QUEUE_SEQ, state.sendSeq() - state.sendQueue().length, RepairQueue.SEND.setSeqCall);
            select(fd, RepairQueue.RECV);
            setInt(fd, SOL_TCP, TCP_QUEUE_SEQ, state.recvSeq() - state.recvQueue().length, RepairQueue.RECV.setSeqCall);
            long t2 = System.nanoTime();
            timings.set(ImportStep.QUEUE_SEQ, t2 - t1);

            // user_mss becomes the clamp at connect, so mss_cache starts right (else 524). The
            // kernel refuses user_mss above MAX_TCP_WINDOW (32767), which loopback's 65483 exceeds;
            // TCPOPT_MAXSEG below still restores the full clamp.
            setInt(fd, SOL_TCP, TcpSockets.TCP_MAXSEG, Math.min(state.mss(), MAX_USER_MSS),
                    "setsockopt(TCP_MAXSEG)");
            if (state.timestamps()) {
                setInt(fd, SOL_TCP, TCP_TIMESTAMP, state.timestamp(), "setsockopt(TCP_TIMESTAMP)");
            }
            long t3 = System.nanoTime();
            timings.set(ImportStep.MSS_TIMESTAMP, t3 - t2);

            TcpSockets.putSockaddrIn(sockaddr, state.remote());
            ok(LinuxCalls.connect(cs, fd, sockaddr, LinuxCalls.SOCKADDR_IN_SIZE),
                    "connect (repair mode)");
            long t4 = System.nanoTime();
            timings.set(ImportStep.CONNECT, t4 - t3);

            int n = 0;
            n = putOption(n, TCPOPT_MAXSEG, state.mss());
            if (state.windowScaling()) {
                // The kernel unpacks opt_val as snd_wscale = low 16 bits, rcv_wscale = high 16 bits.
                n = putOption(n, TCPOPT_WINDOW, state.sndWscale() | (state.rcvWscale() << 16));
            }
            if (state.sackPermitted()) {
                n = putOption(n, TCPOPT_SACK_PERM, 0);
            }
            if (state.timestamps()) {
                n = putOption(n, TCPOPT_TIMESTAMP, 0);
            }
            ok(LinuxCalls.setsockopt(cs, fd, SOL_TCP, TCP_REPAIR_OPTIONS, options, n * 8),
                    "setsockopt(TCP_REPAIR_OPTIONS)");
            long t5 = System.nanoTime();
            timings.set(ImportStep.REPAIR_OPTIONS, t5 - t4);

            select(fd, RepairQueue.SEND);
            restoreQueue(fd, state.sendQueue(), RepairQueue.SEND.refillCall);
            long t6 = System.nanoTime();
            timings.set(ImportStep.SEND_QUEUE, t6 - t5);

            select(fd, RepairQueue.RECV);
            restoreQueue(fd, state.recvQueue(), RepairQueue.RECV.refillCall);
            long t7 = System.nanoTime();
            timings.set(ImportStep.RECV_QUEUE, t7 - t6);

            int[] win = state.window();
            for (int i = 0; i < 5; i++) {
                window.set(JAVA_INT, 4L * i, win[i]);
            }
            ok(LinuxCalls.setsockopt(cs, fd, SOL_TCP, TCP_REPAIR_WINDOW, window, REPAIR_WINDOW_BYTES),
                    "setsockopt(TCP_REPAIR_WINDOW)");
            long t8 = System.nanoTime();
            timings.set(ImportStep.WINDOW, t8 - t7);

            setInt(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF, "setsockopt(TCP_REPAIR, 0)");
            long t9 = System.nanoTime();
            timings.set(ImportStep.REPAIR_OFF, t9 - t8);
            return fd;
        } catch (RuntimeException e) {
            LinuxCalls.close(cs, fd);
            throw e;
        }
    }

    /** Export then import: the whole hand-off on one host. Returns the new fd. */
    public int migrate(int fd, RepairTimings timings) {
        return importSocket(export(fd, timings), timings);
    }

    private int putOption(int index, int code, int value) {
        options.set(JAVA_INT, index * 8L, code);
        options.set(JAVA_INT, index * 8L + 4, value);
        return index + 1;
    }

    /** The two queues repair mode dumps and refills, and how errors name the calls on each. */
    private enum RepairQueue {
        SEND(TCP_SEND_QUEUE, LinuxCalls.SIOCOUTQ, "SEND", "SIOCOUTQ"),
        RECV(TCP_RECV_QUEUE, LinuxCalls.SIOCINQ, "RECV", "SIOCINQ");

        final int id;
        /** The ioctl that reads how many bytes the queue holds. */
        final long sizeRequest;
        final String selectCall;
        final String getSeqCall;
        final String setSeqCall;
        final String sizeCall;
        final String peekCall;
        final String refillCall;

        RepairQueue(int id, long sizeRequest, String name, String sizeIoctl) {
            this.id = id;
            this.sizeRequest = sizeRequest;
            this.selectCall = "setsockopt(TCP_REPAIR_QUEUE, " + name + ")";
            this.getSeqCall = "getsockopt(TCP_QUEUE_SEQ, " + name + ")";
            this.setSeqCall = "setsockopt(TCP_QUEUE_SEQ, " + name + ")";
            this.sizeCall = "ioctl(" + sizeIoctl + ")";
            this.peekCall = "recv(MSG_PEEK, " + name + " queue)";
            this.refillCall = "send (repair, " + name + " queue)";
        }
    }

    /** A queue as repair mode shows it: the sequence number after its last byte, and its bytes. */
    private record Dumped(int seq, byte[] bytes) {
    }

    /** Makes {@code q} the queue the next repair calls on {@code fd} act on. */
    private void select(int fd, RepairQueue q) {
        setInt(fd, SOL_TCP, TCP_REPAIR_QUEUE, q.id, q.selectCall);
    }

    private Dumped dump(int fd, RepairQueue q) {
        select(fd, q);
        int seq = getInt(fd, SOL_TCP, TCP_QUEUE_SEQ, q.getSeqCall);
        int length = ioctlInt(fd, q.sizeRequest, q.sizeCall);
        return new Dumped(seq, peek(fd, length, q.peekCall));
    }

    private byte[] peek(int fd, int length, String call) {
        if (length == 0) {
            return new byte[0];
        }
        ensureQueueCapacity(length);
        long n = ok(LinuxCalls.recv(cs, fd, queue, length, LinuxCalls.MSG_PEEK | LinuxCalls.MSG_DONTWAIT),
                call);
        if (n != length) {
            throw new IllegalStateException(call + " on " + subject() + ": peeked " + n + " of " + length + " bytes");
        }
        byte[] out = new byte[length];
        MemorySegment.copy(queue, JAVA_BYTE, 0, out, 0, length);
        return out;
    }

    private void restoreQueue(int fd, byte[] data, String call) {
        if (data.length == 0) {
            return;
        }
        ensureQueueCapacity(data.length);
        MemorySegment.copy(data, 0, queue, JAVA_BYTE, 0, data.length);
        long done = 0;
        while (done < data.length) {
            long n = LinuxCalls.send(cs, fd, queue.asSlice(done), data.length - done, LinuxCalls.MSG_NOSIGNAL);
            if (n == -LinuxCalls.EINTR) {
                continue;
            }
            done += ok(n, call);
        }
    }

    private void ensureQueueCapacity(int length) {
        if (queue.byteSize() < length) {
            queue = arena.allocate(Math.max(length, queue.byteSize() * 2), 64);
        }
    }

    private Endpoint sockName(int fd, boolean local) {
        intLength.set(JAVA_INT, 0, LinuxCalls.SOCKADDR_IN_SIZE);
        int r = local ? LinuxCalls.getsockname(cs, fd, sockaddr, intLength)
                : LinuxCalls.getpeername(cs, fd, sockaddr, intLength);
        ok(r, local ? "getsockname" : "getpeername");
        return TcpSockets.getSockaddrIn(sockaddr);
    }

    private void setInt(int fd, int level, int option, int value, String call) {
        intValue.set(JAVA_INT, 0, value);
        ok(LinuxCalls.setsockopt(cs, fd, level, option, intValue, 4), call);
    }

    private int getInt(int fd, int level, int option, String call) {
        intLength.set(JAVA_INT, 0, 4);
        ok(LinuxCalls.getsockopt(cs, fd, level, option, intValue, intLength), call);
        return intValue.get(JAVA_INT, 0);
    }

    private int ioctlInt(int fd, long request, String call) {
        ok(LinuxCalls.ioctl(cs, fd, request, intValue), call);
        return intValue.get(JAVA_INT, 0);
    }

    // Error text is built only on failure: the hand-off itself formats no strings.
    private String subject() {
        return subjectState != null ? subjectState.local() + "->" + subjectState.remote() : "fd " + subjectFd;
    }

    private long ok(long result, String call) {
        if (result < 0) {
            throw new LinuxCallException(call, subject(), (int) -result);
        }
        return result;
    }

    private int ok(int result, String call) {
        if (result < 0) {
            throw new LinuxCallException(call, subject(), -result);
        }
        return result;
    }

    @Override
    public void close() {
        arena.close();
    }
}
