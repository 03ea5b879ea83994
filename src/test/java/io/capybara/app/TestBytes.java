package io.capybara.app;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;

/** Test helpers: ASCII conversion, seeds from system properties, replay hints. */
final class TestBytes {
    private TestBytes() {
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    static UnsafeBuffer buffer(byte[] b) {
        return new UnsafeBuffer(b);
    }

    /** Seeds for a property test: just {@code capybara.seed} if set, else {@code capybara.seeds} of them. */
    static long[] seeds(int defaultCount) {
        String one = System.getProperty("capybara.seed");
        if (one != null) {
            return new long[] {Long.parseLong(one)};
        }
        int n = Integer.getInteger("capybara.seeds", defaultCount);
        return seedList(n);
    }

    private static long[] seedList(int n) {
        SplittableRandom r = new SplittableRandom(0xCAB1BA7AL);
        long[] seeds = new long[n];
        for (int i = 0; i < n; i++) {
            seeds[i] = r.nextLong();
        }
        return seeds;
    }

    /** Seeds for an expensive test: {@code capybara.seeds / 125} of them (4 by default), at least 1. */
    static long[] fewSeeds() {
        if (System.getProperty("capybara.seed") != null) {
            return seeds(1);
        }
        int n = Math.max(1, Integer.getInteger("capybara.seeds", 500) / 125);
        return seedList(n);
    }

    static String replay(String testClassAndMethod, long seed) {
        return "seed " + seed + "; replay: ./capybara test -Dtest=" + testClassAndMethod + " -Dcapybara.seed=" + seed;
    }
}
