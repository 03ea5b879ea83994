package io.capybara.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Capybara-J's overhead run: every connection migrated once, checked, timed per step. */
class CapybaraFleetTest {
    @ParameterizedTest
    @ValueSource(ints = {0, 1024, 8192})
    void migratesEachConnectionOnceAndChecksIt(int queueBytes) {
        CapybaraFleet fleet = new CapybaraFleet(16);
        int[] progress = {0};
        OverheadRun r = fleet.run(CapybaraSystem.KEY, 40, queueBytes, 16, done -> progress[0] = done);
        assertEquals(40, r.count());
        assertEquals(40, r.verified(), "every connection checked after its migration");
        assertEquals(40, progress[0]);
        assertEquals(CapybaraFleet.stepNames().size(), r.steps().size());
        for (int i = 0; i < r.count(); i++) {
            assertTrue(r.totals()[i] > 0, "migration " + i + " has no overhead");
        }
        // The steps the engine timed add up to at least what it reports as overhead, per migration.
        for (int i = 0; i < r.count(); i++) {
            long sum = 0;
            for (long[] s : r.steps().values()) {
                sum += s[i];
            }
            assertTrue(sum >= r.totals()[i], "steps " + sum + " < overhead " + r.totals()[i] + " at " + i);
        }
        // A second run on the same rack (fresh connections) works too.
        assertEquals(10, fleet.run(CapybaraSystem.KEY, 10, queueBytes, 16, done -> { }).verified());
    }
}
