package io.capybara.tcp;

import io.capybara.wire.TcpSegment;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Deterministic test rig: two connections joined by a seeded virtual wire with delay, loss,
 * duplication and reordering. Time is virtual. Each endpoint can carry a "shadow" connection
 * (e.g. restored from a snapshot) that gets exactly the same inputs; its outputs must be equal.
 */
final class TcpPair {
    static final int IP_A = 0x0A000001;
    static final int IP_B = 0x0A000002;
    static final int PORT_A = 40000;
    static final int PORT_B = 80;

    static final boolean TRACE = Boolean.getBoolean("capybara.trace");
    final SplittableRandom rnd;
    long now = 1_000_000_000L;
    long delayNanos = 50_000;
    double loss;
    double duplicate;
    double reorder;
    /** When non-null, decides per segment whether to drop it (overrides {@link #loss}). */
    java.util.function.Predicate<Captured> dropFilter;
    final List<Captured> log = new ArrayList<>();
    boolean logging;

    private final PriorityQueue<InFlight> wire = new PriorityQueue<>();
    private long order;

    final Endpoint a;
    final Endpoint b;

    private record InFlight(long at, long order, Endpoint to, Captured seg) implements Comparable<InFlight> {
        @Override
        public int compareTo(InFlight o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(order, o.order);
        }
    }

    TcpPair(long seed, TcpConfig configA, TcpConfig configB) {
        rnd = new SplittableRandom(seed);
        a = new Endpoint("A", configA, IP_A, PORT_A);
        b = new Endpoint("B", configB, IP_B, PORT_B);
        a.peer = b;
        b.peer = a;
    }

    TcpPair(long seed, TcpConfig config) {
        this(seed, config, config);
    }

    /** A connects to B (B accepts the first SYN it sees). */
    TcpPair open(int issA, int issB) {
        b.listenIss = issB;
        a.conn = TcpConnection.connect(a.config, IP_A, PORT_A, IP_B, PORT_B, issA, now, a.sink);
        a.flush();
        return this;
    }

    final class Endpoint {
        final String name;
        final TcpConfig config;
        final int ip;
        final int port;
        Endpoint peer;
        TcpConnection conn;
        TcpConnection shadow;
        int listenIss = Integer.MIN_VALUE;
        boolean listening = true;
        final List<Captured> outbox = new ArrayList<>();
        final List<Captured> shadowOutbox = new ArrayList<>();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<Captured> arrived = new ArrayList<>();
        byte[] toSend = new byte[0];
        int sent;
        boolean closeWhenSent;
        boolean closed;
        boolean reading = true;
        /** Max bytes read per pump (slow reader); Integer.MAX_VALUE = read everything. */
        int readChunk = Integer.MAX_VALUE;
        /**
         * Segmentation offload offered to the connection ({@link SegmentSink#segmentOffloadBytes});
         * the wire then cuts each longer segment into MSS pieces, as a NIC's TSO does.
         */
        int offload;
        final SegmentSink sink = new Sink(outbox);
        final SegmentSink shadowSink = new Sink(shadowOutbox);

        private final class Sink implements SegmentSink {
            private final List<Captured> to;

            Sink(List<Captured> to) {
                this.to = to;
            }

            @Override
            public void transmit(TcpConnection c, TcpSegment s) {
                to.add(new Captured(s));
            }

            @Override
            public int segmentOffloadBytes() {
                return offload;
            }
        }
        private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[1 << 16]);

        Endpoint(String name, TcpConfig config, int ip, int port) {
            this.name = name;
            this.config = config;
            this.ip = ip;
            this.port = port;
        }

        /** Puts what the connection emitted on the wire and checks the shadow emitted the same. */
        void flush() {
            if (shadow != null) {
                if (!outbox.equals(shadowOutbox)) {
                    throw new AssertionError(name + ": restored copy diverged at t=" + now + "\n original: "
                            + outbox + "\n restored: " + shadowOutbox);
                }
                shadowOutbox.clear();
                if (conn.nextDeadline() != shadow.nextDeadline() || conn.state() != shadow.state()) {
                    throw new AssertionError(name + ": restored copy diverged at t=" + now + ": deadline "
                            + conn.nextDeadline() + " vs " + shadow.nextDeadline() + ", " + conn + " vs " + shadow);
                }
            }
            for (Captured c : outbox) {
                if (logging) {
                    log.add(c);
                }
                int mss = conn.sendMss();
                if (offload > 0 && c.len() > mss) {
                    for (int off = 0; off < c.len(); off += mss) {
                        transmit(peer, c.piece(off, Math.min(mss, c.len() - off)));
                    }
                } else {
                    transmit(peer, c);
                }
            }
            outbox.clear();
        }

        void deliver(Captured seg) {
            arrived.add(seg);
            if (TRACE) {
                System.out.println(now + " ->" + name + " " + seg + "   [" + conn + "]");
            }
            if (conn == null) {
                if (listening && seg.has(TcpSegment.SYN) && !seg.has(TcpSegment.ACK) && listenIss != Integer.MIN_VALUE) {
                    conn = TcpConnection.accept(config, seg.toSegment(), listenIss, now, sink);
                    listening = false;
                    flush();
                }
                return;
            }
            conn.onSegment(seg.toSegment(), now);
            if (shadow != null) {
                shadow.onSegment(seg.toSegment(), now);
            }
            flush();
        }

        void timer() {
            if (conn != null && conn.nextDeadline() <= now) {
                conn.onTimer(now);
                if (shadow != null) {
                    shadow.onTimer(now);
                }
                flush();
            }
        }

        long deadline() {
            return conn == null ? Long.MAX_VALUE : conn.nextDeadline();
        }

        /** The application: write what fits, read what is there, close when done. */
        void pump() {
            if (conn == null) {
                return;
            }
            while (sent < toSend.length) {
                int n = Math.min(toSend.length - sent, scratch.capacity());
                scratch.putBytes(0, toSend, sent, n);
                int k = conn.send(scratch, 0, n, now);
                if (shadow != null) {
                    int k2 = shadow.send(scratch, 0, n, now);
                    check(k == k2, "send returned " + k + " vs " + k2);
                }
                flush();
                if (k == 0) {
                    break;
                }
                sent += k;
            }
            if (reading) {
                int budget = readChunk;
                while (budget > 0 && conn.readableBytes() > 0) {
                    int n = Math.min(budget, scratch.capacity());
                    int k = conn.receive(scratch, 0, n, now);
                    if (shadow != null) {
                        UnsafeBuffer other = new UnsafeBuffer(new byte[n]);
                        int k2 = shadow.receive(other, 0, n, now);
                        check(k == k2, "receive returned " + k + " vs " + k2);
                        for (int i = 0; i < k; i++) {
                            check(other.getByte(i) == scratch.getByte(i), "received bytes differ at " + i);
                        }
                    }
                    flush();
                    byte[] tmp = new byte[k];
                    scratch.getBytes(0, tmp);
                    received.write(tmp, 0, k);
                    budget -= k;
                    if (k == 0) {
                        break;
                    }
                }
            }
            if (closeWhenSent && !closed && sent == toSend.length) {
                closed = true;
                conn.close(now);
                if (shadow != null) {
                    shadow.close(now);
                }
                flush();
            }
        }

        private void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(name + ": restored copy diverged at t=" + now + ": " + what);
            }
        }

        /** Snapshots the connection and restores a copy that from now on runs side by side. */
        void snapshotAndShadow(boolean swap) {
            byte[] bytes = snapshotBytes(conn, now);
            TcpConnection restored;
            try {
                // every other restore takes its rings from a pool of dirty memory (as hosts
                // recycle the rings of departed connections): garbage must never show through
                restored = swap
                        ? TcpConnection.restore(new UnsafeBuffer(bytes), 0, bytes.length, now, shadowSink, true,
                                dirtyPool(bytes.length))
                        : TcpConnection.restore(new UnsafeBuffer(bytes), 0, bytes.length, now, shadowSink);
            } catch (SnapshotException e) {
                throw new AssertionError(name + ": restore failed: " + e.getMessage(), e);
            }
            byte[] again = snapshotBytes(restored, now);
            if (!Arrays.equals(bytes, again)) {
                throw new AssertionError(name + ": re-snapshot of restored connection differs");
            }
            if (swap) {
                // the restored copy goes on the wire, the original becomes the shadow
                restored.sink(sink);
                conn.sink(shadowSink);
                shadow = conn;
                conn = restored;
            } else {
                shadow = restored;
            }
        }

        String receivedString() {
            return received.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    /** A pool holding ring-sized buffers and scoreboard records full of noise (seeded by {@code seed}). */
    static BufferPool dirtyPool(long seed) {
        BufferPool pool = new BufferPool(4);
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int size = 64; size <= 1 << 20; size <<= 1) {
            byte[] noise = new byte[size];
            for (int i = 0; i < size; i++) {
                noise[i] = (byte) r.nextInt();
            }
            pool.give(new UnsafeBuffer(noise));
        }
        for (int records = 32; records <= 1024; records <<= 1) {
            LossRecovery.Records noise = new LossRecovery.Records(records);
            for (int i = 0; i < records; i++) {
                noise.start[i] = r.nextInt();
                noise.end[i] = r.nextInt();
                noise.sent[i] = r.nextLong();
                noise.flags[i] = (byte) r.nextInt();
            }
            pool.giveRecords(noise);
        }
        return pool;
    }

    static byte[] snapshotBytes(TcpConnection c, long now) {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[c.snapshotSize()]);
        int n = c.snapshot(buf, 0, now);
        byte[] out = new byte[n];
        buf.getBytes(0, out);
        return out;
    }

    private void transmit(Endpoint to, Captured seg) {
        if (dropFilter != null ? dropFilter.test(seg) : (loss > 0 && rnd.nextDouble() < loss)) {
            return;
        }
        int copies = duplicate > 0 && rnd.nextDouble() < duplicate ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            long extra = reorder > 0 && rnd.nextDouble() < reorder ? rnd.nextLong(1, 4 * delayNanos + 2) : 0;
            wire.add(new InFlight(now + delayNanos + extra, order++, to, seg));
        }
    }

    /** Runs one event (a delivery or a timer) no later than {@code limit}; false if none. */
    boolean step(long limit) {
        long wireAt = wire.isEmpty() ? Long.MAX_VALUE : wire.peek().at;
        long next = Math.min(wireAt, Math.min(a.deadline(), b.deadline()));
        if (next > limit) {
            return false;
        }
        if (next > now) {
            now = next;
        }
        if (wireAt <= now) {
            InFlight f = wire.poll();
            f.to.deliver(f.seg);
        } else {
            a.timer();
            b.timer();
        }
        a.pump();
        b.pump();
        return true;
    }

    /** Runs until {@code done} holds or virtual time passes {@code limit}; returns done's value. */
    boolean runUntil(BooleanSupplier done, long limit) {
        a.pump();
        b.pump();
        while (!done.getAsBoolean()) {
            if (!step(limit)) {
                return done.getAsBoolean();
            }
        }
        return true;
    }

    /** Runs all events up to now + {@code nanos}; time ends at exactly that point. */
    void runFor(long nanos) {
        long end = now + nanos;
        a.pump();
        b.pump();
        while (step(end)) {
            // keep going
        }
        now = end;
    }

    boolean established() {
        return a.conn != null && b.conn != null && a.conn.state() == TcpState.ESTABLISHED
                && b.conn.state() == TcpState.ESTABLISHED;
    }

    int inFlight() {
        return wire.size();
    }
}
