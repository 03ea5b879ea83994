package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.MemoryLink;
import io.capybara.rack.RackSimulation;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.WireCounters;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Per-packet paths of the engine allocate nothing; the JFR step event records when enabled. */
class MigrationHotPathTest {
    static final int SELF = RackSimulation.ip(1);
    static final int ORIGIN = RackSimulation.ip(0);
    static final int CLIENT = RackSimulation.ip(16);

    final MemoryLink link = MemoryLink.pair("t", 4096);
    final Host host = new Host(HostConfig.of("target", RackSimulation.mac(1), SELF, 16)
            .withStaticArp(Map.of(ORIGIN, RackSimulation.mac(0), RackSimulation.SWITCH_IP, RackSimulation.SWITCH_MAC,
                    CLIENT, RackSimulation.mac(16))), link.a());
    final FrameDecoder decoder = new FrameDecoder(new WireCounters());

    DecodedFrame decode(byte[] frame, DecodedFrame into) {
        decoder.decode(new UnsafeBuffer(frame), 0, frame.length, into);
        return into;
    }

    static byte[] prepare(int id) {
        byte[] msg = new byte[TcpMigHeader.MIN_LENGTH];
        new TcpMigHeader().wrap(new UnsafeBuffer(msg), 0).init(TcpMigHeader.PREPARE_MIG, id).clientIp(CLIENT)
                .clientPort(40000).serverPort(80).originIp(ORIGIN).targetIp(SELF).value(ORIGIN).seal();
        byte[] f = new byte[FrameEncoder.IPV4_HEADERS_LENGTH + 8 + msg.length];
        FrameEncoder.encodeUdp(new UnsafeBuffer(f), 0, RackSimulation.mac(1), RackSimulation.SWITCH_MAC, 1, ORIGIN,
                SELF, TcpMigHeader.UDP_PORT, TcpMigHeader.UDP_PORT, new UnsafeBuffer(msg), 0, msg.length);
        return f;
    }

    static byte[] segment(int seq) {
        TcpSegment s = new TcpSegment();
        s.srcIp = CLIENT;
        s.dstIp = SELF;
        s.srcPort = 40000;
        s.dstPort = 80;
        s.flags = TcpSegment.ACK;
        s.seq = seq;
        s.ack = 1;
        s.window = 1000;
        s.payload = new UnsafeBuffer(new byte[100]);
        s.payloadLength = 100;
        byte[] f = new byte[FrameEncoder.tcpFrameLength(s)];
        FrameEncoder.encodeTcp(new UnsafeBuffer(f), 0, RackSimulation.mac(1), RackSimulation.mac(16), 1, s);
        return f;
    }

    @Test
    void bufferingAndDuplicateControlAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        MigrationEngine e = new MigrationEngine(host, MigrationConfig.defaults(RackSimulation.SWITCH_IP)
                .withPools(4, 4, 1_000_000, 1 << 20, 1 << 20), null, MigrationMetrics.constant());
        DecodedFrame control = decode(prepare(7), new DecodedFrame());
        e.onControl(control);
        assertEquals(1, e.preparedSlots());
        DecodedFrame seg = decode(segment(1), new DecodedFrame());
        int rounds = 100_000;
        io.capybara.io.FrameHandler drop = (b, o, l) -> { };
        // after a warm-up window, the quietest of three windows counts
        long quietest = Long.MAX_VALUE;
        for (int window = 0; window < 4; window++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < rounds; i++) {
                e.onUnmatchedSegment(seg);
                if ((i & 63) == 0) {
                    e.onControl(control); // a duplicate PREPARE_MIG: answered again, not prepared twice
                    link.b().poll(drop, 64);
                }
            }
            if (window > 0) {
                quietest = Math.min(quietest, mx.getCurrentThreadAllocatedBytes() - before);
            }
        }
        // a per-packet allocation costs at least 16 bytes a packet; allow JIT/JMX noise of a few
        // dozen bytes per window
        assertTrue(quietest < rounds / 100, quietest + " bytes allocated in " + rounds + " packets");
        assertTrue(e.counter(MigCounter.SEGMENTS_BUFFERED) > 0 && e.counter(MigCounter.BUFFER_FULL_DROPS) > 0);
        assertEquals(1, e.preparedSlots());
    }

    @Test
    void stepsAreRecordedAsJfrEventsWhenEnabled() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("mig", ".jfr");
        try (Recording r = new Recording()) {
            r.enable(MigrationStepEvent.class);
            r.start();
            AtomicLong t = new AtomicLong();
            MigrationMetrics m = new MigrationMetrics(() -> t.addAndGet(500));
            long start = m.now();
            m.lap(MigrationStep.TARGET_REPLAY, SELF, 42, start);
            r.stop();
            r.dump(file);
        }
        boolean found = false;
        for (RecordedEvent ev : RecordingFile.readAllEvents(file)) {
            if (ev.getEventType().getName().equals("io.capybara.mig.Step")) {
                assertEquals("target_replay", ev.getString("step"));
                assertEquals(42, ev.getInt("migrationId"));
                assertEquals(500, ev.getLong("durationNanos"));
                found = true;
            }
        }
        java.nio.file.Files.deleteIfExists(file);
        assertTrue(found, "a step event was recorded");
    }
}
