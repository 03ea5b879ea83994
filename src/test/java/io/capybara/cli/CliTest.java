package io.capybara.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.testing.CliRun;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CliTest {
    /** Runs a command in process, as {@link Main#main} would, with stdout and stderr captured. */
    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\"[^\"]*\"|[^,}]+)").matcher(json);
        assertTrue(m.find(), key + " missing in " + json);
        return m.group(1);
    }

    @Test
    void simulateJsonIsOneObjectWithStableTraceHash() {
        CliRun a = run("simulate", "--seeds", "6", "--max-bytes", "200000", "--json");
        CliRun b = run("simulate", "--seeds", "6", "--max-bytes", "200000", "--json", "--threads", "1");
        assertEquals(0, a.exit(), a.out());
        String json = a.out().trim();
        assertTrue(json.startsWith("{") && json.endsWith("}") && json.lines().count() == 1, json);
        assertEquals("6", field(json, "seeds"));
        assertEquals("0", field(json, "failed"));
        assertTrue(Long.parseLong(field(json, "bytes_delivered")) > 0);
        assertEquals(field(json, "trace_hash"), field(b.out(), "trace_hash"), "same arguments, same trace");
        CliRun c = run("simulate", "--seeds", "6", "--first-seed", "7", "--max-bytes", "200000", "--json");
        assertNotEquals(field(json, "trace_hash"), field(c.out(), "trace_hash"), "other seeds, other trace");
    }

    @Test
    void simulateWithFixedFaultsAndSnapshots() {
        CliRun r = run("simulate", "--seeds", "4", "--loss", "0.1", "--dup", "0.05", "--reorder", "0.1", "--corrupt", "0.05",
                "--max-bytes", "300000", "--snapshots", "--json");
        assertEquals(0, r.exit(), r.out());
        assertEquals("0", field(r.out(), "failed"));
        assertTrue(Long.parseLong(field(r.out(), "snapshot_restores")) > 0);
    }

    @Test
    void badFaultProbabilityIsAClearError() {
        CliRun r = run("simulate", "--seeds", "1", "--loss", "1.5");
        assertEquals(2, r.exit());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void demoJsonHasTheStableKeysAndNoErrors() {
        CliRun r = run("demo", "--duration", "0.05", "--quiet", "--json");
        assertEquals(0, r.exit(), r.out());
        String json = r.out().trim();
        assertTrue(json.startsWith("{") && json.endsWith("}") && json.lines().count() == 1, json);
        assertEquals("0", field(json, "errors"));
        assertEquals("0", field(json, "client_resets"));
        assertTrue(Long.parseLong(field(json, "requests")) > 5_000, json);
        assertTrue(Long.parseLong(field(json, "migrations")) > 0, json);
        for (String phase : new String[] {"static", "migrating"}) {
            String p = json.substring(json.indexOf("\"" + phase + "\":{"));
            for (String key : new String[] {"p50_us", "p99_us", "p999_us", "throughput_rps"}) {
                assertTrue(Double.parseDouble(field(p, key)) > 0, phase + "." + key + " in " + json);
            }
        }
        for (String obj : new String[] {"overhead_us", "blackout_us"}) {
            String p = json.substring(json.indexOf("\"" + obj + "\":{"));
            field(p, "p50");
            field(p, "p99");
        }
    }

    @Test
    void simulateMigrationsReportsTheRackKeys() {
        CliRun r = run("simulate", "--migrations", "--seeds", "1", "--count", "300", "--json");
        assertEquals(0, r.exit(), r.out());
        for (String key : new String[] {"migrations", "migrations_completed", "migrations_aborted",
                "invariant_violations"}) {
            field(r.out(), key);
        }
        assertEquals("0", field(r.out(), "invariant_violations"));
        assertTrue(Long.parseLong(field(r.out(), "migrations_completed")) >= 250, r.out());
    }

    @Test
    void benchMigrationReportsOverheadAndBlackout() {
        CliRun r = run("bench", "migration", "--count", "200", "--connections", "8", "--json");
        assertEquals(0, r.exit(), r.out());
        assertEquals("200", field(r.out(), "migrations"));
        assertEquals("0", field(r.out(), "failed"));
        assertTrue(r.out().contains("\"overhead_us\":{") && r.out().contains("\"blackout_us\":{"), r.out());
        assertTrue(r.out().contains("\"origin_serialize\"") && r.out().contains("\"target_deserialize\""), r.out());
    }
}
