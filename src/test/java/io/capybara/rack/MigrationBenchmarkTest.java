package io.capybara.rack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.mig.MigrationStep;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MigrationBenchmarkTest {
    @Test
    void migratesEveryConnectionBackAndForthAndTimesEveryStep() {
        MigrationBenchmark.Result r = MigrationBenchmark.run(500, 8, System::nanoTime);
        assertEquals(500, r.completed(), r.toString());
        assertEquals(0, r.failed());
        assertTrue(r.stateBytes() > 8192, "each connection carries 4 KiB unread and 4 KiB unacknowledged");
        assertTrue(r.overheadP50Us() > 0 && r.overheadP99Us() >= r.overheadP50Us(), r.toString());
        assertTrue(r.blackoutP50Us() > 0, r.toString());
        assertEquals(MigrationStep.values().length, r.steps().size());
        for (var e : r.steps().entrySet()) { // p50, mean, p99 in that order, and none negative
            double[] v = e.getValue();
            assertTrue(v[0] >= 0 && v[0] <= v[2], e.getKey() + " p50 " + v[0] + " p99 " + v[2]);
        }
        // the JSON keys the issue names
        java.util.Map<String, Object> json = r.toMap();
        for (String key : new String[] {"failed", "overhead_us", "blackout_us", "steps_us"}) {
            assertTrue(json.containsKey(key), key);
        }
        @SuppressWarnings("unchecked")
        java.util.Map<String, java.util.Map<String, Double>> steps =
                (java.util.Map<String, java.util.Map<String, Double>>) json.get("steps_us");
        assertEquals(MigrationStep.values().length, steps.size());
        assertEquals(r.steps().get("origin_serialize")[0], steps.get("origin_serialize").get("p50"), 1e-12);
        assertTrue(steps.get("origin_serialize").get("p99") >= steps.get("origin_serialize").get("p50"));
    }

    @Test
    void tlsSessionsMigrateWithTheirConnections() {
        for (io.capybara.tls.TlsSuite suite : io.capybara.tls.TlsSuite.values()) {
            MigrationBenchmark.Result r = MigrationBenchmark.run(300, 8, 4096, 4096, 1500, System::nanoTime, suite);
            assertEquals(300, r.completed(), r.toString());
            assertEquals(0, r.failed(), r.toString());
            // the TLS state rides in CONN_STATE: secrets, keys, IVs, sequence numbers (no buffered records here)
            int keys = 2 * (suite.hashLength() + suite.keyLength() + 12);
            assertEquals(16 + 92 + keys + 4, r.appStateBytes(), 0.0, r.toString());
        }
    }

    @Test
    void jumboFramesCarryTheSameStates() {
        MigrationBenchmark.Result r = MigrationBenchmark.run(300, 8, 4096, 4096, 9000, System::nanoTime);
        assertEquals(300, r.completed(), r.toString());
        assertEquals(0, r.failed());
        assertTrue(r.stateBytes() > 8192);
    }

    @Test
    void theClockOnlyMeasures() {
        // a clock that advances 1 us per read: every step and the overhead become exact multiples,
        // and the protocol still completes every migration (decisions never read the clock)
        AtomicLong t = new AtomicLong();
        MigrationBenchmark.Result r = MigrationBenchmark.run(100, 4, () -> t.addAndGet(1_000));
        assertEquals(100, r.completed());
        assertEquals(1.0, r.steps().get("origin_decide")[0], 1e-9);
        // every timed step is a whole number of clock reads (1 us each), at least one; and the
        // JSON carries those figures
        @SuppressWarnings("unchecked")
        java.util.Map<String, java.util.Map<String, Double>> json =
                (java.util.Map<String, java.util.Map<String, Double>>) r.toMap().get("steps_us");
        for (var e : r.steps().entrySet()) {
            double[] v = e.getValue();
            if (v[0] == 0 && v[2] == 0) {
                continue; // a step these migrations never take (e.g. no segment to replay)
            }
            assertTrue(v[0] >= 1.0 && v[0] == Math.rint(v[0]), e.getKey() + " " + v[0]);
            assertTrue(v[2] >= v[0] && v[2] == Math.rint(v[2]), e.getKey() + ": p99 " + v[2]);
            assertEquals(v[0], json.get(e.getKey()).get("p50"), 1e-9, e.getKey());
        }
        assertTrue(r.overheadP50Us() >= 1.0, "overhead counts the clock reads: " + r);
    }
}
