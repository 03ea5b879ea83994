package io.capybara.eval;

/**
 * Capybara-J's migration (origin and target engines, the switch in between) as a
 * {@link MigrationSystem}, run by the mig package's benchmark.
 */
public final class CapybaraSystem implements MigrationSystem {
    public static final String KEY = "capybara";

    @Override
    public String key() {
        return KEY;
    }

    @Override
    public String label() {
        return "Capybara-J";
    }

    @Override
    public String unavailableReason() {
        return "the Capybara-J migration benchmark (io.capybara.mig.MigrationBenchmark) is not in this build yet";
    }

    @Override
    public OverheadRun run(int count, int queueBytes, Progress progress) {
        throw new UnsupportedOperationException(unavailableReason());
    }
}
