package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.telemetry.Logs;
import io.capybara.telemetry.Metrics;
import io.capybara.telemetry.MetricsEndpoint;
import io.capybara.telemetry.MigrationTelemetry;
import io.capybara.telemetry.Scrape;
import io.capybara.telemetry.SwitchTelemetry;
import io.capybara.tor.SwitchCounter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The migration engine's and the switch's telemetry on an in-memory rack: a real migration,
 * then the scrape and the log lines say what happened.
 */
class TelemetryOnRackTest {
    @Test
    void aMigrationShowsInMetricsAndLogs() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Logs.configure("info", new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            MiniRack r = MiniRack.of(7, 2, 2_000_000);
            Metrics metrics = new Metrics();
            SwitchTelemetry sw = new SwitchTelemetry(r.sw, r.sim::now);
            sw.register(metrics);
            MigrationTelemetry origin = new MigrationTelemetry(r.engines[0]);
            origin.register(metrics); // one engine per process, as on a real node
            assertEquals(null, origin.tick());
            r.warm();
            sw.tick(r.sim.now());
            MiniRack.Client c = r.connect(0);
            r.runFor(2_000_000);
            assertTrue(r.engines[0].migrate(r.serverSide(c)) > 0);
            assertTrue(r.run(200_000_000L, r::quiet), "migration did not end");
            metrics.publish(); // on the node's thread
            String changed = origin.tick();
            sw.tick(r.sim.now());
            try (MetricsEndpoint e = MetricsEndpoint.start("127.0.0.1:0", metrics.registry())) {
                Map<String, Double> s = Scrape.samples(e.url());
                assertEquals(1.0, s.get("capybara_migration_completed_total"), s.toString());
                assertEquals((double) r.engines[0].counter(MigCounter.STATE_FRAGMENTS_SENT),
                        s.get("capybara_migration_state_fragments_sent_total"));
                assertEquals(0.0, s.get("capybara_migration_aborted_total{reason=\"target_dead\"}"));
                assertTrue(s.get("capybara_migration_step_seconds_count{step=\"origin_serialize\"}") >= 1, s.toString());
                assertEquals(1.0, s.get("capybara_switch_directory_entries"), s.toString());
                assertEquals((double) r.sw.counter(SwitchCounter.REWRITE_REQUEST),
                        s.get("capybara_switch_rewrites_total{direction=\"request\"}"));
                assertTrue(s.get("capybara_switch_rewrites_total{direction=\"request\"}") > 0, s.toString());
                assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("capybara_switch_server_live{")
                        && s.get(k) == 1.0), "servers heartbeat: live");
            }
            assertTrue(changed.contains("mig_completed +1 (1)"), changed);
            String lines = log.toString(StandardCharsets.UTF_8);
            assertTrue(lines.contains("capybara.switch: server ") && lines.contains(" joined"), lines);
            assertTrue(lines.contains("capybara.migration: migrations: 1 completed as origin"), lines);
            assertTrue(lines.matches("(?s).*INFO  capybara\\.migration: migration of client \\S+:\\d+ to \\S+: completed"
                    + " in \\d+\\.\\d us\\R.*"), lines);
            assertTrue(lines.contains("capybara.switch: migrations: 1 steered to a target"), lines);
            assertTrue(lines.lines().allMatch(l -> l.matches("\\S+Z (INFO |WARN |ERROR|DEBUG) capybara\\.\\S+: .*")), lines);
        } finally {
            Logs.configure("info");
        }
    }
}
