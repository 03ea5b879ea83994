package io.capybara.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The per-packet paths allocate nothing: measured with the JVM's per-thread allocation counter. */
class AllocationTest {
    private static final int FRAMES = 100_000;

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void encodeAndDecodeAllocateNothingPerFrame() {
        io.capybara.testing.Require.that(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean
                && ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).isThreadAllocatedMemoryEnabled(),
                () -> "per-thread allocation accounting unavailable");
        UnsafeBuffer frame = new UnsafeBuffer(new byte[2048]);
        UnsafeBuffer payload = new UnsafeBuffer(new byte[1000]);
        TcpSegment tx = new TcpSegment();
        tx.srcIp = 0x0A000001;
        tx.dstIp = 0x0A000002;
        tx.srcPort = 40000;
        tx.dstPort = 80;
        tx.flags = TcpSegment.ACK;
        tx.hasTimestamps = true;
        tx.payload = payload;
        tx.payloadLength = payload.capacity();
        WireCounters counters = new WireCounters();
        FrameDecoder decoder = new FrameDecoder(counters);
        DecodedFrame rx = new DecodedFrame();

        run(frame, tx, decoder, rx, FRAMES); // warm up: class init, switch maps, JIT
        long before = allocatedBytes();
        int accepted = run(frame, tx, decoder, rx, FRAMES);
        long allocated = allocatedBytes() - before;

        assertEquals(FRAMES, accepted);
        assertTrue(allocated < 4096, allocated + " bytes allocated for " + FRAMES + " frames");
    }

    private static int run(UnsafeBuffer frame, TcpSegment tx, FrameDecoder decoder, DecodedFrame rx, int n) {
        int accepted = 0;
        for (int i = 0; i < n; i++) {
            tx.seq = i;
            int len = FrameEncoder.encodeTcp(frame, 0, 2L, 1L, i, tx);
            if (decoder.decode(frame, 0, len, rx) == DecodedFrame.Kind.TCP && rx.tcp.seq == i) {
                accepted++;
            }
        }
        return accepted;
    }
}
