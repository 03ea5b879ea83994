package io.capybara.app;

/**
 * Several independent arrival processes as one: the superposition of Poisson processes is a
 * Poisson process whose rate is the sum, so a load step is a base schedule plus a second one
 * that starts at the step. Ties go to the earlier part, so the merge is deterministic.
 */
public final class MergedSchedule implements ArrivalSchedule {
    private final ArrivalSchedule[] parts;
    private int next;

    public MergedSchedule(ArrivalSchedule... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("no schedules to merge");
        }
        this.parts = parts.clone();
        pick();
    }

    private void pick() {
        int best = 0;
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].nextSendTimeNanos() < parts[best].nextSendTimeNanos()) {
                best = i;
            }
        }
        next = best;
    }

    @Override
    public long nextSendTimeNanos() {
        return parts[next].nextSendTimeNanos();
    }

    @Override
    public int nextConnection() {
        return parts[next].nextConnection();
    }

    @Override
    public void advance() {
        parts[next].advance();
        pick();
    }
}
