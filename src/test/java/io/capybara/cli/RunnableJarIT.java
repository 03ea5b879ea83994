package io.capybara.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.linux.Topology;
import io.capybara.testing.Require;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as a user runs it: {@code java -jar target/capybara-j-VERSION-all.jar} with
 * this JDK (25) and no JVM flags, so the manifest must carry them. Runs after {@code package}
 * (failsafe).
 */
class RunnableJarIT {
    private static Path jar;
    private static String java;

    record Result(int exit, String out, String err) {
    }

    @BeforeAll
    static void findJar() {
        jar = Path.of(System.getProperty("capybara.jar", "target/capybara-j-all.jar"));
        assertTrue(Files.isRegularFile(jar), "no runnable jar at " + jar + " (mvn package makes it)");
        java = ProcessHandle.current().info().command().orElse("java");
    }

    static Result run(List<String> prefix, Path theJar, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(java, "-jar", theJar.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("CAPYBARA_DEBUG");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static Result run(String... args) throws Exception {
        return run(List.of(), jar, args);
    }

    static void oneLineError(Result r, int exit, String prefix) {
        assertEquals(exit, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(r.err().contains("at io.capybara") || r.err().contains("WARNING"), r.err());
        assertTrue(r.err().startsWith(prefix), r.err());
    }

    @Test
    void helpAndVersionWithoutAnyJvmFlag() throws Exception {
        Result help = run("--help");
        assertEquals(0, help.exit(), help.err());
        assertTrue(help.out().startsWith("Usage: capybara"), help.out());
        assertEquals("", help.err(), "no JVM warnings (native access, exports) either");
        Result bench = run("bench", "switch", "--help");
        assertEquals(0, bench.exit(), bench.err());
        Result v = run("-V");
        assertEquals(0, v.exit());
        assertTrue(v.out().startsWith("Capybara-J " + System.getProperty("capybara.version", "")), v.out());
        assertFalse(v.out().contains("${"), "version filtered from the pom: " + v.out());
    }

    @Test
    void theJarRunsRealWork() throws Exception {
        // Agrona (jdk.internal.misc), the simulator, JSON: a short simulation end to end
        Result r = run("simulate", "--seeds", "2", "--max-bytes", "20000", "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().strip().startsWith("{\"seeds\":2,"), r.out());
    }

    @Test
    void errorsAreOneLineFromTheJarToo() throws Exception {
        oneLineError(run("switch", "--config", "/nonexistent.conf"), 2, "capybara switch: /nonexistent.conf: no such file");
        oneLineError(run("server", "--tap", "cjjar0", "--ip", "10.99.0.300/24"), 2, "capybara server: --ip 10.99.0.300/24");
        oneLineError(run("demo", "--duration", "-1"), 2, "capybara demo: --duration: must be > 0, got -1");
        Result verbose = run("switch", "--config", "/nonexistent.conf", "--verbose");
        assertEquals(2, verbose.exit());
        assertTrue(verbose.err().contains("at io.capybara"), "--verbose prints the trace: " + verbose.err());
    }

    /** Not root: the switch and the server say that they need root or CAP_NET_ADMIN, in one line. */
    @Test
    void withoutPrivilegeTheNodesSaySo(@TempDir Path dir) throws Exception {
        Require.netAdmin(); // we drop the privilege ourselves, so we need it to start with
        Require.tool("setpriv", "util-linux");
        // a copy that user nobody may read
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path copy = Files.copy(jar, dir.resolve("capybara.jar"));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        Path conf = dir.resolve("switch.conf");
        Files.writeString(conf, "switch 10.99.0.254 02:00:00:00:99:fe\nport 0 tap:cjjar1\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all");
        // root without CAP_NET_ADMIN (as in a container without it)
        List<String> noCap = List.of("setpriv", "--inh-caps=-net_admin,-net_raw", "--bounding-set=-net_admin,-net_raw");
        for (List<String> who : List.of(nobody, noCap)) {
            Result s = run(who, copy, "server", "--tap", "cjjar2", "--ip", "10.99.0.1/24", "--duration", "1");
            oneLineError(s, 2, "capybara server: ");
            assertTrue(s.err().contains("needs root or CAP_NET_ADMIN"), who + ": " + s.err());
            Result w = run(who, copy, "switch", "--config", conf.toString(), "--duration", "1");
            oneLineError(w, 2, "capybara switch: ");
            assertTrue(w.err().contains("needs root or CAP_NET_ADMIN"), who + ": " + w.err());
        }
        assertFalse(Files.exists(Path.of("/sys/class/net/cjjar1")) || Files.exists(Path.of("/sys/class/net/cjjar2")));
        assertTrue(Topology.netAdminProblem() == null);
    }
}
