package io.capybara.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.mig.MigCounter;
import io.capybara.wire.Ipv4Address;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One log line per migration outcome, logged at drain time and bounded per drain. */
class OutcomeLogTest {
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    private List<String> lines() {
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @AfterEach
    void restore() {
        Logs.configure("info");
    }

    @Test
    void oneLinePerOutcomeAtItsLevelOnlyWhenDrained() {
        Logs.configure("info", new PrintStream(captured, true, StandardCharsets.UTF_8));
        OutcomeLog log = new OutcomeLog();
        int client = Ipv4Address.parse("10.77.251.10");
        int target = Ipv4Address.parse("10.77.250.11");
        log.outcome(client, 40001, target, MigCounter.COMPLETED, 12_345);
        log.outcome(client, 40002, target, MigCounter.ABORTED_TARGET_DEAD, 2_000_000);
        log.outcome(client, 0xFFFF, 0, MigCounter.REJECTED_NO_TARGET, 500);
        assertEquals(List.of(), lines(), "nothing is logged where the outcome is recorded");
        log.drain();
        List<String> l = lines();
        assertEquals(3, l.size(), l.toString());
        assertTrue(l.get(0).matches("\\S+Z INFO  capybara\\.migration: migration of client 10\\.77\\.251\\.10:40001"
                + " to 10\\.77\\.250\\.11: completed in 12\\.3 us"), l.get(0));
        assertTrue(l.get(1).contains("WARN  capybara.migration: migration of client 10.77.251.10:40002 to 10.77.250.11:"
                + " aborted (target dead) in 2000.0 us"), l.get(1));
        assertTrue(l.get(2).contains("WARN  capybara.migration: migration of client 10.77.251.10:65535 to no target:"
                + " rejected (no target) in 0.5 us"), l.get(2));
        log.drain();
        assertEquals(3, lines().size(), "a drain logs each outcome once");
    }

    @Test
    void aBurstIsBoundedToLinesPerDrainAndOneSummaryLine() {
        Logs.configure("info", new PrintStream(captured, true, StandardCharsets.UTF_8));
        OutcomeLog log = new OutcomeLog();
        int n = 5_000;
        for (int i = 0; i < n; i++) {
            MigCounter o = i % 10 == 0 ? MigCounter.ABORTED_PREPARE_TIMEOUT
                    : i % 10 == 1 ? MigCounter.REJECTED_TARGET_BUSY : MigCounter.COMPLETED;
            log.outcome(0x0A4DFB0A, 1000 + i, 0x0A4DFA0B, o, 1_000);
        }
        log.drain();
        List<String> l = lines();
        assertEquals(OutcomeLog.LINES_PER_DRAIN + 1, l.size(), l.toString());
        int rest = n - OutcomeLog.LINES_PER_DRAIN;
        // the first 20 are itemised: 2 aborted, 2 rejected, 16 completed; the rest summed
        assertEquals("... and " + rest + " more migration outcomes (" + (4000 - 16) + " completed, " + (500 - 2)
                + " aborted, " + (500 - 2) + " rejected)", l.getLast().replaceFirst("^.*capybara\\.migration: ", ""));
        assertTrue(l.getLast().contains(" WARN "), l.getLast());
        log.outcome(0x0A4DFB0A, 1, 0x0A4DFA0B, MigCounter.COMPLETED, 1_000);
        log.drain();
        assertEquals(OutcomeLog.LINES_PER_DRAIN + 2, lines().size(), "the next drain starts afresh, no summary");
    }

    @Test
    void quietAtWarningLevelForCompletedOnes() {
        Logs.configure("warning", new PrintStream(captured, true, StandardCharsets.UTF_8));
        OutcomeLog log = new OutcomeLog();
        log.outcome(0x0A4DFB0A, 1, 0x0A4DFA0B, MigCounter.COMPLETED, 1_000);
        log.outcome(0x0A4DFB0A, 2, 0x0A4DFA0B, MigCounter.ABORTED_STATE_REFUSED, 1_000);
        log.drain();
        List<String> l = lines();
        assertEquals(1, l.size(), l.toString());
        assertTrue(l.getFirst().contains("aborted (state refused)"), l.toString());
    }
}
