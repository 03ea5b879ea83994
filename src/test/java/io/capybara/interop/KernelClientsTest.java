package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.app.EchoServerApp;
import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.Host;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Linux kernel clients in a namespace against the Java stack on the root side of a TAP or of a
 * veth read through AF_PACKET: curl keep-alive against {@link HttpServerApp}, a python socket
 * client against {@link EchoServerApp}; the kernel's view of the connection ({@code ss -tin}),
 * and tshark's view of a capture of the run (no malformed frames, no bad checksums, no RST).
 */
class KernelClientsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(JavaOnLink.Kind.class)
    void curlReusesOneConnectionForSeveralRequests(JavaOnLink.Kind kind) throws Exception {
        JavaOnLink.runCaptured(kind, TcpConfig.defaults(), tmp.resolve("curl-" + kind + ".pcap"), "curl", (topo, j) -> {
            Host host = j.host;
            HttpServerApp app = j.listen(80, h -> new HttpServerApp(h, HttpServerConfig.defaults()));
            String base = "http://" + j.hostAddress();
            // one curl, four URLs: curl keeps the connection alive between them
            String out = topo.run(j.namespace, "curl", "-sS", "-m", "10",
                    "-w", "|%{http_code} %{size_download} %{num_connects}\\n",
                    base + "/bytes/100", "-o", "/dev/null",
                    base + "/", "-o", tmp.resolve("root-" + kind).toString(),
                    base + "/bytes/100000", "-o", "/dev/null",
                    base + "/nothing-here", "-o", "/dev/null");
            List<String[]> results = parse(out);
            assertEquals(4, results.size(), out);
            assertEquals(List.of("200", "100", "1"), List.of(results.get(0)), out);
            assertEquals(List.of("200", "22", "0"), List.of(results.get(1)), out);
            assertEquals(List.of("200", "100000", "0"), List.of(results.get(2)), out);
            assertEquals("404", results.get(3)[0], out);
            assertEquals("0", results.get(3)[2], out);
            assertEquals("Hello from Capybara-J\n", Files.readString(tmp.resolve("root-" + kind)));
            // curl has exited: the connection closes cleanly, client first
            assertTrue(j.loop.await(() -> app.closed() == 1 && host.connectionCount() == 0, 3000),
                    () -> j.loop.call(() -> app + " " + host.stats()));
            String stats = j.loop.call(() -> app + " " + host.stats());
            assertEquals(1, j.loop.call(app::accepted), stats);
            assertEquals(4, j.loop.call(app::responses), stats);
            assertEquals(0, j.loop.call(app::resets), stats);
            assertEquals(0, j.loop.call(() -> host.stats().tcpRstSent()), stats);
        });
    }

    @ParameterizedTest
    @EnumSource(JavaOnLink.Kind.class)
    void pythonEchoClientAndTheKernelsViewOfTheConnection(JavaOnLink.Kind kind) throws Exception {
        JavaOnLink.runCaptured(kind, TcpConfig.defaults(), tmp.resolve("echo-" + kind + ".pcap"), "python3", (topo, j) -> {
            Host host = j.host;
            EchoServerApp app = j.listen(7, EchoServerApp::new);
            // echo 2 MB, then hold the connection open until told (a file appears) so that
            // ss can look at it, then close
            Path go = tmp.resolve("go-" + kind);
            String client = String.join("\n",
                    "import socket, os, time, hashlib",
                    "s = socket.create_connection(('" + j.hostAddress() + "', 7), timeout=10)",
                    "ti = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)",
                    "print('tcpi_options=%d' % ti[5], flush=True)",
                    "data = bytes((i * 131 + (i >> 8)) & 255 for i in range(2_000_000))",
                    "got = bytearray()",
                    "off = 0",
                    "s.setblocking(True)",
                    "import threading",
                    "t = threading.Thread(target=lambda: s.sendall(data)); t.start()",
                    "while len(got) < len(data):",
                    "    d = s.recv(1 << 20)",
                    "    if not d: break",
                    "    got += d",
                    "t.join()",
                    "print('echo-ok' if bytes(got) == data else 'echo-mismatch %d' % len(got), flush=True)",
                    "deadline = time.time() + 10",
                    "while not os.path.exists('" + go + "') and time.time() < deadline: time.sleep(0.01)",
                    "s.shutdown(socket.SHUT_WR)",
                    "print('eof' if s.recv(10) == b'' else 'unexpected-data', flush=True)",
                    "s.close()");
            Process p = topo.start(j.namespace, "python3", "-c", client);
            // while it is open, the kernel's view: negotiated options
            String ss = "";
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                ss = topo.run(j.namespace, "ss", "-tin", "dst", j.hostAddress());
                if (ss.contains("wscale")) {
                    break;
                }
                Thread.sleep(20);
            }
            TcpConnection conn = j.loop.call(() -> host.connectionCount() == 1
                    ? firstConnection(host, j) : null);
            assertTrue(conn != null, "no connection in the Java host");
            Files.createFile(go);
            assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "python client hangs");
            String out = new String(p.getInputStream().readAllBytes()) + new String(p.getErrorStream().readAllBytes());
            assertKernelView(ss, out, conn, j);
            assertTrue(out.contains("echo-ok") && out.contains("eof"), out);
            assertTrue(j.loop.await(() -> app.closed() == 1, 3000), () -> j.loop.call(app::toString));
            String stats = j.loop.call(() -> app + " " + host.stats());
            assertEquals(2_000_000, j.loop.call(app::bytesEchoed), stats);
            assertEquals(0, j.loop.call(app::resets), stats);
            assertEquals(0, j.loop.call(() -> host.stats().tcpRstSent()), stats);
        });
    }

    private static TcpConnection firstConnection(Host host, JavaOnLink j) {
        for (int port = 1024; port < 65536; port++) {
            TcpConnection c = host.connection(j.kernelIp, port, 7);
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    /**
     * {@code ss -tin} on the kernel side shows what was negotiated with the Java stack: both
     * window scales (the kernel's send scale is the one the Java side offered) and an MSS of
     * 1460 less the 12 option bytes timestamps take. Timestamps and SACK-permitted (off by
     * default in the Java stack, which sends no SACK blocks): from ss's
     * {@code ts}/{@code sack} words when it prints them, and always from the client's own
     * TCP_INFO (iproute2 6.1's ss on a 6.18 kernel omits the words even between two kernel
     * sockets, so they cannot be required of ss).
     */
    static void assertKernelView(String ss, String clientOut, TcpConnection conn, JavaOnLink j) throws Exception {
        Matcher w = Pattern.compile("wscale:(\\d+),(\\d+)").matcher(ss);
        assertTrue(w.find(), "no wscale in ss output:\n" + ss);
        int kernelSendShift = Integer.parseInt(w.group(1));
        int kernelRecvShift = Integer.parseInt(w.group(2));
        int javaRecvShift = j.loop.call(conn::receiveWindowShift);
        int javaSendShift = j.loop.call(conn::sendWindowShift);
        assertEquals(javaRecvShift, kernelSendShift, "kernel's send scale = Java's receive scale\n" + ss);
        assertEquals(kernelRecvShift, javaSendShift, "Java's send scale = kernel's receive scale\n" + ss);
        assertTrue(kernelSendShift >= 1 && kernelSendShift <= 14, ss);
        Matcher o = Pattern.compile("tcpi_options=(\\d+)").matcher(clientOut);
        assertTrue(o.find(), "client printed no TCP_INFO: " + clientOut);
        int options = Integer.parseInt(o.group(1));
        // TCP_INFO options: 1 timestamps | 2 SACK | 4 window scaling
        assertEquals(5, options & 5, "kernel negotiated no timestamps or window scaling; ss:\n" + ss);
        boolean sack = j.loop.call(conn::sackPermitted);
        assertEquals(sack, (options & 2) != 0, "SACK negotiated on one side only; ss:\n" + ss);
        assertTrue(j.loop.call(conn::timestamps), "Java side did not negotiate timestamps");
        Matcher m = Pattern.compile("\\bmss:(\\d+)").matcher(ss);
        assertTrue(m.find(), "no mss in ss output:\n" + ss);
        assertEquals(1448, Integer.parseInt(m.group(1)), "MSS 1460 less 12 bytes of timestamps\n" + ss);
        assertTrue(ss.contains("ESTAB"), ss);
    }

    /** tshark reads the capture: TCP present, nothing malformed, no bad checksum, no RST. */
    static void assertCleanCapture(Path pcap, String javaHostIp) {
        long tcp = Captures.tcpFrameCount(pcap);
        assertTrue(tcp > 10, "capture has only " + tcp + " TCP frames: " + pcap);
        String problems = Captures.problems(pcap, javaHostIp);
        assertTrue(problems.isBlank(), "tshark flags frames:\n" + problems + "\n" + Captures.expert(pcap));
        String resets = Captures.resets(pcap);
        assertTrue(resets.isBlank(), "RST segments in the capture:\n" + resets);
    }

    private static List<String[]> parse(String curlOut) {
        List<String[]> r = new ArrayList<>();
        Matcher m = Pattern.compile("\\|(\\d+) (\\d+) (\\d+)").matcher(curlOut);
        while (m.find()) {
            r.add(new String[] {m.group(1), m.group(2), m.group(3)});
        }
        return r;
    }
}
