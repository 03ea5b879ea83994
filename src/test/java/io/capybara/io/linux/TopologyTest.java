package io.capybara.io.linux;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fixture builds what it says and leaves nothing behind. */
class TopologyTest {

    private static boolean namespaceListed(String ns) {
        return Topology.exec("ip", "netns", "list").lines().anyMatch(l -> l.split(" ")[0].equals(ns));
    }

    private static boolean linkListed(String namespace, String dev) {
        if (namespace != null && !namespaceListed(namespace)) {
            return false;
        }
        String out = namespace == null ? Topology.exec("ip", "-o", "link", "show")
                : Topology.exec("ip", "-n", namespace, "-o", "link", "show");
        return out.lines().anyMatch(l -> l.contains(": " + dev + ":") || l.contains(": " + dev + "@"));
    }

    @Test
    void buildsNamespacesLinksAndAddresses() {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            String a = topo.namespace();
            String b = topo.namespace();
            Topology.VethLink between = topo.veth(a, b);
            Topology.VethLink toRoot = topo.veth(null, a);
            Topology.TapLink tap = topo.tap(b);
            for (String name : List.of(a, b, between.nameA(), between.nameB(), toRoot.nameA(), tap.name())) {
                assertTrue(name.length() <= 15, name);
                assertTrue(name.matches("cj[0-9a-z]{5}[ntv][0-9a-z]+[ab]?"), name);
            }
            assertTrue(namespaceListed(a) && namespaceListed(b));
            assertTrue(linkListed(a, between.nameA()) && linkListed(b, between.nameB()));
            assertTrue(linkListed(null, toRoot.nameA()) && linkListed(a, toRoot.nameB()));
            assertTrue(linkListed(b, tap.name()));
            assertEquals(null, between.rootEnd());

            // Addresses: in the default private range, on namespace ends only.
            String addrA = topo.run(a, "ip", "-4", "-o", "addr", "show", "dev", between.nameA());
            assertTrue(addrA.contains(Topology.ipv4(between.addressA()) + "/24"), addrA);
            assertTrue(Topology.ipv4(between.addressA()).startsWith("10.77."));
            String rootAddr = Topology.exec("ip", "-4", "-o", "addr", "show", "dev", toRoot.nameA());
            assertTrue(rootAddr.isBlank(), rootAddr);
            // The kernel peers reach each other through the veth between the namespaces.
            String neigh = topo.run(a, "ip", "-o", "link", "show", "dev", between.nameA());
            assertTrue(neigh.contains("state UP") || neigh.contains(",UP"), neigh);

            // IPv6 off, offloads off.
            assertEquals("1", topo.run(b, "cat", "/proc/sys/net/ipv6/conf/" + between.nameB() + "/disable_ipv6").strip());
            String features = topo.run(a, "ethtool", "-k", between.nameA());
            assertTrue(features.contains("tcp-segmentation-offload: off"), features);
            assertTrue(features.contains("generic-segmentation-offload: off"), features);
            assertTrue(features.contains("tx-checksumming: off"), features);
            // The root end too: GRO there would merge segments before a packet socket sees them.
            String rootFeatures = Topology.exec("ethtool", "-k", toRoot.nameA());
            assertTrue(rootFeatures.contains("generic-receive-offload: off"), rootFeatures);
            assertTrue(rootFeatures.contains("tcp-segmentation-offload: off"), rootFeatures);
            assertTrue(rootFeatures.contains("rx-checksumming: off"), rootFeatures);
            assertEquals("0", Topology.exec("cat", "/proc/sys/net/ipv4/conf/" + toRoot.nameA() + "/forwarding").strip());
            String rootLink = Topology.exec("ip", "-o", "link", "show", "dev", toRoot.nameA());
            assertTrue(rootLink.contains("NOARP"), rootLink);
        }
    }

    @Test
    void closeRemovesEverything() throws Exception {
        NetAdmin.assumeNetAdmin();
        List<String> namespaces = new ArrayList<>();
        List<String> rootLinks = new ArrayList<>();
        Process sleeper;
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            namespaces.add(ns);
            Topology.VethLink link = topo.veth(null, ns);
            rootLinks.add(link.rootEnd());
            Topology.TapLink tap = topo.tap(ns);
            sleeper = topo.start(ns, "sleep", "60");
            assertTrue(sleeper.isAlive());
            assertTrue(tap.channel().fd() >= 0);
        }
        assertTrue(sleeper.waitFor(5, TimeUnit.SECONDS), "process in namespace still running");
        assertGone(namespaces, rootLinks);
    }

    @Test
    void closeRemovesEverythingAfterAnExceptionInside() {
        NetAdmin.assumeNetAdmin();
        List<String> namespaces = new ArrayList<>();
        List<String> rootLinks = new ArrayList<>();
        var thrown = assertThrows(IllegalStateException.class, () -> {
            try (Topology topo = Topology.create()) {
                String ns = topo.namespace();
                namespaces.add(ns);
                rootLinks.add(topo.veth(null, ns).rootEnd());
                namespaces.add(topo.namespace());
                throw new IllegalStateException("test failure inside the block");
            }
        });
        assertEquals("test failure inside the block", thrown.getMessage());
        assertEquals(0, thrown.getSuppressed().length, "cleanup failed: " + List.of(thrown.getSuppressed()));
        assertGone(namespaces, rootLinks);
    }

    @Test
    void shutdownHookRemovesWhatAnExitingJvmLeftOpen() throws Exception {
        NetAdmin.assumeNetAdmin();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), TopologyHookProbe.class.getName())
                .redirectErrorStream(true).start();
        String ready;
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
            ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("READY "), "child said: " + ready);
            String[] names = ready.split(" ");
            assertTrue(namespaceListed(names[1]));
            child.destroy(); // SIGTERM: the JVM runs its shutdown hooks
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child JVM did not exit");
            assertGone(List.of(names[1]), List.of(names[2]));
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void removeStaleDeletesLeftoversOfDeadJvmsOnly() throws Exception {
        NetAdmin.assumeNetAdmin();
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        String stale = "cj" + Topology.pidPart(dead.pid()) + "nzz";
        String live = "cj" + Topology.pidPart(ProcessHandle.current().pid()) + "nzz";
        Topology.exec("ip", "netns", "add", stale);
        Topology.exec("ip", "netns", "add", live);
        try {
            List<String> removed = Topology.removeStale();
            assertTrue(removed.contains(stale), removed.toString());
            assertFalse(removed.contains(live), removed.toString());
            assertFalse(namespaceListed(stale));
            assertTrue(namespaceListed(live));
        } finally {
            Topology.exec("ip", "netns", "del", live);
            if (namespaceListed(stale)) {
                Topology.exec("ip", "netns", "del", stale);
            }
        }
    }

    @Test
    void refusesForeignNamespacesAndBadRanges() {
        assertThrows(IllegalArgumentException.class, () -> Topology.create("cj", "8.8.0.0/16"));
        assertThrows(IllegalArgumentException.class, () -> Topology.create("CJ-long", "10.77.0.0/16"));
        assertThrows(IllegalArgumentException.class, () -> Topology.create("cj", "10.77.0.1/16"));
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            assertThrows(IllegalArgumentException.class, () -> topo.veth("cjnotours", null));
        }
    }

    private static void assertGone(List<String> namespaces, List<String> rootLinks) {
        for (String ns : namespaces) {
            assertFalse(namespaceListed(ns), "namespace left behind: " + ns);
        }
        for (String dev : rootLinks) {
            assertFalse(Files.exists(Path.of("/sys/class/net", dev)), "link left behind: " + dev);
            assertFalse(linkListed(null, dev), "link left behind: " + dev);
        }
    }
}
