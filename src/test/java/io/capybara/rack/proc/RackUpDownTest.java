package io.capybara.rack.proc;

import io.capybara.testing.CliRun;
import io.capybara.testing.Require;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rack up|status|down} as an operator runs them (root only): {@code up} leaves a detached
 * supervisor behind, a node killed with SIGKILL brings the whole rack down (the default without
 * --keep-going), and {@code down} leaves no process, namespace or link behind.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RackUpDownTest {
    @TempDir
    Path tmp;

    private Path dir;
    /** Every PID and namespace a rack of this test had, for the clean-up after a failure. */
    private final Set<Long> pids = new LinkedHashSet<>();
    private final Set<String> namespaces = new LinkedHashSet<>();

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private CliRun rack(String sub, String... more) {
        List<String> a = new ArrayList<>(List.of("rack", sub, "--name", "updown", "--dir", dir.toString()));
        a.addAll(List.of(more));
        CliRun r = run(a.toArray(String[]::new));
        System.err.println("rack " + sub + " -> " + r.exit() + "\n" + r.out() + r.err());
        return r;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** What rack.state lists, remembered for the clean-up. */
    private record State(long supervisor, Map<String, Long> nodes, List<String> namespaces, List<String> links) {
    }

    private State state() throws IOException {
        long sup = ProcessRack.supervisorPid(dir.resolve(ProcessRack.STATE_FILE));
        Map<String, Long> nodes = new HashMap<>();
        for (String[] n : ProcessRack.stateLines(dir, "node")) {
            nodes.put(n[0], Long.parseLong(n[4]));
        }
        List<String> ns = ProcessRack.stateLines(dir, "namespace").stream().map(w -> w[0]).toList();
        List<String> links = ProcessRack.stateLines(dir, "link").stream().map(w -> w[0]).toList();
        pids.add(sup);
        pids.addAll(nodes.values());
        namespaces.addAll(ns);
        return new State(sup, nodes, ns, links);
    }

    /** rack up; asserts it printed every node alive and answering, with distinct live PIDs. */
    private State up() throws IOException {
        CliRun r = rack("up", "--servers", "2", "--migrate-every-ms", "0");
        assertEquals(0, r.exit(), "rack up: " + r.err());
        State s = state();
        assertEquals(Set.of("switch", "s0", "s1"), s.nodes().keySet(), "the switch and two servers");
        assertEquals(3, new HashSet<>(s.nodes().values()).size(), "distinct PIDs: " + s.nodes());
        assertTrue(alive(s.supervisor()), "the supervisor stays in the background");
        assertFalse(s.nodes().containsValue(s.supervisor()));
        for (String ns : s.namespaces()) {
            assertTrue(Files.exists(Path.of("/run/netns", ns)), "namespace " + ns + " exists");
        }

        CliRun st = rack("status");
        assertEquals(0, st.exit(), st.err());
        assertTrue(st.out().startsWith("rack " + dir + ": ready\n"), st.out());
        for (Map.Entry<String, Long> n : s.nodes().entrySet()) {
            assertTrue(alive(n.getValue()), n.getKey() + " pid " + n.getValue() + " alive");
            String line = st.out().lines().filter(l -> l.startsWith(n.getKey() + " ")).findFirst().orElse("");
            String[] w = line.trim().split("\\s+");
            assertEquals(9, w.length, "status line of " + n.getKey() + ": " + line);
            assertTrue(w[8].matches("127\\.0\\.0\\.1:\\d+"), "metrics address of " + n.getKey() + ": " + line);
            assertEquals(Long.toString(n.getValue()), w[3], "pid of " + n.getKey());
            assertEquals("yes", w[4], n.getKey() + " alive: " + line);
            // "?" means the control socket did not answer; "-" that the node was not asked
            assertFalse(w[5].equals("?") || w[5].equals("-"), n.getKey() + " answered its control socket: " + line);
        }
        return s;
    }

    /** Every PID of the rack gone, its namespaces and root-side links gone, no state file. */
    private void assertGone(State s) {
        for (long pid : pids(s)) {
            assertFalse(alive(pid), "pid " + pid + " gone");
        }
        for (String ns : s.namespaces()) {
            assertFalse(Files.exists(Path.of("/run/netns", ns)), "namespace " + ns + " removed");
        }
        // each link's ends live in the namespaces (and die with them); none may be left in the root one
        for (String l : s.links()) {
            assertFalse(Files.exists(Path.of("/sys/class/net", l)), "link " + l + " removed");
        }
        assertFalse(Files.exists(dir.resolve(ProcessRack.STATE_FILE)), "rack.state removed");
    }

    private static List<Long> pids(State s) {
        List<Long> all = new ArrayList<>(s.nodes().values());
        all.add(s.supervisor());
        return all;
    }

    private static boolean awaitGone(State s, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            boolean any = pids(s).stream().anyMatch(RackUpDownTest::alive)
                    || s.namespaces().stream().anyMatch(ns -> Files.exists(Path.of("/run/netns", ns)));
            if (!any) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** "no rack is up": one line on stderr, exit 2 (an IllegalArgumentException through Errors). */
    private void assertNoRack() {
        CliRun st = rack("status");
        assertEquals(2, st.exit(), "rack status with no rack: " + st.out() + st.err());
        assertEquals("", st.out());
        assertEquals(1, st.err().lines().count(), st.err());
        assertTrue(st.err().startsWith("capybara rack status: no rack in " + dir), st.err());
    }

    @Test
    void upAnswersKilledServerTakesTheRackDownThenUpAndDownLeaveNothing() throws Exception {
        Require.netAdmin();
        dir = tmp.resolve("run");

        // 1. up: every node answers
        State first = up();

        // 2. SIGKILL one server: without --keep-going the supervisor takes everything down and exits
        long victim = first.nodes().get("s1");
        ProcessHandle.of(victim).orElseThrow().destroyForcibly();
        assertTrue(awaitGone(first, 30_000), "rack down within 30 s of the kill");
        assertGone(first);
        String log = Files.readString(dir.resolve("supervisor.log"));
        assertTrue(log.contains("rack updown down: node s1 (pid " + victim + ") exited with 137"), log);
        assertNoRack();

        // 3. up again, then down
        State second = up();
        assertTrue(second.namespaces().stream().noneMatch(first.namespaces()::contains), "fresh namespaces");
        CliRun down = rack("down");
        assertEquals(0, down.exit(), down.err());
        assertEquals("supervisor " + second.supervisor() + " stopped the rack\n", down.out());
        assertGone(second);
        assertNoRack();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (dir == null) {
            return;
        }
        if (Files.exists(dir.resolve(ProcessRack.STATE_FILE))) {
            try {
                ProcessRack.down(dir);
            } catch (IOException | RuntimeException e) {
                System.err.println("clean-up: rack down: " + e);
            }
        }
        for (long pid : pids) { // only processes that still carry this test's run directory
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().arguments().map(a -> String.join(" ", a).contains(dir.toString())).orElse(false))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
        for (String ns : namespaces) {
            if (Files.exists(Path.of("/run/netns", ns))) {
                new ProcessBuilder("ip", "netns", "del", ns).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
