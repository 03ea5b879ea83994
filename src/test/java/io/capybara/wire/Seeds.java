package io.capybara.wire;

import java.util.stream.LongStream;

/**
 * Seeds for property-style tests: {@code -Dcapybara.seed=N} runs just that seed, otherwise
 * {@code capybara.seeds} (default 500) seeds starting at 1.
 */
public final class Seeds {
    private Seeds() {
    }

    public static LongStream seeds() {
        String one = System.getProperty("capybara.seed");
        if (one != null && !one.isBlank()) {
            return LongStream.of(Long.parseLong(one.trim()));
        }
        return LongStream.rangeClosed(1, Long.getLong("capybara.seeds", 500));
    }

    /** The message tail that tells how to rerun one failing seed. */
    public static String replay(Class<?> testClass, String method, long seed) {
        return " [seed=" + seed + "] replay: ./capybara test -Dtest=" + testClass.getSimpleName() + "#" + method
                + " -Dcapybara.seed=" + seed;
    }
}
