package io.capybara.telemetry;

import io.capybara.mig.MigCounter;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.mig.MigrationStep;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * A migration engine's metrics ({@code capybara_migration_*}) and event log, for nodes that run
 * TCPMig. Every {@link MigCounter} is exported ({@code ABORTED_TARGET_DEAD} is
 * {@code capybara_migration_aborted_total{reason="target_dead"}}, {@code REJECTED_*} likewise,
 * the others {@code capybara_migration_<counter>_total}); step, overhead and blackout
 * histograms in seconds, published by {@link Metrics#publish()} from the node's thread (the
 * engine's {@link MigrationMetrics} folds samples lazily and is not safe to read elsewhere).
 */
public final class MigrationTelemetry {
    private static final System.Logger LOG = System.getLogger("capybara.migration");

    private final MigrationEngine engine;
    private final CounterDeltas<MigCounter> deltas;
    private final CounterLine line = new CounterLine();
    private final OutcomeLog outcomes = new OutcomeLog();

    /** Also adds an {@link OutcomeLog} to the engine's metrics observer (after any already set). */
    public MigrationTelemetry(MigrationEngine engine) {
        this.engine = engine;
        this.deltas = new CounterDeltas<>(MigCounter.class, engine::counter);
        MigrationMetrics.Observer before = engine.metrics().observer();
        engine.metrics().observer(before == null ? outcomes : MigrationMetrics.Observer.both(before, outcomes));
        for (MigCounter c : MigCounter.values()) {
            line.add("mig_" + Metrics.snake(c.name()), () -> engine.counter(c));
        }
    }

    static String[] name(MigCounter c) {
        for (String family : new String[] {"ABORTED_", "REJECTED_"}) {
            if (c.name().startsWith(family) && !c.name().equals("REJECTED_BUSY_SENT")) {
                return new String[] {"capybara_migration_" + family.toLowerCase().replace("_", "") + "_total",
                        Metrics.snake(c.name().substring(family.length()))};
            }
        }
        return new String[] {"capybara_migration_" + Metrics.snake(c.name()) + "_total", null};
    }

    public void register(Metrics m) {
        Map<String, Map<String, LongSupplier>> families = new LinkedHashMap<>();
        for (MigCounter c : MigCounter.values()) {
            String[] n = name(c);
            LongSupplier read = () -> engine.counter(c);
            if (n[1] == null) {
                m.counter(n[0], "Migration engine counter " + c + ".", read);
            } else {
                families.computeIfAbsent(n[0], k -> new LinkedHashMap<>()).put(n[1], read);
            }
        }
        families.forEach((name, series) -> m.counter(name, "Migrations by reason.", "reason", series));
        m.gauge("capybara_migration_outgoing_active", "Migrations this server runs as origin now.", engine::outgoing);
        m.gauge("capybara_migration_prepared_slots", "Migrations this server has prepared as target (buffers in use).",
                engine::preparedSlots);
        m.gauge("capybara_migration_forwarding_entries", "Connections this server still forwards late segments for.",
                engine::forwardingEntries);
        m.gauge("capybara_migration_load", "The load this server last reported in its heartbeat.", engine::lastLoad);
        MigrationMetrics mm = engine.metrics();
        Map<String, Supplier<Histogram>> steps = new LinkedHashMap<>();
        for (MigrationStep s : MigrationStep.values()) {
            steps.put(s.jsonName(), () -> mm.step(s));
        }
        m.histograms("capybara_migration_step_seconds", "Server CPU time of each migration step.", "step", steps);
        m.histogram("capybara_migration_overhead_seconds",
                "Server CPU time of a whole migration (origin + target, when both run in this process).", mm::overhead);
        m.histogram("capybara_migration_blackout_seconds",
                "From the target's PREPARE_MIG_ACK until it serves the connection.", mm::blackout);
    }

    /**
     * From the node's thread, once a second: one line per migration outcome on the origin
     * since the last tick (rate-bounded: {@link OutcomeLog}), one line per kind of outcome
     * (completed, restored as target, each abort reason, each rejection), and the counter line
     * of what changed (or null).
     */
    public String tick() {
        outcomes.drain();
        long completed = deltas.since(MigCounter.COMPLETED);
        long restored = deltas.since(MigCounter.RESTORED);
        if (completed + restored > 0) {
            Logs.log(LOG, Level.INFO, "migrations: %d completed as origin, %d restored as target", completed, restored);
        }
        for (MigCounter c : MigCounter.values()) {
            String n = c.name();
            if (n.startsWith("ABORTED_") || (n.startsWith("REJECTED_") && c != MigCounter.REJECTED_BUSY_SENT)
                    || c == MigCounter.ABORT_RECEIVED || c == MigCounter.ABORT_UNCONFIRMED || c == MigCounter.STATE_INVALID
                    || c == MigCounter.BUFFER_FULL_DROPS) {
                long d = deltas.since(c);
                if (d > 0) {
                    Logs.log(LOG, Level.WARNING, "migrations: %d %s", d, Metrics.snake(n).replace('_', ' '));
                }
            }
        }
        return line.next();
    }
}
