package io.capybara.sim.scenario;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.sim.FrameTap;
import io.capybara.sim.LinkProfile;
import io.capybara.sim.SimLink;
import io.capybara.sim.Simulator;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.wire.Ipv4Address;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One reproducible bulk transfer between two {@link Host}s over a faulty {@link SimLink}: a
 * client connects to a server, one or both send a seeded byte stream and close, each side checks
 * every byte it receives, and the run ends when both sides have everything, have seen the
 * peer's FIN, and both connections have left the table. Everything (size, direction, faults,
 * link randomness, ISNs, snapshot points) derives from one seed, so a result can be replayed.
 *
 * <p>With {@link Params#snapshotRestore} the scenario replaces each connection, at random steps,
 * by {@code TcpConnection.restore(snapshot)} (detach, snapshot, restore, attach on the same
 * host). A snapshot must not change behaviour, so such a run must produce the same
 * {@link Result#traceHash} as the plain run of the same seed.
 *
 * <p>The hosts use static ARP entries by default: ARP has no checksum, so a corrupted reply
 * would poison a cache until it expires. {@link Params#withDynamicArp} resolves with ARP.
 */
public final class TransferScenario {
    public static final long MAX_BYTES = 64L << 20;
    public static final int SERVER_PORT = 5001;
    static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    static final long SERVER_MAC = 0x02_00_00_00_00_02L;
    static final int CLIENT_IP = Ipv4Address.parse("10.0.0.1");
    static final int SERVER_IP = Ipv4Address.parse("10.0.0.2");
    private static final int CHUNK = 64 * 1024;

    private TransferScenario() {
    }

    /** Who sends the stream. With BOTH each side sends {@link Params#bytes}. */
    public enum Direction {
        CLIENT_TO_SERVER, SERVER_TO_CLIENT, BOTH
    }

    /**
     * What to run.
     *
     * @param seed            the one seed everything derives from
     * @param bytes           stream length per sending side
     * @param loss            per-frame loss probability, each direction
     * @param duplicate       per-frame duplication probability
     * @param reorder         per-frame probability of extra delay (reordering)
     * @param corrupt         per-frame probability of a flipped bit
     * @param snapshotRestore replace connections by restored snapshots at random steps
     * @param timeLimitNanos  virtual time after which an unfinished run is a failure
     * @param dynamicArp      resolve neighbours with ARP instead of static entries
     * @param segmentOffload  both hosts' segmentation offload bound over a channel that cuts large
     *                        segments in software ({@link SegmentingChannel}); 0 = none, as before
     */
    public record Params(long seed, long bytes, Direction direction, double loss, double duplicate, double reorder,
                         double corrupt, boolean snapshotRestore, long timeLimitNanos, boolean dynamicArp,
                         int segmentOffload) {

        /** Size log-uniform in [1, {@link #MAX_BYTES}], random direction, each fault in [0, maxFault]. */
        public static Params random(long seed, double maxFault) {
            SplittableRandom r = new SplittableRandom(seed);
            // StrictMath: the same seed draws the same size on every platform
            double logSize = r.nextDouble() * StrictMath.log(MAX_BYTES);
            long bytes = Math.max(1, Math.min(MAX_BYTES, Math.round(StrictMath.exp(logSize))));
            Direction d = Direction.values()[r.nextInt(3)];
            double loss = r.nextDouble() * maxFault;
            double dup = r.nextDouble() * maxFault;
            double reorder = r.nextDouble() * maxFault;
            double corrupt = r.nextDouble() * maxFault;
            return new Params(seed, bytes, d, loss, dup, reorder, corrupt, false, 7L * 24 * 3600 * 1_000_000_000L,
                    false, 0);
        }

        public Params withSnapshotRestore(boolean on) {
            return new Params(seed, bytes, direction, loss, duplicate, reorder, corrupt, on,
                    timeLimitNanos, dynamicArp, segmentOffload);
        }

        public Params withBytes(long n) {
            return new Params(seed, n, direction, loss, duplicate, reorder, corrupt, snapshotRestore,
                    timeLimitNanos, dynamicArp, segmentOffload);
        }

        public Params withFaults(double l, double d, double r, double c) {
            return new Params(seed, bytes, direction, l, d, r, c, snapshotRestore,
                    timeLimitNanos, dynamicArp, segmentOffload);
        }

        public Params withDirection(Direction d) {
            return new Params(seed, bytes, d, loss, duplicate, reorder, corrupt, snapshotRestore,
                    timeLimitNanos, dynamicArp, segmentOffload);
        }

        public Params withTimeLimit(long nanos) {
            return new Params(seed, bytes, direction, loss, duplicate, reorder, corrupt, snapshotRestore,
                    nanos, dynamicArp, segmentOffload);
        }

        /**
         * Resolve neighbours with ARP instead of static entries. ARP has no checksum, so combine it
         * with {@code corrupt = 0} unless a poisoned cache is what you want to see.
         */
        public Params withDynamicArp(boolean on) {
            return new Params(seed, bytes, direction, loss, duplicate, reorder, corrupt, snapshotRestore,
                    timeLimitNanos, on, segmentOffload);
        }

        /** Both hosts send segments of up to {@code bytes} through a software-segmenting channel. */
        public Params withSegmentOffload(int bytes) {
            return new Params(seed, this.bytes, direction, loss, duplicate, reorder, corrupt, snapshotRestore,
                    timeLimitNanos, dynamicArp, bytes);
        }

        @Override
        public String toString() {
            return String.format("seed=%d bytes=%d dir=%s loss=%.3f dup=%.3f reorder=%.3f corrupt=%.3f snapshots=%s%s%s",
                    seed, bytes, direction, loss, duplicate, reorder, corrupt, snapshotRestore,
                    dynamicArp ? " dynamicArp" : "", segmentOffload > 0 ? " offload=" + segmentOffload : "");
        }
    }

    /**
     * What happened.
     *
     * @param ok                   all bytes arrived intact, in order, both FINs seen, connections gone
     * @param failure              why not, or null
     * @param clientToServerBytes  bytes the server received and verified
     * @param serverToClientBytes  bytes the client received and verified
     * @param contentOk            no byte differed from the seeded stream, and the CRC-32C of each
     *                             stream as sent equals the CRC-32C as received
     * @param virtualNanos         virtual time the run took
     * @param traceHash            hash over every delivered frame
     * @param frames               frames delivered by the link
     * @param snapshots            connections replaced by restored snapshots
     * @param counters             host, wire and link counters, for diagnosis
     */
    public record Result(Params params, boolean ok, String failure, long clientToServerBytes,
                         long serverToClientBytes, boolean contentOk, long virtualNanos, long traceHash, long frames,
                         int snapshots, String counters) {
        @Override
        public String toString() {
            return (ok ? "OK " : "FAIL(" + failure + ") ") + params + " c2s=" + clientToServerBytes + " s2c="
                    + serverToClientBytes + " virtual=" + virtualNanos / 1_000_000 + "ms trace="
                    + Long.toHexString(traceHash) + " frames=" + frames + " snapshots=" + snapshots;
        }
    }

    /** The TCP settings of both hosts: defaults, with more patience for links losing up to ~40%. */
    public static TcpConfig tcpConfig() {
        TcpConfig d = TcpConfig.defaults();
        return new TcpConfig(d.mss(), d.sendBufferBytes(), d.receiveBufferBytes(), d.windowScale(), d.sackPermitted(),
                d.timestamps(), d.nagle(), d.delayedAckNanos(), d.initialRtoNanos(), d.minRtoNanos(),
                5_000_000_000L, 40, d.timeWaitNanos(), d.maxOutOfOrderSegments());
    }

    public static Result run(Params p) {
        return run(p, null);
    }

    /** Runs with {@code tap} (e.g. {@code PcapWriter::record}) seeing every delivered frame. */
    public static Result run(Params p, FrameTap tap) {
        return run(p, tap, 0);
    }

    /**
     * {@code restoreSkewNanos} restores snapshots as if taken that much earlier: a deliberate
     * behaviour change, so tests can show the trace hash notices one.
     */
    static Result run(Params p, FrameTap tap, long restoreSkewNanos) {
        return run(p, tap, restoreSkewNanos, false);
    }

    /**
     * With snapshots (whatever {@code p} says) taken only while a connection is in loss
     * recovery (fast or after a timeout), at random steps of it: the trace must not change.
     */
    public static Result runSnapshottingInRecovery(Params p) {
        return run(p.withSnapshotRestore(true), null, 0, true);
    }

    private static Result run(Params p, FrameTap tap, long restoreSkewNanos, boolean inRecoveryOnly) {
        long simSeed = p.seed() * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        Simulator sim = new Simulator(simSeed);
        LinkProfile profile = new LinkProfile(10_000_000_000L, 20_000, 0, p.loss(), p.duplicate(), p.reorder(),
                100_000, p.corrupt());
        SimLink link = sim.link("wire", profile, profile, 2048);
        link.tap(tap);
        TcpConfig tcp = tcpConfig();
        SegmentingChannel clientChannel = p.segmentOffload() > 0 ? new SegmentingChannel(link.a()) : null;
        SegmentingChannel serverChannel = p.segmentOffload() > 0 ? new SegmentingChannel(link.b()) : null;
        Host client = sim.add(new Host(HostConfig.of("client", CLIENT_MAC, CLIENT_IP, 24).withTcp(tcp)
                .withIsnSeed(p.seed() ^ 0xC1).withSegmentOffload(p.segmentOffload())
                .withStaticArp(p.dynamicArp() ? Map.of() : Map.of(SERVER_IP, SERVER_MAC)),
                clientChannel != null ? clientChannel : link.a()));
        // as patient with SYN-ACKs as the TCP config is with data on links losing up to ~40%
        // (a server-first transfer whose handshake ACKs are all lost dies with the slot)
        Host server = sim.add(new Host(HostConfig.of("server", SERVER_MAC, SERVER_IP, 24).withTcp(tcp)
                .withListenLimits(256, 6, 0).withIsnSeed(p.seed() ^ 0x5E).withSegmentOffload(p.segmentOffload())
                .withStaticArp(p.dynamicArp() ? Map.of() : Map.of(CLIENT_IP, CLIENT_MAC)),
                serverChannel != null ? serverChannel : link.b()));

        long c2s = p.direction() == Direction.SERVER_TO_CLIENT ? 0 : p.bytes();
        long s2c = p.direction() == Direction.CLIENT_TO_SERVER ? 0 : p.bytes();
        long c2sSeed = p.seed() * 31 + 1;
        long s2cSeed = p.seed() * 31 + 2;
        Endpoint clientEnd = new Endpoint(client, c2s, c2sSeed, s2c, s2cSeed);
        Endpoint serverEnd = new Endpoint(server, s2c, s2cSeed, c2s, c2sSeed);
        server.listen(SERVER_PORT, serverEnd);

        Snapshotter snapshotter = null;
        if (p.snapshotRestore()) {
            snapshotter = new Snapshotter(sim, new SplittableRandom(p.seed() ^ 0x5AA5_5AA5_5AA5_5AA5L),
                    new Endpoint[] {clientEnd, serverEnd}, restoreSkewNanos, inRecoveryOnly);
            sim.onStep(snapshotter);
        }
        // the client connects at t=0, from inside the first step (the host has no clock of its own)
        boolean[] connected = {false};
        sim.onStep(() -> {
            if (!connected[0]) {
                connected[0] = true;
                clientEnd.conn = client.connect(SERVER_IP, SERVER_PORT, clientEnd);
            }
        });

        boolean finished;
        String failure = null;
        try {
            // a bug like an ACK war would otherwise spin for hours: stop at a generous budget
            long budget = 20 * ((c2s + s2c) / 1_000) + 100_000;
            finished = sim.runUntil(p.timeLimitNanos(), () -> (clientEnd.done() && serverEnd.done()
                    && client.connectionCount() == 0 && server.connectionCount() == 0)
                    || sim.framesDelivered() > budget);
            if (sim.framesDelivered() > budget) {
                finished = false;
                failure = "frame budget " + budget + " exceeded at t=" + sim.now() + "ns (ACK war?): client{"
                        + clientEnd + "} server{" + serverEnd + "}";
            }
        } catch (RuntimeException e) {
            finished = false;
            failure = "exception: " + e;
        }
        if (snapshotter != null && snapshotter.failure != null) {
            failure = snapshotter.failure;
        }
        boolean crcOk = clientEnd.sentCrc.getValue() == serverEnd.receivedCrc.getValue()
                && serverEnd.sentCrc.getValue() == clientEnd.receivedCrc.getValue();
        boolean contentOk = clientEnd.mismatchAt < 0 && serverEnd.mismatchAt < 0 && (crcOk || !finished);
        if (failure == null) {
            if (!contentOk) {
                failure = "content differs at server offset " + serverEnd.mismatchAt + " / client offset "
                        + clientEnd.mismatchAt + (crcOk ? "" : " (CRC-32C differs)");
            } else if (!finished) {
                failure = (sim.now() >= p.timeLimitNanos() ? "timeout" : "stalled") + " at t=" + sim.now() + "ns:"
                        + " client{" + clientEnd + "} server{" + serverEnd + "}";
            } else if (serverEnd.received != c2s || clientEnd.received != s2c) {
                failure = "byte count";
            }
        }
        String counters = "client " + client.stats() + " " + client.wireCounters() + "\nserver " + server.stats()
                + " " + server.wireCounters() + "\nlink a->b " + link.stats(SimLink.A_TO_B) + "\nlink b->a "
                + link.stats(SimLink.B_TO_A) + (clientChannel == null ? "" : "\nsegmentation offload: client "
                + clientChannel.framesCut() + " frames cut into " + clientChannel.piecesSent() + ", server "
                + serverChannel.framesCut() + " into " + serverChannel.piecesSent());
        return new Result(p, failure == null, failure, serverEnd.received, clientEnd.received, contentOk, sim.now(),
                sim.traceHash(), sim.framesDelivered(), snapshotter == null ? 0 : snapshotter.count, counters);
    }

    /** One side's application: sends its stream then closes; checks every byte it receives. */
    static final class Endpoint implements ConnectionHandler {
        final Host host;
        final long sendTotal;
        final StreamContent sendContent;
        final long expectTotal;
        final StreamContent expectContent;
        final UnsafeBuffer chunk = new UnsafeBuffer(new byte[CHUNK]);
        final CRC32C sentCrc = new CRC32C();
        final CRC32C receivedCrc = new CRC32C();
        TcpConnection conn;
        long sent;
        long received;
        long mismatchAt = -1;
        boolean closeIssued;
        boolean eof;
        boolean closed;
        boolean reset;
        boolean resetBeforeDone;

        Endpoint(Host host, long sendTotal, long sendSeed, long expectTotal, long expectSeed) {
            this.host = host;
            this.sendTotal = sendTotal;
            this.sendContent = new StreamContent(sendSeed);
            this.expectTotal = expectTotal;
            this.expectContent = new StreamContent(expectSeed);
        }

        boolean done() {
            return closeIssued && eof && received == expectTotal && sent == sendTotal;
        }

        @Override
        public void onAccepted(TcpConnection c) {
            conn = c;
            pump(c);
            drain(c);
        }

        @Override
        public void onConnected(TcpConnection c) {
            conn = c;
            pump(c);
            drain(c);
        }

        @Override
        public void onData(TcpConnection c) {
            conn = c;
            drain(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            conn = c;
            pump(c);
        }

        @Override
        public void onClosed(TcpConnection c, boolean wasReset) {
            closed = true;
            reset = wasReset;
            resetBeforeDone = wasReset && !done();
        }

        private void pump(TcpConnection c) {
            long now = host.now();
            while (sent < sendTotal) {
                int n = (int) Math.min(Math.min(c.writableBytes(), CHUNK), sendTotal - sent);
                if (n <= 0) {
                    break;
                }
                sendContent.fill(chunk, 0, sent, n);
                int accepted = c.send(chunk, 0, n, now);
                sentCrc.update(chunk.byteArray(), 0, accepted);
                sent += accepted;
                if (accepted < n) {
                    break;
                }
            }
            if (sent == sendTotal && !closeIssued) {
                closeIssued = true;
                c.close(now);
            }
        }

        private void drain(TcpConnection c) {
            long now = host.now();
            while (true) {
                int n = c.receive(chunk, 0, CHUNK, now);
                if (n <= 0) {
                    break;
                }
                if (mismatchAt < 0) {
                    mismatchAt = received + n > expectTotal ? Math.max(received, expectTotal)
                            : expectContent.firstMismatch(chunk, 0, received, n);
                }
                receivedCrc.update(chunk.byteArray(), 0, n);
                received += n;
            }
            if (c.isPeerClosed()) {
                eof = true;
            }
        }

        @Override
        public String toString() {
            return "sent=" + sent + "/" + sendTotal + " received=" + received + "/" + expectTotal + " eof=" + eof
                    + " closeIssued=" + closeIssued + " closed=" + closed + " reset=" + reset
                    + (conn == null ? "" : " state=" + conn.state());
        }
    }

    /** At random steps, replaces each live connection by a restored snapshot of itself. */
    static final class Snapshotter implements Runnable {
        final Simulator sim;
        final SplittableRandom random;
        final Endpoint[] endpoints;
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[1 << 20]);
        long countdown = 1;
        int count;
        String failure;

        final long restoreSkewNanos;
        /** Snapshot only connections in loss recovery, each with probability 1/4 per step. */
        final boolean inRecoveryOnly;

        Snapshotter(Simulator sim, SplittableRandom random, Endpoint[] endpoints, long restoreSkewNanos,
                    boolean inRecoveryOnly) {
            this.restoreSkewNanos = restoreSkewNanos;
            this.inRecoveryOnly = inRecoveryOnly;
            this.sim = sim;
            this.random = random;
            this.endpoints = endpoints;
        }

        @Override
        public void run() {
            if (failure != null || (!inRecoveryOnly && --countdown > 0)) {
                return;
            }
            // frequent early (handshake states), then roughly every 1/16th of the run so far
            countdown = 1 + random.nextInt(1 + (int) Math.min(2_000, sim.steps() / 8));
            for (Endpoint e : endpoints) {
                TcpConnection c = e.conn;
                if (inRecoveryOnly && (c == null || !c.inLossRecovery() || random.nextInt(4) != 0)) {
                    continue;
                }
                if (c == null || c.state() == TcpState.CLOSED
                        || e.host.connection(c.remoteIp(), c.remotePort(), c.localPort()) != c) {
                    continue;
                }
                long now = sim.now();
                if (buffer.capacity() < c.snapshotSize()) {
                    buffer = new UnsafeBuffer(new byte[Math.max(c.snapshotSize(), 2 * buffer.capacity())]);
                }
                if (!e.host.detach(c)) {
                    failure = "detach refused";
                    return;
                }
                int n = c.snapshot(buffer, 0, now);
                try {
                    TcpConnection restored = TcpConnection.restore(buffer, 0, n, now + restoreSkewNanos,
                            e.host.sink());
                    e.host.attach(restored, e);
                    e.conn = restored;
                    count++;
                } catch (SnapshotException ex) {
                    failure = "restore failed in " + c.state() + ": " + ex.getMessage();
                    return;
                }
            }
        }
    }
}
