package io.capybara.bench;

import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP over real Linux links, in one run, same client everywhere: {@code wrk -t1 -c1} (a
 * closed-loop keep-alive client: one request in flight) in a namespace, against
 * <ol>
 *   <li>the Java host with {@link HttpServerApp} behind a TAP,</li>
 *   <li>the Java host behind a veth read through AF_PACKET,</li>
 *   <li>nginx on the Linux kernel stack in a second namespace, over a veth (the kernel's own
 *       equivalent of the AF_PACKET link; a TAP has no kernel-only counterpart).</li>
 * </ol>
 * Reported per case: requests/s, round-trip latency p50/p99 (wrk's), and frames/s on the
 * client's interface (both directions, from its kernel counters).
 *
 * <p>Why nginx: it is the usual reference HTTP/1.1 server, event-driven like the Java host,
 * from Debian ({@code apt-get install -y nginx-light}); python's http.server would measure
 * python. Without nginx the kernel case falls back to a small python asyncio server and says so.
 *
 * <p>Needs root, wrk ({@code apt-get install -y wrk}); the Java host's loop busy-polls on its
 * own thread, as {@code ./capybara server} does.
 */
public final class LinkBench {
    /** One measured case. Latencies in microseconds. */
    public record Row(String link, String server, double requestsPerSecond, double framesPerSecond,
                      double p50Micros, double p99Micros, long requests) {
    }

    public record Result(double seconds, List<Row> rows, String notes) {
    }

    private static final String ROOT_BODY = "Hello from Capybara-J\n";

    private LinkBench() {
    }

    /** Runs every case for {@code seconds} each (after a 1 s warm-up run). */
    public static Result run(double seconds) throws Exception {
        String problem = Topology.netAdminProblem();
        if (problem != null) {
            throw new IllegalStateException("link bench needs root/CAP_NET_ADMIN: " + problem);
        }
        if (!Topology.onPath("wrk")) {
            throw new IllegalStateException("link bench needs wrk (apt-get install -y wrk)");
        }
        List<Row> rows = new ArrayList<>();
        StringBuilder notes = new StringBuilder();
        try (Topology topo = Topology.create()) {
            rows.add(javaOverTap(topo, seconds));
            rows.add(javaOverPacket(topo, seconds));
            rows.add(kernelOverVeth(topo, seconds, notes));
        }
        return new Result(seconds, rows, notes.toString());
    }

    // ------------------------------------------------------------------ cases

    private static Row javaOverTap(Topology topo, double seconds) throws Exception {
        String ns = topo.namespace();
        Topology.TapLink t = topo.tap(ns);
        long mac = 0x02CA_0000_0000L | (t.hostAddress() & 0xFFFF_FFFFL);
        return javaCase("tap", topo, ns, t.name(), t.channel(), mac, t.hostAddress(), seconds);
    }

    private static Row javaOverPacket(Topology topo, double seconds) throws Exception {
        String ns = topo.namespace();
        Topology.VethLink v = topo.veth(ns, null);
        PacketChannel pc = topo.own(PacketChannel.open(v.rootEnd()));
        return javaCase("af_packet", topo, ns, v.nameA(), pc, pc.ourMac(), v.addressB(), seconds);
    }

    private static Row javaCase(String link, Topology topo, String ns, String clientDev, FrameChannel channel,
                                long mac, int ip, double seconds) throws Exception {
        Host host = new Host(HostConfig.of("bench-" + link, mac, ip, 24), channel);
        host.listen(80, new HttpServerApp(host, HttpServerConfig.defaults()));
        AtomicBoolean running = new AtomicBoolean(true);
        Thread loop = new Thread(() -> {
            int idle = 0;
            while (running.get()) {
                if (host.poll(System.nanoTime()) > 0) {
                    idle = 0;
                } else if (++idle > 1000) {
                    Thread.yield(); // 2-core machines: let wrk and softirqs run
                } else {
                    Thread.onSpinWait();
                }
            }
        }, "link-bench-" + link);
        loop.start();
        try {
            return measure(link, "java", topo, ns, clientDev, Topology.ipv4(ip), seconds);
        } finally {
            running.set(false);
            loop.join();
        }
    }

    private static Row kernelOverVeth(Topology topo, double seconds, StringBuilder notes) throws Exception {
        String client = topo.namespace();
        String server = topo.namespace();
        Topology.VethLink v = topo.veth(client, server);
        String serverIp = Topology.ipv4(v.addressB());
        Path dir = Files.createTempDirectory("capybara-linkbench");
        String name;
        if (Topology.onPath("nginx")) {
            Path conf = dir.resolve("nginx.conf");
            Files.writeString(conf, String.join("\n",
                    "worker_processes 1;",
                    "pid " + dir.resolve("nginx.pid") + ";",
                    "error_log " + dir.resolve("error.log") + ";",
                    "events { worker_connections 64; }",
                    "http {",
                    "  access_log off;",
                    "  client_body_temp_path " + dir + ";",
                    "  proxy_temp_path " + dir + ";",
                    "  fastcgi_temp_path " + dir + ";",
                    "  uwsgi_temp_path " + dir + ";",
                    "  scgi_temp_path " + dir + ";",
                    "  keepalive_requests 1000000;",
                    "  server {",
                    "    listen " + serverIp + ":80;",
                    "    location / { default_type text/plain; return 200 \"" + ROOT_BODY.replace("\n", "\\n") + "\"; }",
                    "  }",
                    "}", ""));
            topo.start(server, "nginx", "-e", dir.resolve("error.log").toString(), "-c", conf.toString(),
                    "-g", "daemon off;");
            name = "nginx";
        } else {
            topo.start(server, "python3", "-c", ASYNCIO_SERVER, serverIp);
            name = "python-asyncio";
            notes.append("nginx not installed (apt-get install -y nginx-light): kernel case uses a python asyncio server. ");
        }
        awaitHttp(topo, client, serverIp);
        try {
            return measure("veth", "linux-" + name, topo, client, v.nameA(), serverIp, seconds);
        } finally {
            deleteTree(dir);
        }
    }

    /** A minimal keep-alive HTTP/1.1 server with the same response body, for machines without nginx. */
    static final String ASYNCIO_SERVER = String.join("\n",
            "import asyncio, sys",
            "BODY = b'" + ROOT_BODY.replace("\n", "\\n") + "'",
            "RESP = b'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(BODY) + BODY",
            "class P(asyncio.Protocol):",
            "    def connection_made(self, t): self.t = t; self.buf = b''",
            "    def data_received(self, d):",
            "        self.buf += d",
            "        while b'\\r\\n\\r\\n' in self.buf:",
            "            _, self.buf = self.buf.split(b'\\r\\n\\r\\n', 1); self.t.write(RESP)",
            "async def main():",
            "    s = await asyncio.get_running_loop().create_server(P, sys.argv[1], 80)",
            "    await s.serve_forever()",
            "asyncio.run(main())", "");

    // ------------------------------------------------------------------ measuring

    private static Row measure(String link, String server, Topology topo, String ns, String clientDev, String ip,
                               double seconds) throws Exception {
        awaitHttp(topo, ns, ip);
        String url = "http://" + ip + "/";
        topo.run(ns, "wrk", "-t1", "-c1", "-d1s", url); // warm-up (JIT, ARP, caches)
        long frames0 = frames(topo, ns, clientDev);
        long t0 = System.nanoTime();
        String out = topo.run(ns, "wrk", "-t1", "-c1", "-d" + Math.max(1, Math.round(seconds)) + "s", "--latency", url);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long frames = frames(topo, ns, clientDev) - frames0;
        return new Row(link, server, number(out, "Requests/sec:\\s+([0-9.]+)"), frames / elapsed,
                latencyMicros(out, "50%"), latencyMicros(out, "99%"),
                (long) number(out, "(\\d+) requests in"));
    }

    private static void awaitHttp(Topology topo, String ns, String ip) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                topo.run(ns, "curl", "-sf", "-m", "1", "-o", "/dev/null", "http://" + ip + "/");
                return;
            } catch (RuntimeException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("no HTTP server answering at " + ip, last);
    }

    private static long frames(Topology topo, String ns, String dev) {
        String rx = topo.run(ns, "cat", "/sys/class/net/" + dev + "/statistics/rx_packets").trim();
        String tx = topo.run(ns, "cat", "/sys/class/net/" + dev + "/statistics/tx_packets").trim();
        return Long.parseLong(rx) + Long.parseLong(tx);
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("unexpected wrk output (" + regex + "):\n" + text);
        }
        return Double.parseDouble(m.group(1));
    }

    /** wrk --latency prints e.g. {@code 99%  123.45us} (units us, ms, s). */
    static double latencyMicros(String wrkOut, String percentile) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(percentile) + "\\s+([0-9.]+)(us|ms|s)\\b").matcher(wrkOut);
        if (!m.find()) {
            throw new IllegalStateException("no " + percentile + " latency in wrk output:\n" + wrkOut);
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v;
            case "ms" -> v * 1e3;
            default -> v * 1e6;
        };
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A table, one row per case. */
    public static String format(Result r) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "HTTP GET / over Linux links, wrk -t1 -c1 (closed loop, keep-alive), %.0f s per case%n", r.seconds()));
        sb.append(String.format(Locale.ROOT, "%-10s %-20s %12s %12s %10s %10s%n", "link", "server", "req/s", "frames/s",
                "p50 us", "p99 us"));
        for (Row row : r.rows()) {
            sb.append(String.format(Locale.ROOT, "%-10s %-20s %12.0f %12.0f %10.1f %10.1f%n", row.link(), row.server(),
                    row.requestsPerSecond(), row.framesPerSecond(), row.p50Micros(), row.p99Micros()));
        }
        if (!r.notes().isEmpty()) {
            sb.append(r.notes()).append('\n');
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        System.out.print(format(run(seconds)));
    }
}
