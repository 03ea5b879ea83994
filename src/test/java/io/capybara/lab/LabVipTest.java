package io.capybara.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.capybara.lab.LabResults.num;

import io.capybara.io.linux.NetAdmin;
import io.capybara.io.linux.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Load-balancer mode against unmodified Linux clients (root): they connect to the VIP, the Java
 * switch places each connection and rewrites both ways. tshark, with IPv4 and TCP checksum
 * verification on, reads both sides of the rewrite: the client's (VIP) and the servers' (their
 * own addresses).
 */
class LabVipTest {
    /** tshark lines matching a display filter (checksums verified), without its root warning. */
    static long count(Path pcap, String filter) {
        return Topology.exec("tshark", "-n", "-r", pcap.toString(), "-o", "tcp.check_checksum:TRUE", "-o",
                "ip.check_checksum:TRUE", "-Y", filter).lines()
                .filter(l -> !l.isBlank() && !l.startsWith("Running as user")).count();
    }

    static final String BAD = "_ws.malformed || ip.checksum.status == 0 || _ws.expert.severity >= 8388608"
            + " || (tcp.checksum.status == 0 && !tcp.checksum.ffff)";

    @Test
    void curlThroughTheVipRewrittenBothWaysWithValidChecksums() throws Exception {
        NetAdmin.assumeNetAdminAnd("curl", "tshark");
        Path dir = Files.createTempDirectory("cj-lab-vip");
        Path pcap = dir.resolve("client.pcap");
        try {
            int n = 10;
            LabOptions o = LabOptions.defaults().withClient("curl").withCurl(n, 5).withVip(true).withPcap(pcap);
            Map<String, Object> r = Lab.run(o, System.err);
            assertEquals((long) n, num(r, "bodies_ok"), r::toString);
            assertEquals(0, num(r, "errors"), r::toString);
            assertEquals(1, num(r, "curl_connects"), r::toString);
            Path servers = Lab.serverPcap(pcap);
            String vip = Topology.ipv4(LabRack.VIP);
            // the client sees only the VIP
            assertTrue(count(pcap, "tcp") > 2 * n, "client capture too small");
            assertEquals(0, count(pcap, BAD), () -> Topology.exec("tshark", "-n", "-r", pcap.toString(), "-Y", BAD));
            assertEquals(0, count(pcap, "tcp && !(ip.addr == " + vip + ")"), "a server address reached the client");
            // the servers see their own addresses, never the VIP, and the switch's checksums verify
            assertTrue(count(servers, "tcp") > 2 * n, "server capture too small");
            assertEquals(0, count(servers, BAD), () -> Topology.exec("tshark", "-n", "-r", servers.toString(), "-Y", BAD));
            assertEquals(0, count(servers, "tcp && ip.addr == " + vip), "the VIP reached a server");
            // requests rewritten VIP -> server, responses server -> VIP: both directions present
            assertTrue(count(pcap, "ip.dst == " + vip + " && tcp.len > 0") >= n, "requests to the VIP");
            assertTrue(count(pcap, "ip.src == " + vip + " && tcp.len > 0") >= n, "responses from the VIP");
        } finally {
            try (var s = Files.list(dir)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void wrkThroughTheVipWhileConnectionsMigrate() throws Exception {
        NetAdmin.assumeNetAdminAnd("wrk");
        Map<String, Object> r = Lab.run(LabOptions.defaults().withDuration(6).withConnections(64).withVip(true), System.err);
        assertEquals(0, num(r, "errors"), r::toString);
        assertTrue(num(r, "requests") > 1000, r::toString);
        assertTrue(num(r, "migrations") >= 50, r::toString);
        @SuppressWarnings("unchecked")
        Map<String, Object> counters = (Map<String, Object>) r.get("counters");
        assertTrue(((Number) counters.getOrDefault("switch_vip_placed", 0L)).longValue() >= 64,
                "every wrk connection placed through the VIP: " + counters);
    }
}
