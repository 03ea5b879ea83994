package io.capybara.eval;

/**
 * Capybara-J's migration (origin and target engines, the switch in between) as a
 * {@link MigrationSystem}, run by {@link CapybaraFleet} in an in-memory rack.
 */
public final class CapybaraSystem implements MigrationSystem {
    public static final String KEY = "capybara";
    private final int batch;
    private final int jitWarmup;

    /**
     * @param batch     connections migrated back to back before they are checked
     * @param jitWarmup migrations (checked, not measured) before measuring, so the JIT has compiled the engine
     */
    public CapybaraSystem(int batch, int jitWarmup) {
        this.batch = batch;
        this.jitWarmup = jitWarmup;
    }

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
        return null;
    }

    @Override
    public OverheadRun run(int count, int queueBytes, Progress progress) {
        CapybaraFleet fleet = new CapybaraFleet(batch);
        if (jitWarmup > 0) {
            fleet.run(KEY, jitWarmup, queueBytes, batch, done -> { });
        }
        return fleet.run(KEY, count, queueBytes, batch, progress::set);
    }
}
