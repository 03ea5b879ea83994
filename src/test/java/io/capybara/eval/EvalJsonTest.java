package io.capybara.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.cli.Main;
import io.capybara.io.linux.Topology;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./capybara eval overhead --json}: its stable keys, with a tiny count. */
class EvalJsonTest {
    @TempDir
    Path dir;

    @Test
    void overheadJsonHasTheStableKeys() throws Exception {
        String out = runInProcess("eval", "overhead", "--count", "3", "--json", "--no-c-reference",
                "--out", dir.toString());
        Map<String, Object> json = MiniJson.object(Map.of("root", MiniJson.parse(out)), "root");
        assertEquals(3.0, json.get("count"));
        boolean bothRan = true;
        for (String system : List.of(CapybaraSystem.KEY, LinuxRepairSystem.KEY)) {
            Map<String, Object> s = MiniJson.object(json, system);
            for (String key : List.of("available", "mean_us", "p50_us", "p99_us", "steps")) {
                assertTrue(s.containsKey(key), system + " lacks " + key + ": " + s);
            }
            if (Boolean.TRUE.equals(s.get("available"))) {
                assertEquals(3.0, s.get("verified"), system + " verified every connection");
                assertTrue((Double) s.get("p50_us") > 0 && (Double) s.get("mean_us") > 0, s.toString());
                Map<String, Object> steps = MiniJson.object(s, "steps");
                assertFalse(steps.isEmpty(), system + " has no steps");
                for (String step : steps.keySet()) {
                    assertTrue(MiniJson.object(steps, step).get("p50_us") instanceof Double, step);
                }
            } else {
                bothRan = false;
                assertTrue(s.get("reason") instanceof String r && !r.isBlank(), "a skipped system says why");
                assertNull(s.get("mean_us"));
            }
        }
        assertTrue(json.containsKey("ratio_mean"));
        if (bothRan) {
            double want = (Double) MiniJson.object(json, LinuxRepairSystem.KEY).get("mean_us")
                    / (Double) MiniJson.object(json, CapybaraSystem.KEY).get("mean_us");
            assertEquals(want, (Double) json.get("ratio_mean"), want * 1e-3);
        } else {
            assertNull(json.get("ratio_mean"));
        }
        // The Linux side runs exactly when this process may use TCP_REPAIR and nft.
        boolean linuxPossible = Topology.netAdminProblem() == null && Topology.onPath("nft");
        assertEquals(linuxPossible, MiniJson.object(json, LinuxRepairSystem.KEY).get("available"));
        assertTrue(Files.exists(dir.resolve("REPORT.md")));
    }

    /**
     * As root, runs the command in a child JVM whose bounding set lacks CAP_NET_ADMIN: the Linux
     * baseline must be skipped with a message, not fail.
     */
    @Test
    void withoutNetAdminTheLinuxBaselineIsSkippedCleanly() throws Exception {
        io.capybara.testing.Require.netAdmin(); // root, to drop the capability
        io.capybara.testing.Require.tool("setpriv", "util-linux");
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin",
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmFlags());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "eval", "overhead", "--count", "2", "--json", "--no-c-reference", "--out", out.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("stderr.txt").toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child timed out");
        String stderr = Files.readString(dir.resolve("stderr.txt"));
        int code = p.exitValue();
        assertTrue(code == 0 || code == 2, "exit " + code + "\n" + stderr);
        Map<String, Object> json = MiniJson.object(Map.of("root", MiniJson.parse(stdout)), "root");
        Map<String, Object> linux = MiniJson.object(json, LinuxRepairSystem.KEY);
        assertEquals(false, linux.get("available"), stdout);
        assertTrue(String.valueOf(linux.get("reason")).contains("CAP_NET_ADMIN"), stdout);
        assertTrue(stderr.contains("skipped " + LinuxRepairSystem.KEY), stderr);
        assertFalse(stderr.contains("Exception"), stderr);
        assertTrue(Files.readString(out.resolve("REPORT.md")).contains("Not measured: " + LinuxRepairSystem.KEY));
    }

    /** The JVM flags the build writes for ./capybara (FFM, Agrona). */
    static List<String> jvmFlags() throws java.io.IOException {
        try (var in = EvalJsonTest.class.getResourceAsStream("/capybara/build.properties")) {
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return List.of(p.getProperty("flags").trim().split("\\s+"));
        }
    }

    static String runInProcess(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            code = new CommandLine(new Main()).execute(args);
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(code == 0 || code == 2, "exit " + code + ": " + out);
        return out;
    }
}
