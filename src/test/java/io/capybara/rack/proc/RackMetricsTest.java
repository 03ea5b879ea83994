package io.capybara.rack.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.lab.LabRack;
import io.capybara.telemetry.Scrape;
import io.capybara.testing.Require;
import io.capybara.wire.Ipv4Address;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rack's nodes serve their metrics: {@code rack} starts every node with {@code --metrics
 * 127.0.0.1:PORT} (in its namespace), records the address in rack.state, and a scrape of a
 * server node ({@code server --switch}) finds the migration engine's counters and step
 * histograms with values that agree with its control socket; its log has one line per
 * migration outcome.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RackMetricsTest {
    @TempDir
    Path dir;

    private static Map<String, Double> scrape(ProcessRack rack, String node) {
        ProcessRack.NodeInfo n = rack.node(node);
        return Scrape.parse(rack.topology().run(n.namespace(), "curl", "-sS", "-m", "5",
                "http://" + rack.metricsAddress(node) + "/metrics"));
    }

    @Test
    void serverAndSwitchNodesServeMigrationAndSwitchCounters() throws Exception {
        Require.netAdmin();
        Require.tool("curl", "curl");
        Require.tool("python3", "python3");
        ProcessRackOptions o = TestRacks.options("m", dir).withServers(2).withApp("echo").withMigrateEveryMs(20);
        try (ProcessRack rack = ProcessRack.up(o, System.err)) {
            List<String[]> recorded = ProcessRack.stateLines(o.dir(), "metrics");
            assertEquals(3, recorded.size(), "switch and 2 servers have a metrics address in rack.state");
            for (String[] m : recorded) {
                assertEquals(rack.metricsAddress(m[0]), m[2]);
                assertEquals(rack.node(m[0]).namespace(), m[1]);
            }
            Path script = Files.createTempFile("rack_client", ".py");
            try (var in = ProcessRackTest.class.getResourceAsStream("rack_client.py")) {
                Files.write(script, in.readAllBytes());
            }
            Process client = rack.topology().start(rack.clients().get(0).namespace(), "python3", script.toString(),
                    Ipv4Address.format(LabRack.serverIp(0)), "7", "4", "8", "3");
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(),
                        StandardCharsets.UTF_8));
                String ports = out.readLine();
                assertTrue(ports != null && ports.startsWith("ports "), "client connected: " + ports);
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (RackRun.num(rack.status("s0"), "completed") < 5 && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                // the node publishes its histograms once a second: polled, so a loaded machine only waits longer
                Map<String, Double> s = scrape(rack, "s0");
                while (System.nanoTime() < deadline + 10_000_000_000L
                        && (s.getOrDefault("capybara_migration_completed_total", -1.0) < 5
                        || s.getOrDefault("capybara_migration_step_seconds_count{step=\"origin_serialize\"}", -1.0) < 5)) {
                    Thread.sleep(200);
                    s = scrape(rack, "s0");
                }
                long completed = RackRun.num(rack.status("s0"), "completed");
                assertTrue(completed >= 5, "s0 migrated: " + completed);
                double scraped = s.getOrDefault("capybara_migration_completed_total", -1.0);
                assertTrue(scraped >= 5 && scraped <= completed, "scraped " + scraped + ", control says " + completed);
                assertTrue(s.get("capybara_migration_step_seconds_count{step=\"origin_serialize\"}") >= 5, s.toString());
                assertEquals(0.0, s.get("capybara_migration_aborted_total{reason=\"target_dead\"}"), s.toString());
                assertTrue(s.containsKey("capybara_migration_outgoing_active"), s.toString());
                assertTrue(s.get("capybara_host_rx_frames_total") > 0, s.toString());
                Map<String, Double> sw = scrape(rack, "switch");
                assertTrue(sw.get("capybara_switch_rewrites_total{direction=\"request\"}") > 0, sw.toString());
                String log = Files.readString(rack.node("s0").log());
                assertTrue(log.matches("(?s).*INFO  capybara\\.migration: migration of client 10\\.77\\.251\\.10:\\d+"
                        + " to 10\\.77\\.250\\.11: completed in [\\d.]+ us\\R.*"), log);
            } finally {
                client.destroyForcibly();
                Files.deleteIfExists(script);
            }
        }
    }
}
