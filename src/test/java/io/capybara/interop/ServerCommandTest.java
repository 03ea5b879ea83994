package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.cli.Main;
import io.capybara.io.linux.NetAdmin;
import io.capybara.io.linux.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@code ./capybara server} as a user runs it: the command creates the TAP (or opens the veth
 * end), the kernel side is then moved and addressed by hand, and curl / a python client talk
 * to it from a namespace. Runs the picocli command in process with {@code --duration}.
 */
class ServerCommandTest {
    private static Thread runCommand(AtomicInteger exit, String... args) {
        Thread t = new Thread(() -> exit.set(Main.commandLine().execute(args)), "server-command");
        t.start();
        return t;
    }

    @Test
    void httpServerOnATapAnswersCurlFromANamespace() throws Exception {
        NetAdmin.assumeNetAdminAnd("curl");
        String pid = Long.toString(ProcessHandle.current().pid(), 36);
        String tap = "cj" + "0".repeat(5 - pid.length()) + pid + "tsrv"; // Topology's scheme: stale ones get removed
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            AtomicInteger exit = new AtomicInteger(-1);
            Thread t = runCommand(exit, "server", "--tap", tap, "--ip", "10.78.0.1/24", "--duration", "6", "--quiet");
            Path dev = Path.of("/sys/class/net", tap);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Files.exists(dev) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(Files.exists(dev), "the command did not create TAP " + tap);
            // what the README tells the user to do
            Topology.exec("ip", "link", "set", tap, "netns", ns);
            topo.run(ns, "ip", "addr", "add", "10.78.0.2/24", "dev", tap);
            topo.run(ns, "ip", "link", "set", tap, "up");
            String out = topo.run(ns, "curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                    "http://10.78.0.1/bytes/1000");
            assertEquals("200 1000", out.trim());
            t.join(15_000);
            assertEquals(0, exit.get(), "server command exit code");
        }
    }

    @Test
    void echoServerOnAVethThroughAfPacket() throws Exception {
        NetAdmin.assumeNetAdminAnd("python3");
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            Topology.VethLink v = topo.veth(ns, null);
            String ip = Topology.ipv4(v.addressB());
            AtomicInteger exit = new AtomicInteger(-1);
            Thread t = runCommand(exit, "server", "--packet-if", v.rootEnd(), "--ip", ip + "/24", "--app", "echo",
                    "--duration", "6", "--quiet");
            String client = String.join("\n",
                    "import socket, time",
                    "for i in range(100):",
                    "    try:",
                    "        s = socket.create_connection(('" + ip + "', 7), timeout=5); break",
                    "    except OSError: time.sleep(0.05)",
                    "data = bytes(range(256)) * 400",
                    "s.sendall(data); s.shutdown(socket.SHUT_WR)",
                    "got = b''",
                    "while True:",
                    "    d = s.recv(65536)",
                    "    if not d: break",
                    "    got += d",
                    "print('echo-ok' if got == data else 'echo-bad %d' % len(got))", "");
            String out = topo.run(ns, "python3", "-c", client);
            assertTrue(out.contains("echo-ok"), out);
            t.join(15_000);
            assertEquals(0, exit.get(), "server command exit code");
        }
    }
}
