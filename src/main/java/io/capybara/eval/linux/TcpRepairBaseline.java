package io.capybara.eval.linux;

import io.capybara.eval.linux.TcpSockets.Endpoint;
import io.capybara.io.linux.LinuxCalls;
import io.capybara.io.linux.Topology;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.function.IntSupplier;

/**
 * The TCP_REPAIR baseline experiment: one connection over loopback between a server socket
 * held as a raw fd (FFM) and a peer ({@link java.net.Socket}), both in the JVM's (root)
 * namespace, on addresses of their own in 127.0.0.0/8 (server 127.77.0.1, peer 127.77.0.2).
 * Each {@link #migrateOnce} queues data both ways, blocks the 4-tuple both ways with nftables
 * ({@link FlowBlocker}), moves the server side to a new socket with {@link TcpRepairMigrator},
 * unblocks, and checks by content that the stream goes on: no reset, no lost or duplicated
 * byte.
 *
 * <p>Why loopback and one namespace: the JVM never has to setns, the kernel under test is the
 * same on both ends, and no traffic leaves the host. The listener sets TCP_MAXSEG 1460, so the
 * connection negotiates the MSS of a 1500-byte Ethernet path rather than loopback's 65483
 * (which TCP_MAXSEG could not even restore: the kernel caps it at 32767). The nft rule sits on
 * the input hook and matches only this connection's 4-tuple.
 *
 * <p>Run as root: {@code java --enable-native-access=ALL-UNNAMED -cp target/classes:target/lib/*
 * io.capybara.eval.linux.TcpRepairBaseline [migrations [queueBytes [warmup [mode [jitWarmup]]]]]}
 * (see {@link #main}).
 */
public final class TcpRepairBaseline implements AutoCloseable {
    public static final Endpoint SERVER = new Endpoint(0x7F4D_0001, 0);
    public static final Endpoint PEER = new Endpoint(0x7F4D_0002, 0);
    public static final int ETHERNET_MSS = 1460;
    private static final int TIMEOUT_MILLIS = 5000;
    /** What the peer must receive before an ACK_LOST hand-off: fits one segment, any cwnd. */
    public static final int ACK_LOST_READ = 1024;

    /** How the server's unacknowledged bytes are made, which decides who must resend them. */
    public enum SendQueueCase {
        /**
         * The peer received them but its ACKs were dropped: nothing needs resending. With
         * the peer's ACKs gone the server cannot send more than its congestion window, so for
         * queues above {@value #ACK_LOST_READ} bytes the peer is only checked for the first
         * {@value #ACK_LOST_READ} before the hand-off; the rest reaches it after, from the
         * restored send queue.
         */
        ACK_LOST,
        /**
         * They never reached the peer: the restored socket must retransmit them from the
         * restored send queue (after its initial RTO). Slow, but checks the queue's content.
         */
        DATA_LOST
    }

    /**
     * One migration: its step timings, the dumped state, the nft call durations, the restored
     * socket's RTO, the effective MSS (TCP_MAXSEG outside repair mode, i.e. mss_cache) before
     * and after, and the time from unblocking until the peer had all bytes it lacked at the
     * hand-off (retransmitted from the restored send queue), 0 if it lacked none.
     */
    public record Sample(RepairTimings timings, TcpRepairState state, long blockNanos, long unblockNanos,
                         int restoredRtoMicros, int mssBefore, int mssAfter, long recoveryNanos) {
    }

    private final Topology cleanup;
    private final FlowBlocker blocker;
    private final TcpRepairMigrator migrator = new TcpRepairMigrator();
    private final int listenFd;
    private final Socket peer;
    private final InputStream peerIn;
    private final OutputStream peerOut;
    private final Endpoint serverEnd;
    private final Endpoint peerEnd;
    private int serverFd;
    /** Stream offsets: peer to server ("up") and server to peer ("down"), for content checks. */
    private long upSent;
    private long upReceived;
    private long downSent;
    private long downReceived;
    private int migrations;
    private boolean forgetPeerMetrics;

    private TcpRepairBaseline() throws IOException {
        Topology topology = Topology.create(); // its shutdown hook also removes the nft table if we are killed
        int listener = -1;
        int server = -1;
        Socket client = null;
        try {
            blocker = topology.own(FlowBlocker.create());
            listener = TcpSockets.listen(SERVER, 16);
            // Emulate an Ethernet path on loopback: the accepted socket clamps to MSS 1460 and
            // advertises it, so the peer sends 1460-byte segments as over a 1500-byte MTU link.
            LinuxCalls.setIntOption(listener, TcpSockets.SOL_TCP, TcpSockets.TCP_MAXSEG, ETHERNET_MSS,
                    "setsockopt(TCP_MAXSEG)", "listener");
            Endpoint listening = TcpSockets.localEndpoint(listener);
            client = new Socket();
            client.bind(new InetSocketAddress(Topology.ipv4(PEER.address()), 0));
            client.connect(new InetSocketAddress(Topology.ipv4(listening.address()), listening.port()), TIMEOUT_MILLIS);
            client.setSoTimeout(TIMEOUT_MILLIS);
            client.setTcpNoDelay(true);
            server = TcpSockets.accept(listener, TIMEOUT_MILLIS);
            serverEnd = TcpSockets.localEndpoint(server);
            peerEnd = TcpSockets.remoteEndpoint(server);
            peerIn = client.getInputStream();
            peerOut = client.getOutputStream();
        } catch (IOException | RuntimeException e) {
            if (client != null) {
                client.close();
            }
            if (server >= 0) {
                LinuxCalls.close(LinuxCalls.threadCallState(), server);
            }
            if (listener >= 0) {
                LinuxCalls.close(LinuxCalls.threadCallState(), listener);
            }
            try {
                topology.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        cleanup = topology;
        listenFd = listener;
        serverFd = server;
        peer = client;
    }

    /** Opens the connection. Needs root (TCP_REPAIR, nft). */
    public static TcpRepairBaseline open() throws IOException {
        return new TcpRepairBaseline();
    }

    public int serverFd() {
        return serverFd;
    }

    public Endpoint serverEndpoint() {
        return serverEnd;
    }

    public Endpoint peerEndpoint() {
        return peerEnd;
    }

    public int migrations() {
        return migrations;
    }

    /**
     * If set, each hand-off deletes the kernel's cached TCP metrics (RTT) for the peer before
     * import, as on a target host that never talked to it: the restored socket then has no
     * RTT at all and starts with the 3 s fallback RTO. Left unset, a restore on this host
     * inherits the RTT that earlier connections to the peer cached (tcp_no_metrics_save=0).
     */
    public void forgetPeerMetrics(boolean forget) {
        this.forgetPeerMetrics = forget;
    }

    private void forgetPeerMetrics() {
        try {
            Topology.exec("ip", "tcp_metrics", "delete", "address", Topology.ipv4(peerEnd.address()));
        } catch (RuntimeException ignored) {
            // no cached entry
        }
    }

    /**
     * Queues {@code queueBytes} unread in the server's receive queue and {@code queueBytes}
     * unacknowledged in its send queue, migrates the server socket, then checks that both
     * queues arrive intact and that a further exchange both ways works.
     */
    public Sample migrateOnce(int queueBytes, SendQueueCase sendQueueCase) throws IOException {
        // Receive queue: the peer sends, the server does not read.
        peerOut.write(pattern(UP, upSent, queueBytes));
        upSent += queueBytes;
        awaitQueue(() -> TcpSockets.receiveQueueBytes(serverFd), queueBytes, "server receive queue");

        long blockNanos;
        if (sendQueueCase == SendQueueCase.ACK_LOST) {
            blocker.block(peerEnd, serverEnd);
            serverWrite(queueBytes);
            peerReadAndCheck(Math.min(queueBytes, ACK_LOST_READ));
            long t0 = System.nanoTime();
            blocker.block(serverEnd, peerEnd);
            blockNanos = System.nanoTime() - t0;
        } else {
            long t0 = System.nanoTime();
            blocker.blockBoth(serverEnd, peerEnd);
            blockNanos = System.nanoTime() - t0;
            serverWrite(queueBytes);
        }
        awaitQueue(() -> TcpSockets.sendQueueBytes(serverFd), queueBytes, "server send queue");

        int mssBefore = TcpSockets.maxSegment(serverFd);
        RepairTimings timings = new RepairTimings();
        TcpRepairState state;
        try {
            state = migrator.export(serverFd, timings);
        } catch (RuntimeException e) {
            blocker.unblockAll();
            throw e;
        }
        serverFd = -1;
        if (forgetPeerMetrics) {
            forgetPeerMetrics();
        }
        long unblockNanos;
        long unblockedAt;
        try {
            serverFd = migrator.importSocket(state, timings);
        } finally {
            long t1 = System.nanoTime();
            blocker.unblockAll();
            unblockedAt = System.nanoTime();
            unblockNanos = unblockedAt - t1;
            migrations++;
        }
        int rto = TcpSockets.rtoMicros(serverFd);
        int mssAfter = TcpSockets.maxSegment(serverFd);
        // Check the stream: send-queue bytes the peer has not got (only a retransmission from
        // the restored queue can deliver them), then the restored receive queue.
        long recoveryNanos = 0;
        int outstanding = (int) (downSent - downReceived);
        if (outstanding > 0) {
            peerReadAndCheck(outstanding);
            recoveryNanos = System.nanoTime() - unblockedAt;
        }
        serverReadAndCheck(queueBytes);
        exchange(1024);
        int tcpState = TcpSockets.tcpState(serverFd);
        if (tcpState != TcpSockets.TCP_STATE_ESTABLISHED) {
            throw new IllegalStateException("restored socket in TCP state " + tcpState + " after migration " + migrations);
        }
        return new Sample(timings, state, blockNanos, unblockNanos, rto, mssBefore, mssAfter, recoveryNanos);
    }

    /**
     * Lets the JIT compile the migrator before measuring: migrates a second, idle connection
     * {@code migrations} times (blocked both ways throughout, so no window probe meets a
     * socket mid hand-off), then checks it still carries a byte each way and closes it.
     * Without this, a few hundred measured migrations run partly interpreted and the step
     * times include interpreter cost rather than just the kernel's.
     */
    public void warmUpJit(int migrations) throws IOException {
        Endpoint listening = TcpSockets.localEndpoint(listenFd);
        try (Socket idlePeer = new Socket()) {
            idlePeer.bind(new InetSocketAddress(Topology.ipv4(PEER.address()), 0));
            idlePeer.connect(new InetSocketAddress(Topology.ipv4(listening.address()), listening.port()), TIMEOUT_MILLIS);
            idlePeer.setSoTimeout(TIMEOUT_MILLIS);
            int fd = TcpSockets.accept(listenFd, TIMEOUT_MILLIS);
            Endpoint server = TcpSockets.localEndpoint(fd);
            Endpoint client = TcpSockets.remoteEndpoint(fd);
            RepairTimings timings = new RepairTimings();
            blocker.blockBoth(server, client);
            try {
                for (int i = 0; i < migrations; i++) {
                    TcpRepairState state = migrator.export(fd, timings);
                    fd = -1;
                    fd = migrator.importSocket(state, timings);
                }
            } finally {
                blocker.unblockAll();
            }
            idlePeer.getOutputStream().write(42);
            if (TcpSockets.readFully(fd, 1, TIMEOUT_MILLIS)[0] != 42) {
                throw new IllegalStateException("idle connection corrupted by warm-up");
            }
            TcpSockets.writeFully(fd, new byte[] {7}, TIMEOUT_MILLIS);
            if (idlePeer.getInputStream().read() != 7) {
                throw new IllegalStateException("idle connection corrupted by warm-up");
            }
            TcpSockets.close(fd);
        }
    }

    /** One round trip of {@code bytes} each way on the current server socket, checked. */
    public void exchange(int bytes) throws IOException {
        peerOut.write(pattern(UP, upSent, bytes));
        upSent += bytes;
        serverReadAndCheck(bytes);
        serverWrite(bytes);
        peerReadAndCheck(bytes);
    }

    private void serverWrite(int bytes) {
        TcpSockets.writeFully(serverFd, pattern(DOWN, downSent, bytes), TIMEOUT_MILLIS);
        downSent += bytes;
    }

    private void serverReadAndCheck(int bytes) {
        byte[] got = TcpSockets.readFully(serverFd, bytes, TIMEOUT_MILLIS);
        check("server", UP, upReceived, got);
        upReceived += bytes;
    }

    private void peerReadAndCheck(int bytes) throws IOException {
        byte[] got = peerIn.readNBytes(bytes);
        if (got.length != bytes) {
            throw new IOException("peer: stream ended after " + got.length + " of " + bytes + " bytes");
        }
        check("peer", DOWN, downReceived, got);
        downReceived += bytes;
    }

    private void check(String who, int direction, long offset, byte[] got) {
        byte[] want = pattern(direction, offset, got.length);
        if (!Arrays.equals(want, got)) {
            int i = Arrays.mismatch(want, got);
            throw new IllegalStateException(who + " received wrong bytes at stream offset " + (offset + i)
                    + " (migration " + migrations + "): want " + want[i] + " got " + got[i]);
        }
    }

    private static final int UP = 0x55;
    private static final int DOWN = 0x3C;

    /**
     * Bytes that depend on the stream offset through a 64-bit mix (no period), so a shifted,
     * lost, repeated or misplaced chunk shows at any distance.
     */
    static byte[] pattern(int direction, long offset, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            long z = (offset + i) * 0x9E3779B97F4A7C15L + direction;
            z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
            b[i] = (byte) (z >>> 40);
        }
        return b;
    }

    private void awaitQueue(IntSupplier queue, int expected, String what) {
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        int now;
        while ((now = queue.getAsInt()) != expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " holds " + now + " bytes, expected " + expected);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(0, 200_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    @Override
    public void close() {
        try {
            peer.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (serverFd >= 0) {
            TcpSockets.close(serverFd);
            serverFd = -1;
        }
        TcpSockets.close(listenFd);
        migrator.close();
        cleanup.close();
    }

    /**
     * Runs the baseline and prints per-step percentiles. Args: [migrations=200]
     * [queueBytes=1024] [warmup=20] [ack-lost|data-lost|data-lost-cold] [jitWarmup=20000]
     * (idle-connection migrations to compile the code first, see {@link #warmUpJit}).
     */
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int queueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        String mode = args.length > 3 ? args[3] : "ack-lost";
        int jitWarmup = args.length > 4 ? Integer.parseInt(args[4]) : 20_000;
        SendQueueCase sendQueueCase = mode.startsWith("data-lost") ? SendQueueCase.DATA_LOST : SendQueueCase.ACK_LOST;
        String problem = Topology.netAdminProblem();
        if (problem != null) {
            System.err.println("needs root/CAP_NET_ADMIN: " + problem);
            System.exit(2);
        }
        RepairTimingStats stats = new RepairTimingStats();
        long[] block = new long[n];
        long[] unblock = new long[n];
        long[] recovery = new long[n];
        int[] rto = new int[n];
        try (TcpRepairBaseline b = open()) {
            b.forgetPeerMetrics(mode.equals("data-lost-cold"));
            b.warmUpJit(jitWarmup);
            for (int i = 0; i < warmup; i++) {
                b.migrateOnce(queueBytes, sendQueueCase);
            }
            for (int i = 0; i < n; i++) {
                Sample s = b.migrateOnce(queueBytes, sendQueueCase);
                stats.add(s.timings());
                block[i] = s.blockNanos();
                unblock[i] = s.unblockNanos();
                recovery[i] = s.recoveryNanos();
                rto[i] = s.restoredRtoMicros();
            }
        }
        Arrays.sort(block);
        Arrays.sort(unblock);
        Arrays.sort(recovery);
        Arrays.sort(rto);
        System.out.printf("TCP_REPAIR migrations over loopback (%s), %d B in each queue, %d JIT warm-up (idle)"
                + " + %d warm-up + %d measured%n", mode, queueBytes, jitWarmup, warmup, n);
        System.out.print(stats.table());
        System.out.printf("nft call (median): block %.1f us, unblock %.1f us; restored socket RTO (median) %d ms%n",
                block[n / 2] / 1000.0, unblock[n / 2] / 1000.0, rto[n / 2] / 1000);
        if (recovery[n - 1] > 0) {
            System.out.printf("lost send-queue bytes reach the peer after unblock: median %.1f ms, max %.1f ms%n",
                    recovery[n / 2] / 1e6, recovery[n - 1] / 1e6);
        }
    }
}
