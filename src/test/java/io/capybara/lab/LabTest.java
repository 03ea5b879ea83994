package io.capybara.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.capybara.lab.LabResults.num;
import static io.capybara.lab.LabResults.brief;

import io.capybara.io.linux.NetAdmin;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The lab end to end, as root: unmodified Linux clients in a namespace keep their keep-alive
 * connections while the Java rack migrates them (each test skips, with the reason, without
 * CAP_NET_ADMIN or without the client tool). About 30 s in all.
 */
class LabTest {
    /**
     * Runs the lab, and once more if {@code suspect} holds for the result: a client RTO or
     * retransmission can come from a TAP reader descheduled past the kernel's 200 ms RTO on a
     * loaded 2-core host, which seldom happens twice in a row; a rack that loses segments (2-8
     * client RTOs in every 8 s run before the fix) fails both runs. The second run is checked.
     */
    private static Map<String, Object> rerunOnceIf(LabOptions o, java.util.function.Predicate<Map<String, Object>> suspect)
            throws Exception {
        Map<String, Object> r = Lab.run(o, System.err);
        if (suspect.test(r)) {
            System.err.println("LabTest: running once more after " + brief(r));
            r = Lab.run(o, System.err);
        }
        return r;
    }

    /** Every request wrk completed had its response, and no request is missing beyond those in flight at the end. */
    private static void assertAllAnswered(Map<String, Object> r, int connections) {
        long requests = num(r, "requests");
        long served = num(r, "server_responses");
        assertTrue(requests > 1000, "wrk made too few requests: " + brief(r));
        assertTrue(served >= requests && served - requests <= connections,
                "servers answered " + served + " requests, wrk completed " + requests + ": " + brief(r));
    }

    @Test
    void wrkKeepAliveConnectionsSurviveMigrationsThroughATap() throws Exception {
        NetAdmin.assumeNetAdminAnd("wrk");
        LabOptions o = LabOptions.defaults().withDuration(8).withConnections(128);
        Map<String, Object> r = rerunOnceIf(o, m -> num(m, "client_tcp_rto_timeouts") > 1);
        assertEquals(0, num(r, "errors"), () -> "wrk saw errors: " + brief(r));
        assertEquals(0, num(r, "errors_timeout"), () -> brief(r));
        assertTrue(num(r, "migrations") >= 100, () -> "too few migrations: " + brief(r));
        assertEquals(num(r, "requests"), num(r, "bodies_checked"), () -> brief(r));
        assertEquals(0, num(r, "restore_failures"), () -> brief(r));
        // On a lossless link no client segment may be lost inside the rack (segments a stray
        // target buffered used to be dropped before MigrationEngine handed them back: 2-8
        // client RTOs per 8 s run). The rack's own drop counters must stay at zero; the
        // client's RTO count may not be exactly zero on a 2-core machine shared with wrk and
        // other jobs (a TAP reader descheduled past the kernel's 200 ms RTO), so it is bounded,
        // well below what the old loss caused.
        @SuppressWarnings("unchecked")
        Map<String, Object> counters = (Map<String, Object>) r.get("counters");
        for (String drop : new String[] {"buffer_full_drops", "quiet_time_drops", "forward_ttl_expired"}) {
            assertEquals(0L, ((Number) counters.getOrDefault(drop, 0L)).longValue(), () -> drop + ": " + brief(r));
        }
        assertTrue(num(r, "client_tcp_rto_timeouts") <= 1, () -> "the client had to retransmit: " + brief(r));
        assertAllAnswered(r, 128);
    }

    @Test
    void wrkSurvivesMigrationsOverAfPacketWithOnePercentLoss() throws Exception {
        NetAdmin.assumeNetAdminAnd("wrk");
        LabOptions o = LabOptions.defaults().withDuration(8).withConnections(100).withPacket(true)
                .withNetem("loss 1%");
        // wrk counts a request over its 2 s timeout as an error: with 1% loss, RTO backoff on a
        // loaded host can reach that once in a while; only timeouts, and only once, earn a rerun
        Map<String, Object> r = rerunOnceIf(o, m -> num(m, "errors") > 0 && num(m, "errors") == num(m, "errors_timeout"));
        assertEquals(0, num(r, "errors"), () -> "wrk saw errors: " + brief(r));
        assertTrue(num(r, "migrations") >= 100, () -> "too few migrations: " + brief(r));
        if (r.containsKey("client_frames_dropped")) {
            assertTrue(num(r, "client_frames_dropped") > 0, () -> "the loss rule dropped nothing: " + brief(r));
            // the loss is a wire loss to the client's TCP: it retransmits what it sent
            assertTrue(num(r, "client_tcp_retransmitted_segments") > 0, () -> brief(r));
        }
        assertAllAnswered(r, 100);
    }

    @Test
    void curlKeepsItsConnectionAcrossMigrations() throws Exception {
        NetAdmin.assumeNetAdminAnd("curl");
        int n = 10;
        LabOptions o = LabOptions.defaults().withClient("curl").withCurl(n, 5);
        Map<String, Object> r = rerunOnceIf(o, m -> num(m, "client_tcp_retransmitted_segments") > 0);
        assertEquals((long) n, num(r, "requests"), () -> brief(r));
        assertEquals((long) n, num(r, "bodies_ok"), () -> "a body was wrong: " + brief(r));
        assertEquals(0, num(r, "errors"), () -> brief(r));
        assertEquals(1, num(r, "curl_connects"), () -> "curl opened another connection: " + brief(r));
        assertTrue(!((String) r.get("curl_local_ports")).contains(","), () -> "local port changed: " + brief(r));
        assertTrue(num(r, "migrations") >= 5, () -> "the connection was not migrated often: " + brief(r));
        assertEquals(1, num(r, "server_accepted"), () -> brief(r));
        assertEquals(0, num(r, "server_resets"), () -> brief(r));
        assertEquals(0, num(r, "client_tcp_retransmitted_segments"), () -> brief(r));
    }
}
