package io.capybara.eval.linux;

import io.capybara.eval.linux.TcpSockets.Endpoint;
import io.capybara.io.linux.Topology;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The baseline as the evaluation runs it: {@code count} distinct loopback connections, each
 * migrated once with TCP_REPAIR and checked by content afterwards. Connections go in batches:
 * open a batch, queue {@code queueBytes} each way on every connection, block the batch's flows
 * with one nft call, migrate the whole batch back to back (only export and import are timed),
 * unblock with one nft call, then check every connection (the batch's first hand-off, right
 * after the nft process start, is checked but not counted): its restored receive queue, its
 * restored send queue (the peer already holds those bytes; their retransmission must not show
 * up as duplicates), then one more exchange of {@code 1 KiB} each way and the TCP state.
 *
 * <p>Why batches: {@link TcpRepairBaseline} migrates one connection between nft process
 * starts and sleeps, so every hand-off starts on cold caches right after a fork/exec and a
 * wake-up; that measured ~4x slower than the same system calls issued back to back (and than a
 * C loop doing them). A server shedding load migrates while busy, so back to back is the
 * fairer, faster setting for Linux. Send queues are made the {@link
 * TcpRepairBaseline.SendQueueCase#ACK_LOST} way: the peer received the bytes, its ACKs were
 * dropped.
 */
public final class TcpRepairFleet implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 5000;
    /** Bytes each way in the check after the hand-off. */
    public static final int CHECK_BYTES = 1024;
    private static final int UP = 0x55;
    private static final int DOWN = 0x3C;

    /** Per-migration results of a run, in migration order. */
    /** {@code gcCount}/{@code gcMillis}: collections while hand-offs were being timed. */
    public record Result(int queueBytes, List<RepairTimings> timings, int verified, long gcCount, long gcMillis,
                         long[] uncounted) {
        public long[] totals() {
            return timings.stream().mapToLong(RepairTimings::totalNanos).toArray();
        }
    }

    /** One connection: the server fd that migrates, the peer socket that checks. */
    private static final class Conn {
        int fd;
        Socket peer;
        InputStream in;
        OutputStream out;
        Endpoint server;
        Endpoint client;
        long upSent;
        long upReceived;
        long downSent;
        long downReceived;
    }

    private final Topology cleanup;
    private final FlowBlocker blocker;
    private final TcpRepairMigrator migrator = new TcpRepairMigrator();
    private final int listenFd;
    private final Endpoint listening;

    private TcpRepairFleet() {
        Topology topology = Topology.create(); // its shutdown hook removes the nft table if we are killed
        int listener = -1;
        try {
            blocker = topology.own(FlowBlocker.create());
            listener = TcpSockets.listen(TcpRepairBaseline.SERVER, 1024);
            io.capybara.io.linux.LinuxCalls.setIntOption(listener, TcpSockets.SOL_TCP, TcpSockets.TCP_MAXSEG,
                    TcpRepairBaseline.ETHERNET_MSS, "setsockopt(TCP_MAXSEG)", "listener");
            listening = TcpSockets.localEndpoint(listener);
        } catch (RuntimeException e) {
            if (listener >= 0) {
                TcpSockets.close(listener);
            }
            topology.close();
            throw e;
        }
        listenFd = listener;
        cleanup = topology;
    }

    /** Needs root (TCP_REPAIR) and nft; {@link Topology#netAdminProblem()} says why not. */
    public static TcpRepairFleet open() {
        return new TcpRepairFleet();
    }

    /**
     * Compiles the migrator before measuring: {@code migrations} hand-offs of one idle,
     * blocked connection with {@code queueBytes} each way, then the checks of a measured one.
     */
    public void warmUp(int migrations, int queueBytes) throws IOException {
        if (migrations <= 0) {
            return;
        }
        List<Conn> one = openBatch(1);
        try {
            Conn c = one.getFirst();
            prepareQueues(one, queueBytes);
            RepairTimings t = new RepairTimings();
            for (int i = 0; i < migrations; i++) {
                int fd = c.fd;
                c.fd = -1; // export closes it, even when import then fails
                c.fd = migrator.migrate(fd, t);
            }
            blocker.unblockAll();
            check(one, queueBytes);
        } finally {
            blocker.unblockAll();
            closeBatch(one);
        }
    }

    /**
     * Migrates {@code count} connections once each, {@code batch} at a time, every one checked.
     * {@code progress} gets the number done so far after each batch.
     */
    public Result run(int count, int queueBytes, int batch, IntConsumer progress) throws IOException {
        List<RepairTimings> timings = new ArrayList<>(count);
        int verified = 0;
        long gcCount = 0;
        long gcMillis = 0;
        List<Long> uncounted = new ArrayList<>();
        while (timings.size() < count) {
            int k = Math.min(batch, count - timings.size());
            List<Conn> conns = openBatch(k + 1);
            try {
                prepareQueues(conns, queueBytes);
                RepairTimings[] batchTimings = new RepairTimings[k + 1];
                for (int i = 0; i <= k; i++) {
                    batchTimings[i] = new RepairTimings();
                }
                // Untimed, as in the Capybara-J run: the harness's garbage (peer sockets,
                // check buffers) is collected before the hand-offs, not during them.
                System.gc();
                long[] gcBefore = gcNow();
                try {
                    // Connection 0 is migrated and checked but not counted: the first hand-off
                    // after the nft process start and the collection runs on cold caches.
                    for (int i = 0; i <= k; i++) {
                        Conn c = conns.get(i);
                        int fd = c.fd;
                        c.fd = -1; // export closes it, even when import then fails
                        c.fd = migrator.migrate(fd, batchTimings[i]);
                        if (i == 0) {
                            gcBefore = gcNow();
                        }
                    }
                } finally {
                    long[] gcAfter = gcNow();
                    gcCount += gcAfter[0] - gcBefore[0];
                    gcMillis += gcAfter[1] - gcBefore[1];
                    blocker.unblockAll();
                }
                verified += check(conns, queueBytes) - 1;
                timings.addAll(Arrays.asList(batchTimings).subList(1, k + 1));
                uncounted.add(batchTimings[0].totalNanos());
            } finally {
                closeBatch(conns);
            }
            progress.accept(timings.size());
        }
        return new Result(queueBytes, timings, verified, gcCount, gcMillis,
                uncounted.stream().mapToLong(Long::longValue).toArray());
    }

    private static long[] gcNow() {
        long n = 0;
        long ms = 0;
        for (var b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new long[] {n, ms};
    }

    private List<Conn> openBatch(int k) throws IOException {
        List<Conn> conns = new ArrayList<>(k);
        try {
            for (int i = 0; i < k; i++) {
                Conn c = new Conn();
                c.fd = -1;
                conns.add(c);
                c.peer = new Socket();
                c.peer.bind(new InetSocketAddress(Topology.ipv4(TcpRepairBaseline.PEER.address()), 0));
                c.peer.connect(new InetSocketAddress(Topology.ipv4(listening.address()), listening.port()),
                        TIMEOUT_MILLIS);
                c.peer.setSoTimeout(TIMEOUT_MILLIS);
                c.peer.setTcpNoDelay(true);
                // RST on close: no TIME_WAIT, so thousands of connections don't exhaust ports.
                c.peer.setSoLinger(true, 0);
                c.fd = TcpSockets.accept(listenFd, TIMEOUT_MILLIS);
                c.server = TcpSockets.localEndpoint(c.fd);
                c.client = TcpSockets.remoteEndpoint(c.fd);
                c.in = c.peer.getInputStream();
                c.out = c.peer.getOutputStream();
            }
        } catch (IOException | RuntimeException e) {
            closeBatch(conns);
            throw e;
        }
        return conns;
    }

    /**
     * Leaves {@code q} unread bytes in every server's receive queue and {@code q} bytes the
     * peer holds but never acknowledged in its send queue; on return every flow is blocked
     * both ways.
     */
    private void prepareQueues(List<Conn> conns, int q) throws IOException {
        List<Endpoint[]> up = new ArrayList<>(conns.size());
        List<Endpoint[]> down = new ArrayList<>(conns.size());
        for (Conn c : conns) {
            up.add(new Endpoint[] {c.client, c.server});
            down.add(new Endpoint[] {c.server, c.client});
        }
        if (q == 0) {
            List<Endpoint[]> both = new ArrayList<>(up);
            both.addAll(down);
            blocker.blockAll(both);
            return;
        }
        for (Conn c : conns) {
            c.out.write(TcpRepairBaseline.pattern(UP, c.upSent, q));
            c.upSent += q;
        }
        for (Conn c : conns) {
            await(c.fd, true, q);
        }
        blocker.blockAll(up); // the peers' ACKs are now lost
        for (Conn c : conns) {
            TcpSockets.writeFully(c.fd, TcpRepairBaseline.pattern(DOWN, c.downSent, q), TIMEOUT_MILLIS);
            c.downSent += q;
        }
        for (Conn c : conns) {
            peerRead(c, q);
        }
        blocker.blockAll(down);
        for (Conn c : conns) {
            await(c.fd, false, q);
        }
    }

    /** The checks after a hand-off; returns how many connections passed (all, or it throws). */
    private int check(List<Conn> conns, int q) throws IOException {
        for (Conn c : conns) {
            if (q > 0) {
                serverRead(c, q); // the restored receive queue
            }
            c.out.write(TcpRepairBaseline.pattern(UP, c.upSent, CHECK_BYTES));
            c.upSent += CHECK_BYTES;
            serverRead(c, CHECK_BYTES);
            TcpSockets.writeFully(c.fd, TcpRepairBaseline.pattern(DOWN, c.downSent, CHECK_BYTES), TIMEOUT_MILLIS);
            c.downSent += CHECK_BYTES;
            // The peer must see exactly the next bytes: a replayed send queue would show here.
            peerRead(c, CHECK_BYTES);
            int state = TcpSockets.tcpState(c.fd);
            if (state != TcpSockets.TCP_STATE_ESTABLISHED) {
                throw new IllegalStateException("restored socket " + c.server + " in TCP state " + state);
            }
        }
        return conns.size();
    }

    private static void serverRead(Conn c, int n) {
        byte[] got = TcpSockets.readFully(c.fd, n, TIMEOUT_MILLIS);
        verify("server " + c.server, UP, c.upReceived, got);
        c.upReceived += n;
    }

    private static void peerRead(Conn c, int n) throws IOException {
        byte[] got = c.in.readNBytes(n);
        if (got.length != n) {
            throw new IOException("peer " + c.client + ": stream ended after " + got.length + " of " + n + " bytes");
        }
        verify("peer " + c.client, DOWN, c.downReceived, got);
        c.downReceived += n;
    }

    private static void verify(String who, int direction, long offset, byte[] got) {
        byte[] want = TcpRepairBaseline.pattern(direction, offset, got.length);
        if (!Arrays.equals(want, got)) {
            int i = Arrays.mismatch(want, got);
            throw new IllegalStateException(who + " received wrong bytes at stream offset " + (offset + i));
        }
    }

    private static void await(int fd, boolean receive, int expected) {
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        int now;
        while ((now = receive ? TcpSockets.receiveQueueBytes(fd) : TcpSockets.sendQueueBytes(fd)) != expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException((receive ? "receive" : "send") + " queue of fd " + fd + " holds "
                        + now + " bytes, expected " + expected);
            }
            Thread.onSpinWait();
        }
    }

    private static void closeBatch(List<Conn> conns) {
        for (Conn c : conns) {
            try {
                if (c.peer != null) {
                    c.peer.close();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
            if (c.fd >= 0) {
                try {
                    TcpSockets.close(c.fd);
                } catch (RuntimeException ignored) {
                    // closing anyway
                }
                c.fd = -1;
            }
        }
    }

    @Override
    public void close() {
        try {
            TcpSockets.close(listenFd);
        } finally {
            migrator.close();
            cleanup.close();
        }
    }
}
