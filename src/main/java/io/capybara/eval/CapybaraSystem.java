package io.capybara.eval;

import io.capybara.rack.JitWarmup;

/**
 * Capybara-J's migration (origin and target engines, the switch in between) as a
 * {@link MigrationSystem}, run by {@link CapybaraFleet} in an in-memory rack.
 */
public final class CapybaraSystem implements MigrationSystem {
    public static final String KEY = "capybara";
    private final int batch;
    private final int jitWarmup;
    static final long WARMUP_LIMIT_NANOS = 20_000_000_000L;

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
        if (jitWarmup > 0) {
            // until the JIT is done with it (as for the Linux side), on fleets thrown away after
            // (a fleet's client host keeps its closed connections in TIME_WAIT)
            JitWarmup.untilSettled(() -> new CapybaraFleet(batch).run(KEY, Math.min(jitWarmup, 1_000), queueBytes,
                    batch, done -> { }), WARMUP_LIMIT_NANOS);
        }
        CapybaraFleet fleet = new CapybaraFleet(batch);
        if (jitWarmup > 0) {
            fleet.run(KEY, jitWarmup, queueBytes, batch, done -> { });
        }
        return fleet.run(KEY, count, queueBytes, batch, progress::set);
    }
}
