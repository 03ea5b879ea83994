package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capybara.wire.TcpSegment;
import java.lang.management.ManagementFactory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The established data path (receive, ACK processing, send) allocates nothing per segment. */
class TcpAllocationTest {
    private long seen;

    @Test
    void establishedDataPathAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        io.capybara.testing.Require.that(mx.isThreadAllocatedMemorySupported(), () -> "needs per-thread allocation counters");
        mx.setThreadAllocatedMemoryEnabled(true);
        long[] now = {1_000_000_000L};
        // A and B joined directly: each emitted segment is delivered to the peer at once
        TcpSegment[] toA = {null};
        TcpSegment[] toB = {null};
        TcpConnection[] conns = new TcpConnection[2];
        TcpSegment synCopy = new TcpSegment();
        TcpSegment ackCopy = new TcpSegment();
        SegmentSink sinkA = (c, s) -> {
            if (conns[1] == null) {
                // during the handshake B does not exist yet (SYN) or accept() has not returned (ACK)
                ((s.flags & TcpSegment.SYN) != 0 ? synCopy : ackCopy).clear().copyHeader(s);
                return;
            }
            conns[1].onSegment(s, now[0]);
        };
        SegmentSink sinkB = (c, s) -> conns[0].onSegment(s, now[0]);
        TcpConfig cfg = TcpConfig.defaults();
        conns[0] = TcpConnection.connect(cfg, 1, 1000, 2, 80, 77, now[0], sinkA);
        TcpConnection accepted = TcpConnection.accept(cfg, synCopy, 99, now[0], sinkB);
        conns[1] = accepted;
        accepted.onSegment(ackCopy, now[0]);
        assertEquals(TcpState.ESTABLISHED, conns[0].state());
        assertEquals(TcpState.ESTABLISHED, conns[1].state());
        UnsafeBuffer msg = new UnsafeBuffer(new byte[1448]);
        UnsafeBuffer sink = new UnsafeBuffer(new byte[1 << 16]);
        TcpConnection a = conns[0];
        TcpConnection b = conns[1];
        ConnectionObserver counting = new ConnectionObserver() {
            @Override
            public void onReadable(TcpConnection c) {
                seen += c.receive(sink, 0, sink.capacity(), now[0]);
            }
        };
        b.observer(counting);
        exchange(a, b, msg, sink, now, 20_000); // warm-up: rings reach their working size, JIT settles
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
        exchange(a, b, msg, sink, now, 20_000);
        long after = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
        // a per-segment allocation would show as >= 16 B x 80k segments; allow one-off noise such
        // as a JIT deoptimization re-materializing a scalar-replaced object
        long allocated = after - before;
        org.junit.jupiter.api.Assertions.assertTrue(allocated < 1024,
                allocated + " bytes allocated by 20k round trips on the data path");
        assertEquals(40_000L * 1448, seen);
        assertEquals(0, a.stats().retransmits());
    }

    /**
     * Loss recovery on the data path: every 40th data segment from A is lost, so the SACK
     * scoreboard, RACK marking, PRR and the repairs run all the time; they allocate nothing
     * (the scoreboard's records reach their working size in the warm-up). Segments travel
     * through a preallocated queue, delivered after each call returns.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "segment offload {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 65_000})
    void sackLossRecoveryAllocatesNothing(int offload) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        io.capybara.testing.Require.that(mx.isThreadAllocatedMemorySupported(), () -> "needs per-thread allocation counters");
        mx.setThreadAllocatedMemoryEnabled(true);
        long[] now = {1_000_000_000L};
        Wire toA = new Wire();
        Wire toB = new Wire();
        int[] dataSegments = {0};
        int[] large = {0};
        SegmentSink sinkA = new SegmentSink() {
            @Override
            public void transmit(TcpConnection c, TcpSegment s) {
                // with offload, a large segment travels as the MSS pieces TSO cuts it into
                int mss = c.sendMss();
                large[0] += s.payloadLength > mss ? 1 : 0;
                int off = 0;
                do {
                    int len = Math.min(mss, s.payloadLength - off);
                    if (len == 0 || ++dataSegments[0] % 40 != 0) { // else lost
                        toB.add(s, off, len);
                    }
                    off += len;
                } while (off < s.payloadLength);
            }

            @Override
            public int segmentOffloadBytes() {
                return offload;
            }
        };
        TcpConfig cfg = TcpConfig.defaults();
        TcpConnection a = TcpConnection.connect(cfg, 1, 1000, 2, 80, 77, now[0], sinkA);
        TcpConnection b = TcpConnection.accept(cfg, toB.take(), 99, now[0], (c, s) -> toA.add(s));
        UnsafeBuffer msg = new UnsafeBuffer(new byte[8 * 1448]);
        UnsafeBuffer sink = new UnsafeBuffer(new byte[1 << 17]);
        b.observer(new ConnectionObserver() {
            @Override
            public void onReadable(TcpConnection c) {
                seen += c.receive(sink, 0, sink.capacity(), now[0]);
            }
        });
        runLossy(a, b, toA, toB, msg, now, 20_000);
        assertEquals(TcpState.ESTABLISHED, a.state());
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
        long seenBefore = seen;
        long recoveriesBefore = a.stats().fastRetransmits();
        runLossy(a, b, toA, toB, msg, now, 20_000);
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
        org.junit.jupiter.api.Assertions.assertTrue(a.stats().fastRetransmits() - recoveriesBefore > 100, a.stats().toString());
        org.junit.jupiter.api.Assertions.assertTrue(seen - seenBefore > 10_000L * 1448, "progress: " + (seen - seenBefore));
        org.junit.jupiter.api.Assertions.assertTrue(allocated < 1024,
                allocated + " bytes allocated under loss recovery; " + a.stats());
        org.junit.jupiter.api.Assertions.assertEquals(offload > 0, large[0] > 0, "large segments: " + large[0]);
    }

    private static void runLossy(TcpConnection a, TcpConnection b, Wire toA, Wire toB, UnsafeBuffer msg, long[] now,
                                 int rounds) {
        for (int i = 0; i < rounds; i++) {
            now[0] += 20_000;
            a.send(msg, 0, msg.capacity(), now[0]);
            if (a.nextDeadline() <= now[0]) {
                a.onTimer(now[0]);
            }
            if (b.nextDeadline() <= now[0]) {
                b.onTimer(now[0]);
            }
            while (!toA.isEmpty() || !toB.isEmpty()) {
                while (!toB.isEmpty()) {
                    b.onSegment(toB.take(), now[0]);
                }
                while (!toA.isEmpty()) {
                    a.onSegment(toA.take(), now[0]);
                }
            }
        }
    }

    /** A preallocated FIFO of segment copies (payloads included). */
    private static final class Wire {
        private final TcpSegment[] slots = new TcpSegment[1024];
        private int head;
        private int size;

        Wire() {
            for (int i = 0; i < slots.length; i++) {
                slots[i] = new TcpSegment();
                slots[i].payload = new UnsafeBuffer(new byte[2048]);
            }
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(TcpSegment s) {
            add(s, 0, s.payloadLength);
        }

        /** The piece [off, off + len) of {@code s}'s payload with its header (FIN and PSH on the last only). */
        void add(TcpSegment s, int off, int len) {
            TcpSegment d = slots[(head + size++) & (slots.length - 1)];
            org.agrona.MutableDirectBuffer keep = (org.agrona.MutableDirectBuffer) d.payload;
            d.clear().copyHeader(s);
            d.seq = s.seq + off;
            if (off + len < s.payloadLength) {
                d.flags &= ~(TcpSegment.FIN | TcpSegment.PSH);
            }
            d.sackCount = s.sackCount;
            for (int i = 0; i < s.sackCount; i++) {
                d.sackLeft[i] = s.sackLeft[i];
                d.sackRight[i] = s.sackRight[i];
            }
            d.payload = keep;
            d.payloadOffset = 0;
            d.payloadLength = len;
            if (len > 0) {
                keep.putBytes(0, s.payload, s.payloadOffset + off, len);
            }
        }

        TcpSegment take() {
            TcpSegment s = slots[head];
            head = (head + 1) & (slots.length - 1);
            size--;
            return s;
        }
    }

    /** {@code rounds} steps of 1 us: a sends a full segment, b 100 bytes back, a reads, due timers run. */
    private static void exchange(TcpConnection a, TcpConnection b, UnsafeBuffer msg, UnsafeBuffer sink, long[] now,
                                 int rounds) {
        for (int i = 0; i < rounds; i++) {
            now[0] += 1000;
            a.send(msg, 0, msg.capacity(), now[0]);
            b.send(msg, 0, 100, now[0]);
            a.receive(sink, 0, sink.capacity(), now[0]);
            if (a.nextDeadline() <= now[0]) {
                a.onTimer(now[0]);
            }
            if (b.nextDeadline() <= now[0]) {
                b.onTimer(now[0]);
            }
        }
    }
}
