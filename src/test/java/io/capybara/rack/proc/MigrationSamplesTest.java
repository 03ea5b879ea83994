package io.capybara.rack.proc;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MigrationSamplesTest {
    @Test
    void halvesFromTwoProcessesJoinByOriginAndId() {
        MigrationLog origin = new MigrationLog(8);
        MigrationLog target = new MigrationLog(8);
        int s0 = 0x0A4DFA0A;
        origin.half(s0, 1, true, 1_000_000, 2_000);   // decided at 1 ms, 2 us of CPU
        origin.half(s0, 2, true, 5_000_000, 3_000);
        target.half(s0, 1, false, 1_050_000, 1_000);  // serving 50 us later, 1 us of CPU
        target.half(s0, 3, false, 9_000_000, 1_000);  // its origin half is missing: not joined
        MigrationSamples j = MigrationSamples.join(List.of(origin.dump(0), target.dump(0)));
        assertEquals(1, j.count());
        assertEquals(50.0, j.e2eMicros().get("p50"));
        assertEquals(3.0, j.cpuMicros().get("p50"));
    }

    @Test
    void aDumpFromASequenceNumberSkipsOlderEntries() {
        MigrationLog log = new MigrationLog(4);
        for (int i = 0; i < 6; i++) {
            log.half(1, i, true, i, i);
        }
        // capacity 4: entries 0 and 1 are overwritten; from 3 on: 3, 4, 5
        assertEquals(3, log.dump(3).split("\n").length);
        assertEquals(4, log.dump(0).split("\n").length);
        assertEquals(Map.of(), Map.of());
    }
}
