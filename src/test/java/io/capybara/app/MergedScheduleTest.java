package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MergedScheduleTest {
    @Test
    void aStepAddsItsRateFromItsStartAndTimesNeverGoBack() {
        long step = 1_000_000_000L;
        MergedSchedule s = new MergedSchedule(
                new OpenLoopSchedule(0, 10_000, new UniformSkew(4), 1),
                new OpenLoopSchedule(step, 80_000, new WeightedSkew(new double[] {1, 0, 0, 0}), 2));
        long last = 0;
        int[] before = new int[4];
        int[] after = new int[4];
        while (s.nextSendTimeNanos() < 2 * step) {
            assertTrue(s.nextSendTimeNanos() >= last);
            last = s.nextSendTimeNanos();
            (last < step ? before : after)[s.nextConnection()]++;
            s.advance();
        }
        int total = before[0] + before[1] + before[2] + before[3];
        assertTrue(Math.abs(total - 10_000) < 500, "10K/s before: " + total);
        assertTrue(Math.abs(after[0] - (2_500 + 80_000)) < 1_500, "connection 0 takes the extra: " + after[0]);
        assertTrue(Math.abs(after[1] - 2_500) < 300, "others unchanged: " + after[1]);
    }

    @Test
    void weightedSkewFollowsItsWeights() {
        WeightedSkew w = new WeightedSkew(new double[] {3, 0, 1, 0});
        assertEquals(0.75, w.probability(0), 1e-12);
        assertEquals(0.0, w.probability(1), 1e-12);
        assertEquals(0.25, w.probability(2), 1e-12);
        assertEquals(0.0, w.probability(3), 1e-12);
        SplittableRandom r = new SplittableRandom(3);
        int[] n = new int[4];
        for (int i = 0; i < 40_000; i++) {
            n[w.sample(r)]++;
        }
        assertEquals(0, n[1] + n[3]);
        assertTrue(Math.abs(n[0] - 30_000) < 600);
        assertThrows(IllegalArgumentException.class, () -> new WeightedSkew(new double[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> new WeightedSkew(new double[] {1, -1}));
    }
}
