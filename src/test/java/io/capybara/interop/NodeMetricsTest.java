package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.cli.Main;
import io.capybara.io.linux.Topology;
import io.capybara.telemetry.Scrape;
import io.capybara.testing.Require;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@code switch} and {@code server} with {@code --metrics 127.0.0.1:PORT} on real TAPs: traffic
 * from a namespace, then a scrape finds the counters with their values.
 */
class NodeMetricsTest {
    private static final String PID = pid();

    private static String pid() {
        String p = Long.toString(ProcessHandle.current().pid(), 36);
        return "0".repeat(Math.max(0, 5 - p.length())) + p;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Thread runCommand(AtomicInteger exit, String... args) {
        Thread t = new Thread(() -> exit.set(Main.commandLine().execute(args)), "node-command");
        t.start();
        return t;
    }

    private static void waitFor(String dev) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(Path.of("/sys/class/net", dev)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(Path.of("/sys/class/net", dev)), "the command did not create TAP " + dev);
    }

    @Test
    void serverServesItsCountersWithTheirValues() throws Exception {
        Require.netAdmin();
        Require.tool("curl", "curl");
        String tap = "cj" + PID + "tms";
        int port = freePort();
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            AtomicInteger exit = new AtomicInteger(-1);
            Thread t = runCommand(exit, "server", "--tap", tap, "--ip", "10.79.1.1/24", "--duration", "8", "--quiet",
                    "--metrics", "127.0.0.1:" + port);
            waitFor(tap);
            Topology.exec("ip", "link", "set", tap, "netns", ns);
            topo.run(ns, "ip", "addr", "add", "10.79.1.2/24", "dev", tap);
            topo.run(ns, "ip", "link", "set", tap, "up");
            for (int i = 0; i < 3; i++) {
                String out = topo.run(ns, "curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://10.79.1.1/bytes/100");
                assertEquals("200", out.trim());
            }
            Map<String, Double> s = Scrape.samples("http://127.0.0.1:" + port + "/metrics");
            assertEquals(3.0, s.get("capybara_http_responses_total"), s.toString());
            assertEquals(3.0, s.get("capybara_http_accepted_total"), s.toString());
            assertEquals(3.0, s.get("capybara_host_connections_accepted_total"), s.toString());
            assertTrue(s.get("capybara_host_rx_frames_total") >= 9, s.toString()); // 3 x (SYN, ACK, request, FIN...)
            assertTrue(s.get("capybara_host_tx_frames_total") >= 9, s.toString());
            assertTrue(s.get("capybara_host_arp_requests_answered_total") >= 1, s.toString());
            assertTrue(s.containsKey("capybara_host_connections"), s.toString());
            assertTrue(s.containsKey("capybara_wire_dropped_frames_total{reason=\"ipv4_bad_checksum\"}")
                    || s.keySet().stream().anyMatch(k -> k.startsWith("capybara_wire_dropped_frames_total{")), s.toString());
            t.join(20_000);
            assertEquals(0, exit.get(), "server command exit code");
        }
    }

    @Test
    void switchServesItsCountersWithTheirValues(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Require.netAdmin();
        Require.tool("curl", "curl");
        String tap0 = "cj" + PID + "tm0";
        String tap1 = "cj" + PID + "tm1";
        Path conf = dir.resolve("switch.conf");
        Files.writeString(conf, String.join("\n",
                "switch 10.79.2.254 02:00:00:00:79:fe",
                "port 0 tap:" + tap0,
                "port 1 tap:" + tap1,
                "client 10.79.2.1 02:00:00:00:79:01 0",
                "server 10.79.2.2 02:00:00:00:79:02 1", ""));
        int port = freePort();
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            String ns2 = topo.namespace();
            AtomicInteger exit = new AtomicInteger(-1);
            Thread t = runCommand(exit, "switch", "--config", conf.toString(), "--duration", "8", "--quiet",
                    "--metrics", "127.0.0.1:" + port);
            waitFor(tap0);
            waitFor(tap1);
            Topology.exec("ip", "link", "set", tap0, "netns", ns);
            Topology.exec("ip", "link", "set", tap1, "netns", ns2);
            topo.run(ns2, "ip", "link", "set", tap1, "up");
            topo.run(ns, "ip", "link", "set", tap0, "address", "02:00:00:00:79:01");
            topo.run(ns, "ip", "addr", "add", "10.79.2.1/24", "dev", tap0);
            topo.run(ns, "ip", "link", "set", tap0, "up");
            // nothing listens behind port 1: the client's ARP is answered, its SYNs forwarded
            topo.run(ns, "sh", "-c", "curl -s -m 1.5 http://10.79.2.2/ >/dev/null || true");
            Map<String, Double> s = Scrape.samples("http://127.0.0.1:" + port + "/metrics");
            assertTrue(s.get("capybara_switch_arp_total{action=\"answered\"}") >= 1, s.toString());
            assertTrue(s.get("capybara_switch_forwarded_total") >= 1, s.toString()); // the SYN (and retries)
            assertTrue(s.get("capybara_switch_rx_frames_total") >= 2, s.toString()); // the ARP request and a SYN
            assertTrue(Double.isNaN(s.get("capybara_switch_server_load{server=\"10.79.2.2\"}")), "no heartbeat: no load");
            assertEquals(0.0, s.get("capybara_switch_rewrites_total{direction=\"request\"}"), s.toString());
            assertEquals(0.0, s.get("capybara_switch_directory_entries"), s.toString());
            assertEquals(131072.0, s.get("capybara_switch_directory_capacity"), s.toString());
            assertEquals(0.0, s.get("capybara_switch_server_live{server=\"10.79.2.2\"}"), "no heartbeat: not live");
            Map<String, Double> later = Scrape.samples("http://127.0.0.1:" + port + "/metrics");
            assertTrue(later.get("capybara_switch_rx_frames_total") >= s.get("capybara_switch_rx_frames_total"));
            t.join(20_000);
            assertEquals(0, exit.get(), "switch command exit code");
        }
    }
}
