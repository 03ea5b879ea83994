package io.capybara.rack.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.linux.NetAdmin;
import io.capybara.lab.LabRack;
import io.capybara.wire.Ipv4Address;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero-downtime maintenance across processes (root only): the rack in load-balancer mode, each
 * node its own JVM, unmodified Linux clients on the VIP. Drains move every connection away, a
 * drained server is stopped and started again, and no client notices.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProcessDrainTest {
    private static final PrintStream LOG = System.err;

    @TempDir
    Path dir;

    /** A short {@code rack drill}: wrk on the VIP while both servers are drained, stopped and restarted. */
    @Test
    void drillRestartsEveryServerUnderWrkWithoutAClientNoticing() throws Exception {
        NetAdmin.assumeNetAdminAnd("wrk");
        Map<String, Object> out = RackDrill.run(TestRacks.options("d", dir).withServers(2), 20, 16, 0, LOG);
        LOG.println("drill: " + out);
        assertEquals(0L, num(out, "errors"), "wrk errors: " + out);
        assertEquals(0L, num(out, "client_resets"), "the client kernel counted resets: " + out);
        assertEquals(0L, num(out, "connections_lost"), out.toString());
        assertEquals(2L, num(out, "servers_restarted"));
        assertTrue(num(out, "restarts_under_load") >= 1, "at least the first restart ran under wrk: " + out);
        assertTrue(num(out, "requests") > 1000, out.toString());
        assertTrue(num(out, "migrations") >= 16, "every connection was drained off a server at least once: " + out);
        assertEquals(Boolean.TRUE, out.get("client_resets_sampled_under_load"));
    }

    /**
     * Byte-exact echo transfers both ways on 8 connections to the VIP: s0 is drained (its
     * connections migrate to s1), stopped and started again; then s1 is drained (every connection
     * migrates to the restarted s0). Every byte is checked, no connection is lost or stalls.
     */
    @Test
    void drainAndRestartWhileByteExactTransfersRunBothWays() throws Exception {
        NetAdmin.assumeNetAdminAnd("python3");
        ProcessRackOptions o = TestRacks.options("e", dir).withServers(2).withApp("echo").withVip(true).withMigrateEveryMs(0);
        try (ProcessRack rack = ProcessRack.up(o, LOG)) {
            Thread.sleep(600); // both servers heartbeat: members of the placement
            int seconds = 24;
            Process client = ProcessRackTest.startClient(rack, LabRack.VIP, 8, seconds, 11);
            long t0 = System.nanoTime();
            BufferedReader lines = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            String ports = lines.readLine();
            assertTrue(ports != null && ports.startsWith("ports "), "client connected to the VIP: " + ports);
            Thread.sleep(2_000);
            int onS0 = live(rack, "s0");
            int onS1 = live(rack, "s1");
            assertEquals(8, onS0 + onS1, "the switch placed all 8 connections: s0 " + onS0 + ", s1 " + onS1);

            drain(rack, "s0");
            assertEquals(0, live(rack, "s0"), "s0 drained");
            assertEquals(8, live(rack, "s1"), "every connection now on s1");
            long drainedFromS0 = RackRun.num(rack.status("s0"), "drain_migrations");
            assertTrue(drainedFromS0 >= onS0, "s0 moved its " + onS0 + " connections: " + drainedFromS0);
            rack.restart("s0");
            awaitLive(rack, LabRack.serverIp(0));
            Thread.sleep(300); // a few heartbeats: s0 is a member and a target again

            drain(rack, "s1");
            assertEquals(8, live(rack, "s0"), "every connection moved to the restarted s0");
            assertTrue(RackRun.num(rack.status("s1"), "drain_migrations") >= 8);
            assertTrue(rack.ctl("s1", "undrain").startsWith("undrained"));
            double drillEnd = (System.nanoTime() - t0) / 1e9;
            assertTrue(drillEnd < seconds - 3, "the drill ended while the transfers ran: at " + drillEnd + " s");

            assertTrue(client.waitFor(60, TimeUnit.SECONDS), "client finished");
            TestRacks.ClientReport report = TestRacks.ClientReport.read(lines, LOG);
            List<String[]> conns = report.conns();
            double elapsed = report.elapsed();
            assertEquals(8, conns.size());
            long bytes = 0;
            for (String[] c : conns) {
                assertEquals("0", c[4], "no wrong byte, connection " + c[1]);
                assertEquals("0", c[6], "connection " + c[1] + " not lost: " + c[7]);
                assertTrue(Double.parseDouble(c[5]) > elapsed - 4, "connection " + c[1] + " worked to the end: " + c[5]);
                bytes += Long.parseLong(c[3]);
            }
            assertTrue(bytes > 1_000_000, "bytes checked both ways: " + bytes);
            for (String s : new String[] {"s0", "s1"}) {
                Map<String, String> st = rack.status(s);
                LOG.println(s + ": " + st);
                assertEquals("0", st.get("echo_resets"), s + " reset no connection");
            }
            String sw = rack.ctl("switch", "status");
            LOG.println(sw);
            assertTrue(!sw.contains("vip_placed_untracked"), "every connection had its entry:\n" + sw);
        }
    }

    /** Connections a client could use on {@code server} (its status {@code load}). */
    private static int live(ProcessRack rack, String server) throws Exception {
        return (int) RackRun.num(rack.status(server), "load");
    }

    private static void drain(ProcessRack rack, String server) throws Exception {
        String r = rack.ctl(server, "drain --rate 50");
        assertTrue(r.startsWith("draining"), r);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!"true".equals(rack.status(server).get("drained"))) {
            assertTrue(System.nanoTime() < deadline, server + " did not drain: " + rack.status(server));
            Thread.sleep(20);
        }
    }

    private static void awaitLive(ProcessRack rack, int ip) throws Exception {
        String line = "server " + Ipv4Address.format(ip) + " live";
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!rack.ctl("switch", "status").contains(line)) {
            assertTrue(System.nanoTime() < deadline, "the restarted server rejoined: " + rack.ctl("switch", "status"));
            Thread.sleep(50);
        }
    }

    private static long num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        assertTrue(v instanceof Number, key + " missing: " + m);
        return ((Number) v).longValue();
    }
}
