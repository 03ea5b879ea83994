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
                copy(s, (s.flags & TcpSegment.SYN) != 0 ? synCopy : ackCopy);
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
        for (int i = 0; i < 20_000; i++) { // warm-up: rings reach their working size, JIT settles
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
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
        for (int i = 0; i < 20_000; i++) {
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
        long after = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
        // a per-segment allocation would show as >= 16 B x 80k segments; allow one-off noise such
        // as a JIT deoptimization re-materializing a scalar-replaced object
        long allocated = after - before;
        org.junit.jupiter.api.Assertions.assertTrue(allocated < 1024,
                allocated + " bytes allocated by 20k round trips on the data path");
        assertEquals(40_000L * 1448, seen);
        assertEquals(0, a.stats().retransmits());
    }

    private static void copy(TcpSegment s, TcpSegment d) {
        d.clear();
        d.srcIp = s.srcIp;
        d.dstIp = s.dstIp;
        d.srcPort = s.srcPort;
        d.dstPort = s.dstPort;
        d.seq = s.seq;
        d.ack = s.ack;
        d.flags = s.flags;
        d.window = s.window;
        d.mss = s.mss;
        d.windowScale = s.windowScale;
        d.sackPermitted = s.sackPermitted;
        d.hasTimestamps = s.hasTimestamps;
        d.tsVal = s.tsVal;
        d.tsEcr = s.tsEcr;
    }
}
