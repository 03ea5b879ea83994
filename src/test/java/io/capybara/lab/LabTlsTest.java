package io.capybara.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.capybara.lab.LabResults.num;
import static io.capybara.lab.LabResults.brief;

import io.capybara.io.linux.NetAdmin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * HTTPS through the migrating lab rack, as root, with unmodified TLS clients: the TLS 1.3
 * session moves with each connection (each test skips, with the reason, without CAP_NET_ADMIN
 * or the client tool). About 40 s in all.
 */
class LabTlsTest {
    private static void assertTlsClean(Map<String, Object> r, int connections) {
        assertEquals(0, num(r, "restore_failures"), () -> brief(r));
        assertEquals(0, num(r, "tls_handshake_failures"), () -> brief(r));
        assertEquals(0, num(r, "tls_bad_record_mac"), () -> brief(r));
        assertEquals(0, num(r, "tls_fatal_alerts_sent"), () -> brief(r));
        assertEquals(0, num(r, "tls_fatal_alerts_received"), () -> brief(r));
        // a client that closes its socket right after its close_notify answers ours with RST: at
        // most one per connection, at its end
        assertTrue(num(r, "server_resets") <= connections, () -> brief(r));
    }

    @Test
    void curlKeepsItsHttpsConnectionOverTwentyMigrations() throws Exception {
        NetAdmin.assumeNetAdminAnd("curl");
        int n = 24;
        Map<String, Object> r = Lab.run(LabOptions.defaults().withClient("curl").withCurl(n, 4).withTls(true, null),
                System.err);
        assertEquals((long) n, num(r, "requests"), () -> brief(r));
        assertEquals((long) n, num(r, "bodies_ok"), () -> "a body was wrong: " + brief(r));
        assertEquals(0, num(r, "errors"), () -> brief(r));
        assertEquals(1, num(r, "curl_connects"), () -> "curl opened another connection: " + brief(r));
        assertEquals(1, num(r, "tls_handshakes"), () -> "one TLS session throughout: " + brief(r));
        assertTrue(num(r, "migrations") >= 20, () -> "the connection was not migrated 20 times: " + brief(r));
        assertTrue(num(r, "tls_sessions_restored") >= 20, () -> brief(r));
        assertTlsClean(r, 1);
    }

    @Test
    void opensslSClientRequestsAndKeyUpdatesAcrossMigrations() throws Exception {
        NetAdmin.assumeNetAdminAnd("openssl");
        int n = 12;
        Map<String, Object> r = Lab.run(LabOptions.defaults().withTls(true, null).withClient("openssl").withCurl(n, 4),
                System.err);
        assertEquals((long) n, num(r, "requests"), () -> brief(r));
        assertEquals((long) n, num(r, "bodies_ok"), () -> brief(r));
        assertEquals(0, num(r, "errors"), () -> brief(r));
        assertEquals("TLSv1.3", r.get("tls_protocol"), () -> brief(r));
        assertTrue(num(r, "migrations") >= 10, () -> brief(r));
        // s_client's K: the server follows the client's new key and answers with its own
        assertEquals(num(r, "key_updates_sent_by_client"), num(r, "tls_key_updates_received"), () -> brief(r));
        assertEquals(num(r, "key_updates_sent_by_client"), num(r, "tls_key_updates_sent"), () -> brief(r));
        assertTlsClean(r, 1);
    }

    @Test
    void wrkOverHttpsWithoutErrorsAcrossHundredsOfMigrations() throws Exception {
        NetAdmin.assumeNetAdminAnd("wrk");
        Map<String, Object> r = Lab.run(LabOptions.defaults().withDuration(8).withConnections(64).withTls(true, null),
                System.err);
        assertEquals(0, num(r, "errors"), () -> "wrk saw errors: " + brief(r));
        assertEquals(0, num(r, "errors_timeout"), () -> brief(r));
        assertTrue(num(r, "requests") > 1000, () -> brief(r));
        assertEquals(num(r, "requests"), num(r, "bodies_checked"), () -> brief(r));
        assertTrue(num(r, "migrations") >= 100, () -> "too few migrations: " + brief(r));
        assertEquals(64, num(r, "tls_handshakes"), () -> brief(r));
        long served = num(r, "server_responses");
        assertTrue(served >= num(r, "requests") && served - num(r, "requests") <= 64, () -> brief(r));
        assertTlsClean(r, 64);
    }

    @Test
    void tsharkDecryptsTheCaptureWithTheKeyLog() throws Exception {
        NetAdmin.assumeNetAdminAnd("curl", "tshark");
        Path dir = Files.createTempDirectory("capybara-tls-pcap");
        Path pcap = dir.resolve("lab.pcap");
        Path keys = dir.resolve("keys.log");
        try {
            int n = 6;
            Map<String, Object> r = Lab.run(LabOptions.defaults().withClient("curl").withCurl(n, 4).withPcap(pcap)
                    .withTls(true, keys), System.err);
            assertEquals(0, num(r, "errors"), () -> brief(r));
            assertTrue(num(r, "migrations") >= 3, () -> brief(r));
            List<String> log = Files.readAllLines(keys);
            assertEquals(List.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                    "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"), log.stream().map(l -> l.split(" ")[0]).toList());
            String keyOpt = "tls.keylog_file:" + keys;
            // the handshake is TLS 1.3
            assertEquals("0x0304", tshark(pcap, keyOpt, "tls.handshake.type == 2",
                    "tls.handshake.extensions.supported_version").trim());
            // every request and response is visible as HTTP inside the TLS records
            List<String> uris = tshark(pcap, keyOpt, "http.request", "http.request.uri").lines().toList();
            List<String> want = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                want.add(Lab.curlPath(i));
            }
            assertEquals(want, uris);
            List<String> codes = tshark(pcap, keyOpt, "http.response", "http.response.code").lines().toList();
            assertEquals(java.util.Collections.nCopies(n, "200"), codes);
            // and nothing tshark calls an error (malformed packets, failed decryption)
            assertEquals("", tshark(pcap, keyOpt, "_ws.expert.severity == error || _ws.malformed", "frame.number"));
        } finally {
            Files.deleteIfExists(pcap);
            Files.deleteIfExists(keys);
            Files.deleteIfExists(dir);
        }
    }

    private static String tshark(Path pcap, String keyOpt, String filter, String field) throws Exception {
        Process p = new ProcessBuilder("tshark", "-r", pcap.toString(), "-o", keyOpt, "-Y", filter, "-T", "fields",
                "-e", field).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark hung");
        assertEquals(0, p.exitValue(), "tshark failed on " + filter);
        return out;
    }
}
