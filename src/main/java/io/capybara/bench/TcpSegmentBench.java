package io.capybara.bench;

import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.TcpSegment;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The established per-segment paths of {@link TcpConnection}, in ns/op; both must be 0 B/op
 * under {@code -prof gc}.
 * <ul>
 * <li>{@code receive}: one in-order 1460-byte data segment into an established connection, then
 * the application drains it (the connection's ACKs go to a no-op sink).</li>
 * <li>{@code send}: send() of 1460 bytes, which emits the data segment into a no-op sink, then
 * the peer's ACK for it is processed.</li>
 * <li>{@code sendWithoutSack}: the same with SACK not negotiated and NewReno, the sender this
 * stack had before its SACK scoreboard, RACK-TLP and CUBIC: set beside {@code send}, it shows
 * what those cost per segment apart from any other change to the send path.</li>
 * <li>{@code receiveWithoutSack}: {@code receive} on a connection without SACK, NewReno: what
 * SACK agreed by default costs the receiving path (the ACKs it carries, the sender half's
 * scoreboard consulted on each segment's ACK field).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TcpSegmentBench extends JmhDefaults {
    static final int PAYLOAD = 1460;
    static final TcpConfig CONFIG = TcpConfig.defaults().withMss(PAYLOAD + 12); // 1460 B of data + timestamps

    private FedReceiver receiver;
    private FedReceiver plainReceiver;
    private AckedSender sender;
    private AckedSender plainSender;
    private final UnsafeBuffer payload = BenchPair.buffer(PAYLOAD);
    private long now;

    @Setup(Level.Trial)
    public void setup() {
        BenchPair p = new BenchPair(CONFIG);
        now = p.now;
        receiver = new FedReceiver(p, payload);
        sender = new AckedSender(p, payload);
        if (p.a.sendMss() != PAYLOAD) {
            throw new IllegalStateException("sendMss " + p.a.sendMss());
        }
        TcpConfig plain = CONFIG.withSack(false).withCongestion(TcpConfig.Congestion.NEW_RENO);
        plainSender = new AckedSender(new BenchPair(plain), payload);
        plainReceiver = new FedReceiver(new BenchPair(plain), payload);
    }

    @TearDown(Level.Trial)
    public void check() {
        // guards against a benchmark that silently stopped doing the work
        for (TcpConnection s : new TcpConnection[] {sender.conn, plainSender.conn}) {
            if (s.stats().segmentsOut() > 10 && s.unacknowledgedBytes() > PAYLOAD) {
                throw new IllegalStateException("send path stalled: " + s);
            }
        }
        for (TcpConnection c : new TcpConnection[] {sender.conn, plainSender.conn, receiver.conn, plainReceiver.conn}) {
            if (c.stats().pawsRejected() != 0) {
                throw new IllegalStateException("the fake peer's timestamps went backwards (PAWS): " + c);
            }
        }
        for (TcpConnection r : new TcpConnection[] {receiver.conn, plainReceiver.conn}) {
            if (r.stats().bytesIn() > 0 && r.readableBytes() != 0) {
                throw new IllegalStateException("receive path not drained: " + r);
            }
        }
    }

    @Benchmark
    public int receive() {
        now += 1_000;
        return receiver.receiveAndDrain(now);
    }

    @Benchmark
    public int receiveWithoutSack() {
        now += 1_000;
        return plainReceiver.receiveAndDrain(now);
    }

    @Benchmark
    public int send() {
        now += 1_000;
        return sender.sendAndAck(now);
    }

    @Benchmark
    public int sendWithoutSack() {
        now += 1_000;
        return plainSender.sendAndAck(now);
    }

    /** A segment from {@code conn}'s peer, with a fixed window and timestamps if {@code conn} agreed them. */
    static TcpSegment fromPeer(TcpConnection conn, int flags, UnsafeBuffer payload) {
        TcpSegment s = new TcpSegment();
        s.srcIp = conn.remoteIp();
        s.dstIp = conn.localIp();
        s.srcPort = conn.remotePort();
        s.dstPort = conn.localPort();
        s.flags = flags;
        s.window = 2048;
        s.hasTimestamps = conn.timestamps();
        s.payload = payload;
        return s;
    }

    /** A pair's receiving side and the in-order data segments its fake peer sends it. */
    static final class FedReceiver {
        final TcpConnection conn;
        private final TcpSegment in;
        private final UnsafeBuffer drain = new UnsafeBuffer(new byte[64 * 1024]);
        private int seq;
        /** The fake peer's timestamp clock (µs ticks, like ours): must not run behind TS.Recent (PAWS). */
        private int peerTsVal;
        /** What the receiver's no-op sink saw last: keeps the emitted segment observable. */
        int lastSeq;

        FedReceiver(BenchPair p, UnsafeBuffer payload) {
            this.conn = p.b;
            conn.sink((c, s) -> lastSeq = s.seq);
            in = fromPeer(conn, TcpSegment.ACK | TcpSegment.PSH, payload); // in order
            in.ack = 0x1234_5678 + 1;
            in.payloadOffset = 0;
            in.payloadLength = PAYLOAD;
            seq = 0x7FFF_0000 + 1;
            peerTsVal = p.aToB.lastTsVal;
        }

        /** One in-order data segment in, then the application drains it, then any timer due. */
        int receiveAndDrain(long now) {
            in.seq = seq;
            in.tsVal = ++peerTsVal;
            conn.onSegment(in, now);
            seq += PAYLOAD;
            int n = conn.receive(drain, 0, drain.capacity(), now);
            if (conn.nextDeadline() <= now) {
                conn.onTimer(now);
            }
            return n;
        }
    }

    /** A pair's sending side and the ACK its fake peer answers each segment with. */
    static final class AckedSender {
        final TcpConnection conn;
        private final UnsafeBuffer payload;
        private final TcpSegment ack;
        /** The fake peer's timestamp clock: must not run behind TS.Recent (PAWS). */
        private int peerTsVal;
        /** What the no-op sink saw last: keeps the emitted segment observable. */
        int lastSeq;
        int lastTsVal;

        AckedSender(BenchPair p, UnsafeBuffer payload) {
            this.conn = p.a;
            this.payload = payload;
            conn.sink((c, s) -> {
                lastSeq = s.seq;
                lastTsVal = s.tsVal;
            });
            peerTsVal = p.bToA.lastTsVal;
            ack = fromPeer(conn, TcpSegment.ACK, payload); // the ack number and timestamps are set per segment
            ack.seq = 0x1234_5678 + 1;
        }

        /** send() of one full segment, then the peer's ACK for it. */
        int sendAndAck(long now) {
            int n = conn.send(payload, 0, PAYLOAD, now);
            ack.ack = lastSeq + PAYLOAD;
            ack.tsVal = ++peerTsVal;
            ack.tsEcr = lastTsVal;
            conn.onSegment(ack, now);
            return n;
        }
    }
}
