package io.capybara.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench scale and eval scale end to end at small counts (the figures themselves come from the CLI). */
class ScaleCommandsTest {
    @Test
    void benchScaleReportsEveryKeyPerCount() {
        CliRun r = CliTest.run("bench", "scale", "--connections", "200,2000", "--echoes", "500", "--migrations",
                "100", "--json");
        assertEquals(0, r.exit(), r.err());
        for (String key : new String[] {"heap_bytes_per_connection", "poll_ns_idle", "echo_rtt_us",
            "migration_overhead_us", "ratio_to_first"}) {
            assertTrue(r.out().contains("\"" + key + "\""), key + " in " + r.out());
        }
        assertTrue(r.out().contains("\"2000\":{\"connections\":2000"), r.out());
        long bytes = Long.parseLong(CliTest.field(r.out().substring(r.out().indexOf("\"2000\"")),
                "heap_bytes_per_connection"));
        assertTrue(bytes > 200 && bytes < 4096, "bytes per idle connection: " + bytes);
        assertEquals("100", CliTest.field(r.out().substring(r.out().indexOf("\"2000\"")), "migrations"));
    }

    @Test
    void evalScaleWritesCsvAndFigures(@TempDir Path out) throws Exception {
        CliRun r = CliTest.run("eval", "scale", "--connections", "144,1000", "--requests", "2000", "--out",
                out.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.size(out.resolve("scale.png")) > 1000);
        assertTrue(Files.size(out.resolve("scale_p99.png")) > 1000);
        String csv = Files.readString(out.resolve("scale.csv"));
        assertTrue(csv.startsWith("connections,in_flight,requests,throughput_rps,p50_us,p99_us"), csv);
        assertEquals(3, csv.strip().split("\n").length, csv);
        assertTrue(r.out().contains("\"1000\":{\"throughput_rps\":"), r.out());
        // progress per count, connections then requests; plain lines off a terminal
        assertTrue(r.err().contains("eval scale 1,000 connections"), r.err());
        assertTrue(r.err().lines().filter(l -> l.startsWith("eval scale 1,000 connections")).count() >= 3, r.err());
        assertTrue(!r.err().contains("\r"), "redrawn only on a terminal");
    }

    @Test
    void badCountsAreOneLineErrors() {
        CliRun r = CliTest.run("bench", "scale", "--connections", "0");
        assertEquals(2, r.exit());
    }
}
