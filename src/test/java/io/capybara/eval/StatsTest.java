package io.capybara.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StatsTest {
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void trimmedMeanDropsExactlyTheLargestShare(long seed) {
        SplittableRandom r = new SplittableRandom(Long.getLong("capybara.seed", seed));
        int n = 1 + r.nextInt(5000);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = 1 + r.nextLong(1_000_000);
        }
        long[] sorted = v.clone();
        Arrays.sort(sorted);
        int keep = Math.max(1, n - n / 1000);
        double want = Arrays.stream(sorted, 0, keep).average().orElseThrow() / 1000;
        String replay = "seed " + seed + ", replay: ./capybara test -Dtest=StatsTest -Dcapybara.seed=" + seed;
        assertEquals(want, Stats.trimmedMeanMicros(v, 0.001), 1e-9, replay);
        assertTrue(Stats.trimmedMeanMicros(v, 0.001) <= Stats.meanMicros(v) + 1e-9, replay);
        assertEquals(sorted[Math.max(0, (int) Math.ceil(0.5 * n) - 1)] / 1000.0, Stats.percentileMicros(v, 50), replay);
    }
}
