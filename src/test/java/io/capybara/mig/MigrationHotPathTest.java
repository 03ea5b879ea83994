package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.MemoryLink;
import io.capybara.rack.RackSimulation;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.TcpMigHeader;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** Per-packet paths of the engine allocate nothing; the JFR step event records when enabled. */
class MigrationHotPathTest {
    static final int SELF = LoneEngine.SELF;

    @Test
    void bufferingAndDuplicateControlAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        LoneEngine lone = new LoneEngine(MigrationConfig.defaults(RackSimulation.SWITCH_IP)
                .withPools(4, 4, 1_000_000, 1 << 20, 1 << 20), null);
        MigrationEngine e = lone.engine;
        MemoryLink link = lone.link;
        DecodedFrame control = lone.decode(LoneEngine.message(LoneEngine.ORIGIN, TcpMigHeader.PREPARE_MIG, 7, new byte[0],
                LoneEngine::about));
        e.onControl(control);
        assertEquals(1, e.preparedSlots());
        DecodedFrame seg = lone.decode(LoneEngine.segment(1));
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
