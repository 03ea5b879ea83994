package io.capybara.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class MetricsTest {
    static Map<String, Double> scrape(String url) throws Exception {
        return Scrape.samples(url);
    }

    @Test
    void countersGaugesAndHistogramsAreReadAtScrapeTime() throws Exception {
        AtomicLong rx = new AtomicLong(5);
        Map<String, LongSupplier> drops = new LinkedHashMap<>();
        drops.put("malformed", () -> 3);
        drops.put("unknown_destination", () -> 0);
        Histogram h = new Histogram(60_000_000_000L, 3);
        h.recordValue(1_500); // 1.5 us
        h.recordValue(40_000); // 40 us
        h.recordValue(3_000_000_000L); // 3 s
        Map<String, Supplier<Histogram>> steps = Map.of("origin_serialize", () -> h);
        Metrics metrics = new Metrics()
                .counter("capybara_test_rx_frames_total", "Frames.", rx::get)
                .counter("capybara_test_dropped_frames_total", "Drops.", "reason", drops)
                .gauge("capybara_test_directory_entries", "Entries.", () -> 7)
                .histograms("capybara_test_step_seconds", "Steps.", "step", steps);
        try (MetricsEndpoint e = MetricsEndpoint.start("127.0.0.1:0", metrics.registry())) {
            assertTrue(e.port() > 0);
            Map<String, Double> s = scrape(e.url());
            assertEquals(5.0, s.get("capybara_test_rx_frames_total"), s.toString());
            assertEquals(3.0, s.get("capybara_test_dropped_frames_total{reason=\"malformed\"}"));
            assertEquals(0.0, s.get("capybara_test_dropped_frames_total{reason=\"unknown_destination\"}"));
            assertEquals(7.0, s.get("capybara_test_directory_entries"));
            // not yet published: an empty histogram
            assertEquals(0.0, s.get("capybara_test_step_seconds_count{step=\"origin_serialize\"}"));
            rx.set(9);
            metrics.publish();
            s = scrape(e.url());
            assertEquals(9.0, s.get("capybara_test_rx_frames_total"), "read at scrape time");
            assertEquals(3.0, s.get("capybara_test_step_seconds_count{step=\"origin_serialize\"}"), s.toString());
            // cumulative buckets: 1.5 us is above 1 us and within 2 us; 40 us within 50 us; 3 s within 5 s
            assertEquals(0.0, s.get("capybara_test_step_seconds_bucket{step=\"origin_serialize\",le=\"1.0E-6\"}"), s.toString());
            assertEquals(1.0, s.get("capybara_test_step_seconds_bucket{step=\"origin_serialize\",le=\"2.0E-6\"}"));
            assertEquals(2.0, s.get("capybara_test_step_seconds_bucket{step=\"origin_serialize\",le=\"5.0E-5\"}"));
            assertEquals(2.0, s.get("capybara_test_step_seconds_bucket{step=\"origin_serialize\",le=\"2.0\"}"));
            assertEquals(3.0, s.get("capybara_test_step_seconds_bucket{step=\"origin_serialize\",le=\"+Inf\"}"));
            assertEquals(3.0000415, s.get("capybara_test_step_seconds_sum{step=\"origin_serialize\"}"), 0.01);
            h.recordValue(100); // the node's histogram moves on; the scrape sees it after the next publish
            assertEquals(3.0, scrape(e.url()).get("capybara_test_step_seconds_count{step=\"origin_serialize\"}"));
        }
    }

    @Test
    void badAddressesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> MetricsEndpoint.parse("9100"));
        assertThrows(IllegalArgumentException.class, () -> MetricsEndpoint.parse("127.0.0.1:x"));
        assertThrows(IllegalArgumentException.class, () -> MetricsEndpoint.parse("127.0.0.1:70000"));
        assertEquals(9100, MetricsEndpoint.parse("[::1]:9100").getPort());
        assertThrows(IllegalArgumentException.class,
                () -> new Metrics().counter("capybara_no_suffix", "x", () -> 1), "counters end in _total");
    }

    @Test
    void counterLinePrintsOnlyWhatChanged() {
        AtomicLong a = new AtomicLong();
        AtomicLong b = new AtomicLong();
        CounterLine line = new CounterLine().add("rx", a::get).add("tx", b::get);
        assertEquals(null, line.next());
        a.set(5);
        assertEquals("rx +5 (5)", line.next());
        assertEquals(null, line.next());
        a.set(6);
        b.set(2);
        assertEquals("rx +1 (6)  tx +2 (2)", line.next());
    }

    @Test
    void logLinesAreOneLineWithLevel() {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        Logs.configure("warning", new java.io.PrintStream(buf, true));
        try {
            System.Logger log = System.getLogger("capybara.test");
            Logs.log(log, System.Logger.Level.INFO, "hidden %d", 1);
            Logs.log(log, System.Logger.Level.WARNING, "server %s went stale", "10.0.0.2");
            String out = buf.toString();
            assertEquals(1, out.lines().count(), out);
            assertTrue(out.matches("\\d{4}-\\d\\d-\\d\\dT[^ ]+Z WARN  capybara.test: server 10.0.0.2 went stale\\R"), out);
        } finally {
            Logs.configure("info");
        }
    }
}
