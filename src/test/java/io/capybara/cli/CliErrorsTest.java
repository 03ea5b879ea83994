package io.capybara.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.linux.LinuxCallException;
import io.capybara.io.linux.LinuxCalls;
import io.capybara.testing.CliRun;
import io.capybara.testing.Require;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The error convention of every command: one line, the right exit code, no stack trace. */
class CliErrorsTest {
    /** Asserts exit code {@code code} and one stderr line that starts with {@code prefix}. */
    static CliRun fails(int code, String prefix, String... args) {
        CliRun r = CliTest.run(args);
        assertEquals(code, r.exit(), String.join(" ", args) + "\n" + r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("at io.capybara") || r.err().contains("Exception"), r.err());
        assertTrue(r.err().startsWith(prefix), "starts with '" + prefix + "': " + r.err());
        return r;
    }

    @Test
    void missingConfigFile() {
        fails(2, "capybara switch: /nonexistent.conf: no such file", "switch", "--config", "/nonexistent.conf");
    }

    @Test
    void badConfigLineNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("rack.conf");
        Files.writeString(conf, "# a rack\nswitch 10.0.0.1 02:00:00:00:00:01\nlevels banana\n");
        fails(2, "capybara switch: " + conf + ":3: ", "switch", "--config", conf.toString());
        fails(2, "capybara switch: " + conf + ":3: ", "switch", "--check", "--config", conf.toString());
    }

    @Test
    void checkValidatesAConfigAndExits(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("rack.conf");
        Files.writeString(conf, "switch 10.0.0.1 02:00:00:00:00:01\nport 0 tap:cjx0\nserver 10.0.0.2 02:00:00:00:00:02 0\n");
        CliRun r = CliTest.run("switch", "--check", "--config", conf.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("ok"), r.out());
        Files.writeString(conf, "switch 10.0.0.1 02:00:00:00:00:01\nport 0 tap:cjx0\nport 1 eth0\n");
        fails(2, "capybara switch: port 'eth0': expected tap:NAME or packet:IFNAME", "switch", "--check", "--config",
                conf.toString());
        Files.writeString(conf, "switch 10.0.0.1 02:00:00:00:00:01\nport 0 tap:cjx0\nport 2 tap:cjx2\n");
        fails(2, "capybara switch: " + conf + ": no 'port 1 ...' line", "switch", "--check", "--config",
                conf.toString());
    }

    @Test
    void serverAddressErrors() {
        fails(2, "capybara server: --ip 10.99.0.1: expected A.B.C.D/PREFIX", "server", "--tap", "cjops0", "--ip",
                "10.99.0.1");
        fails(2, "capybara server: --ip 10.99.0.300/24: bad IPv4 address", "server", "--tap", "cjops0", "--ip",
                "10.99.0.300/24");
        fails(2, "capybara server: --app: expected http or https or echo", "server", "--tap", "cjops0", "--ip", "10.99.0.1/24",
                "--app", "gopher");
        // without a link picocli itself complains, in the same one-line form
        fails(2, "capybara server: ", "server", "--ip", "10.99.0.1");
    }

    @Test
    void serverPolicyErrors() {
        fails(2, "capybara server: --policy bogus: policy must be static, reactive or proactive, got 'bogus'", "server",
                "--tap", "cjops0", "--ip", "10.99.0.1/24", "--policy", "bogus");
        fails(2, "capybara server: --policy proactive: needs --switch (a policy moves connections)", "server", "--tap",
                "cjops0", "--ip", "10.99.0.1/24", "--policy", "proactive");
        fails(2, "capybara server: --service-us: must be in [0, 1000000], got -3", "server", "--tap", "cjops0", "--ip",
                "10.99.0.1/24", "--service-us", "-3");
        fails(2, "capybara rack run: --policy lazy: policy must be static, reactive or proactive, got 'lazy'", "rack", "run",
                "--policy", "lazy");
    }

    @Test
    void missingInterface() {
        // as root: no such interface; otherwise: the missing privilege. Both are one line, exit 2.
        CliRun r = fails(2, "capybara server: ", "server", "--packet-if", "nosuchif0", "--ip", "10.99.0.1/24",
                "--duration", "0.1");
        assertTrue(r.err().contains("nosuchif0: no such network interface") || r.err().contains("needs root"), r.err());
    }

    @Test
    void rangeErrorsNameTheOption() {
        fails(2, "capybara demo: --duration: must be > 0, got -1", "demo", "--duration", "-1");
        fails(2, "capybara demo: --rate: must be > 0, got 0", "demo", "--rate", "0");
        fails(2, "capybara switch: --duration: must be > 0, got 0", "switch", "--config", "/nonexistent.conf",
                "--duration", "0");
        fails(2, "capybara demo: Invalid value for option '--duration'", "demo", "--duration", "abc");
        fails(2, "capybara bench switch: Unknown option: '--bogus'", "bench", "switch", "--bogus");
    }

    @Test
    void optionsACommandWouldIgnoreAreRefused() {
        fails(2, "capybara eval tail: Unknown options: '--count', '5'", "eval", "tail", "--count", "5");
        fails(2, "capybara eval skew: Unknown option: '--no-c-reference'", "eval", "skew", "--no-c-reference");
        fails(2, "capybara eval overhead: Unknown options: '--seed', '3'", "eval", "overhead", "--seed", "3");
        fails(2, "capybara simulate: --count: only with --migrations", "simulate", "--count", "5");
        fails(2, "capybara simulate: --loss: not with --migrations", "simulate", "--migrations", "--loss", "0.1");
        // checked before anything needs root: these fail alike as any user
        fails(2, "capybara bench loss: --loop-nice: must be in [-20, 19], got 30", "bench", "loss", "--loop-nice", "30");
        fails(2, "capybara bench loss: Invalid value for option '--congestion': 'bbr' is not one of cubic, cubic-rfc, "
                + "new-reno (see 'capybara bench loss --help')", "bench", "loss", "--congestion", "bbr");
    }

    @Test
    void durationIsDecimalSecondsEverywhere() {
        fails(2, "capybara bench link: --duration: must be > 0, got -1", "bench", "link", "--duration", "-1");
        // the old name still parses (hidden): its value is checked the same way
        fails(2, "capybara bench link: --seconds: must be > 0, got 0", "bench", "link", "--seconds", "0");
        fails(2, "capybara lab: --duration: wrk runs whole seconds, got 2.5", "lab", "--duration", "2.5");
        fails(2, "capybara bench migration: --mtu: must be in [576, 9000], got 100", "bench", "migration", "--mtu", "100");
        List<String> notDecimal = new ArrayList<>();
        List<String> jsonNotFlag = new ArrayList<>();
        walkSpecs(Main.commandLine(), cl -> {
            var d = cl.getCommandSpec().findOption("--duration");
            if (d != null && d.type() != double.class && d.type() != Double.class) {
                notDecimal.add(cl.getCommandSpec().qualifiedName());
            }
            var j = cl.getCommandSpec().findOption("--json");
            if (j != null && j.type() != boolean.class) {
                jsonNotFlag.add(cl.getCommandSpec().qualifiedName());
            }
        });
        assertEquals(List.of(), notDecimal, "--duration is seconds as a decimal");
        assertEquals(List.of(), jsonNotFlag);
        for (String node : new String[] {"switch", "server"}) {
            var spec = Main.commandLine().getSubcommands().get(node).getCommandSpec();
            for (String o : new String[] {"--duration", "--json", "--pcap", "--quiet", "--metrics", "--help", "--verbose"}) {
                assertTrue(spec.findOption(o) != null, node + " " + o);
            }
        }
    }

    private static void walkSpecs(CommandLine cl, java.util.function.Consumer<CommandLine> f) {
        f.accept(cl);
        cl.getSubcommands().values().forEach(sub -> walkSpecs(sub, f));
    }

    @Test
    void verbosePrintsTheStackTrace() {
        CliRun r = CliTest.run("switch", "--config", "/nonexistent.conf", "--verbose");
        assertEquals(2, r.exit());
        assertTrue(r.err().lines().count() > 1 && r.err().contains("NoSuchFileException"), r.err());
    }

    @Test
    void missingPrivilegeIsSaidAsSuch() {
        Errors.Line l = Errors.describe(new LinuxCallException("ioctl(TUNSETIFF)", "cjtap0", LinuxCalls.EPERM));
        assertEquals(2, l.exitCode());
        assertTrue(l.text().startsWith("cjtap0: ") && l.text().contains("needs root or CAP_NET_ADMIN"), l.text());
        Errors.Line other = Errors.describe(new LinuxCallException("read", "cjtap0", 5));
        assertEquals(1, other.exitCode());
        Errors.Line bug = Errors.describe(new NullPointerException("x"));
        assertEquals(1, bug.exitCode());
        assertTrue(bug.unexpected());
    }

    @Test
    void labWithAnImpairmentThisKernelCannotApply() {
        Require.netAdmin();
        Require.tool("curl", "curl");
        Require.tool("tc", "iproute2");
        // the input on a kernel without sch_netem (this one); with it, a spec tc rejects
        String spec = Files.isDirectory(Path.of("/sys/module/sch_netem")) ? "nonsense 1ms" : "delay 1ms";
        fails(2, "capybara lab: --netem '" + spec + "': cannot apply it", "lab", "--client", "curl", "--curl-requests",
                "1", "--servers", "2", "--netem", spec);
    }

    /** Every command and subcommand, also ones added later, answers --help with exit 0. */
    @Test
    void everyCommandAnswersHelp() {
        List<List<String>> paths = new ArrayList<>();
        walk(Main.commandLine(), new ArrayList<>(), paths);
        assertTrue(paths.size() > 15, paths.toString());
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            CliRun r = CliTest.run(args.toArray(String[]::new));
            assertEquals(0, r.exit(), args + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: capybara"), args + ": " + r.out());
            assertEquals("", r.err(), args.toString());
        }
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help") && sub.getCommandSpec().name().equals(name)) { // skip aliases
                path.add(name);
                walk(sub, path, out);
                path.removeLast();
            }
        });
    }
}
