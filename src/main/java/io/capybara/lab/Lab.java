package io.capybara.lab;

import io.capybara.app.BytesContent;
import io.capybara.io.FrameChannel;
import io.capybara.io.PcapTap;
import io.capybara.io.PcapWriter;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.Topology;
import io.capybara.tls.KeyLog;
import io.capybara.tls.TlsIdentity;
import io.capybara.tls.TlsServerContext;
import java.io.Writer;
import java.security.SecureRandom;
import java.time.Instant;
import io.capybara.wire.MacAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The lab: unmodified Linux clients (wrk, curl) in a network namespace reach a Java rack (the
 * switch and its servers, {@link LabRack}) through a TAP or an AF_PACKET port of the switch, and
 * keep their connections while the servers migrate them among themselves.
 *
 * <p>Topology: one namespace; its interface (the kernel side of a TAP, or a veth end whose
 * root-namespace peer the switch opens with AF_PACKET) has the client's address; the switch
 * owns the other address of that /24 and is the client's gateway to the servers' subnet
 * ({@code ip route add 10.77.250.0/24 via SWITCH}). Optional {@code tc netem} on the client's
 * interface impairs everything the client sends. Everything is removed on exit and on
 * interrupt ({@link Topology}; processes it started, wrk and curl, are killed first).
 *
 * <p>The rack runs on one thread, busy-polling with the real clock; the client runs as a
 * process inside the namespace. Counters are read after the rack's thread has stopped.
 */
public final class Lab {
    private final LabOptions o;
    private final PrintStream log;

    private Lab(LabOptions o, PrintStream log) {
        this.o = o;
        this.log = log;
    }

    /** Why the lab cannot run here (no CAP_NET_ADMIN, no client tool), or null. */
    public static String problem(LabOptions o) {
        String p = Topology.netAdminProblem();
        if (p != null) {
            return p;
        }
        if (!Topology.onPath(o.client())) {
            return o.client() + " not found on PATH (apt-get install " + o.client() + ")";
        }

        if (o.netem() != null && !Topology.onPath("tc")) {
            return "tc not found on PATH (apt-get install iproute2)";
        }
        return null;
    }

    /**
     * Builds the topology, runs the rack and the client, tears everything down.
     *
     * @param log progress lines (null = quiet)
     * @return the results, keys as printed by {@code ./capybara lab --json}
     */
    public static Map<String, Object> run(LabOptions options, PrintStream log) throws Exception {
        String p = problem(options);
        if (p != null) {
            throw new IllegalStateException("lab cannot run: " + p);
        }
        return new Lab(options, log == null ? new PrintStream(java.io.OutputStream.nullOutputStream()) : log).run();
    }

    private Map<String, Object> run() throws Exception {
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            String dev;
            int switchIp;
            int clientIp;
            FrameChannel port;
            if (o.packet()) {
                Topology.VethLink v = topo.veth(ns, null);
                dev = v.nameA();
                clientIp = v.addressA();
                switchIp = v.addressB();
                port = topo.own(PacketChannel.open(v.rootEnd(), LabRack.SWITCH_MAC, false));
            } else {
                Topology.TapLink t = topo.tap(ns);
                dev = t.name();
                clientIp = t.kernelAddress();
                switchIp = t.hostAddress();
                port = t.channel();
            }
            long clientMac = MacAddress.parse(topo.run(ns, "cat", "/sys/class/net/" + dev + "/address").trim());
            topo.run(ns, "ip", "route", "add", Topology.ipv4(LabRack.SERVER_SUBNET) + "/24", "via",
                    Topology.ipv4(switchIp), "dev", dev);
            String impairment = o.netem() == null || o.netem().isBlank() ? null : impair(topo, ns, dev, o.netem());
            PcapWriter pcap = null;
            if (o.pcap() != null) {
                pcap = topo.own(new PcapWriter(o.pcap()));
                long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
                port = new PcapTap(port, pcap, () -> epochOffset + System.nanoTime());
            }
            int expected = o.client().equals("wrk") ? o.connections() : 1;
            Writer keylogFile = o.keylog() == null ? null : topo.own(Files.newBufferedWriter(o.keylog()));
            TlsServerContext[] tls = o.tls() ? tlsContexts(o.servers(), keylogFile) : null;
            java.util.function.UnaryOperator<io.capybara.io.FrameChannel> serverSide = java.util.function.UnaryOperator.identity();
            PcapWriter serversPcap = null;
            if (pcap != null && o.vip()) {
                // the other side of the VIP rewrite: what the servers send and receive
                PcapWriter servers = topo.own(new PcapWriter(serverPcap(o.pcap())));
                serversPcap = servers;
                long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
                serverSide = c -> new PcapTap(c, servers, () -> epochOffset + System.nanoTime());
            }
            LabRack rack = new LabRack(port, switchIp, clientIp, clientMac, o.servers(), expected,
                    o.migrateEveryMicros() * 1000, tls == null ? null : i -> tls[i], o.vip(), serverSide);
            String target = Topology.ipv4(o.vip() ? LabRack.VIP : LabRack.serverIp(0));
            int serverPort = o.tls() ? LabRack.HTTPS_PORT : LabRack.HTTP_PORT;
            log.printf("lab: %s client %s (%s) in %s, switch %s via %s, %d servers %s.., target %s:%d%s%n",
                    o.client(), Topology.ipv4(clientIp), MacAddress.format(clientMac), ns, Topology.ipv4(switchIp),
                    o.packet() ? "AF_PACKET" : "TAP", o.servers(), Topology.ipv4(LabRack.serverIp(0)), target,
                    serverPort, (o.tls() ? ", HTTPS (TLS 1.3)" : "") + (o.netem() == null ? "" : ", netem " + o.netem()));
            RackThread loop = new RackThread(rack, log);
            Thread hook = new Thread(loop::stopAndJoin, "capybara-lab-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            loop.start();
            Map<String, Object> out = new LinkedHashMap<>();
            long wallStart = System.nanoTime();
            try {
                switch (o.client()) {
                    case "wrk" -> runWrk(topo, ns, target, out);
                    case "openssl" -> runOpenssl(topo, ns, target, out);
                    default -> runCurl(topo, ns, target, out);
                }
            } finally {
                loop.stopAndJoin();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running already
                }
            }
            if (loop.failure != null) {
                throw new IllegalStateException("rack loop failed", loop.failure);
            }
            out.put("duration_s", Math.round((System.nanoTime() - wallStart) / 1e7) / 100.0);
            out.put("port", o.packet() ? "packet" : "tap");
            out.put("netem", o.netem() == null ? "" : o.netem());
            out.put("client_tcp_retransmitted_segments", snmp(topo, ns, "/proc/net/snmp", "Tcp:", "RetransSegs"));
            out.put("client_tcp_rto_timeouts", snmp(topo, ns, "/proc/net/netstat", "TcpExt:", "TCPTimeouts"));
            out.put("client_if_tx_dropped", kernelCounter(topo, ns, dev, "tx_dropped"));
            out.put("client_if_rx_dropped", kernelCounter(topo, ns, dev, "rx_dropped"));
            if (impairment != null) {
                out.put("impairment", impairment);
                if (impairment.startsWith("nft")) {
                    out.put("client_frames_dropped", nftDropped(topo, ns));
                }
            }
            out.put("servers", o.servers());
            out.put("migrate_every_us", o.migrateEveryMicros());
            out.put("migrations", rack.completed());
            out.put("migrations_started", rack.migrationCounter(io.capybara.mig.MigCounter.STARTED));
            out.put("migrations_aborted", rack.aborted());
            out.put("migrations_rejected", rack.rejected());
            out.put("policy_decisions", rack.migrationCounter(io.capybara.mig.MigCounter.POLICY_DECISIONS));
            out.put("triggered", rack.triggered());
            out.put("server_responses", rack.responses());
            out.put("server_accepted", rack.accepted());
            out.put("server_resets", rack.serverResets());
            out.put("restore_failures", rack.restoreFailures());
            out.put("connections_per_server", rack.connectionsPerServer());
            if (serversPcap != null) {
                serversPcap.flush();
                out.put("pcap_servers", serverPcap(o.pcap()).toString());
            }
            out.put("tls", o.tls());
            if (o.tls()) {
                out.putAll(rack.tlsCounters());
            }
            if (keylogFile != null) {
                keylogFile.flush();
                out.put("keylog", o.keylog().toString());
            }
            if (pcap != null) {
                pcap.flush();
                out.put("pcap", o.pcap().toString());
            }
            out.put("counters", rack.counters());
            return out;
        }
    }

    // ------------------------------------------------------------------ impairment

    private static final java.util.regex.Pattern LOSS_ONLY =
            java.util.regex.Pattern.compile("loss\\s+(?:random\\s+)?([0-9]+(?:\\.[0-9]+)?)%");

    /**
     * Impairs what the client sends: {@code tc qdisc add dev DEV root netem SPEC}. Kernels built
     * without sch_netem (this machine's 6.18 has neither netem nor tc classifiers) get, for a
     * plain {@code loss P%}, the same loss from nftables at the same place: a netdev egress hook
     * on DEV that diverts each frame with probability P into a veth that discards it (the
     * sender's TCP counts it as sent, as with netem). Other specs need netem and fail.
     *
     * @return how the impairment was applied
     */
    /** The discarding veth (inside the client's namespace, removed with it). */
    private static final String SINK = "cjlabsink";

    static String impair(Topology topo, String ns, String dev, String spec) {
        List<String> tc = new ArrayList<>(List.of("tc", "qdisc", "add", "dev", dev, "root", "netem"));
        tc.addAll(Arrays.asList(spec.trim().split("\\s+")));
        try {
            topo.run(ns, tc.toArray(String[]::new));
            return "tc netem " + spec.trim();
        } catch (IllegalStateException e) {
            java.util.regex.Matcher m = LOSS_ONLY.matcher(spec.trim());
            if (!e.getMessage().contains("unknown") || !m.matches() || !Topology.onPath("nft")) {
                throw new IllegalArgumentException("--netem '" + spec + "': cannot apply it (this kernel may lack sch_netem;"
                        + " only 'loss P%' has an nftables fallback): " + e.getMessage(), e);
            }
            double percent = Double.parseDouble(m.group(1));
            long per10k = Math.round(percent * 100);
            // Dropping in the egress hook would return NET_XMIT_DROP: TCP would see a local
            // drop and resend at once, never counting a loss. Diverting the frame into a veth
            // whose far end discards it (wrong MAC) looks like success to the sender, as a frame
            // lost on the wire does.
            topo.run(ns, "ip", "link", "add", SINK, "type", "veth", "peer", "name", SINK + "p");
            topo.run(ns, "ip", "link", "set", SINK, "up");
            topo.run(ns, "ip", "link", "set", SINK + "p", "up");
            topo.run(ns, "nft", "add", "table", "netdev", "capybara_lab");
            topo.run(ns, "nft", "add", "chain", "netdev", "capybara_lab", "loss",
                    "{ type filter hook egress device " + dev + " priority 0; }");
            topo.run(ns, "nft", "add", "rule", "netdev", "capybara_lab", "loss", "numgen", "random", "mod", "10000",
                    "<", Long.toString(per10k), "counter", "fwd", "to", SINK);
            return String.format(java.util.Locale.ROOT,
                    "nft netdev egress: %.2f%% of frames on %s diverted to a discarding veth (kernel has no sch_netem)",
                    per10k / 100.0, dev);
        }
    }

    /** A counter of the client kernel's TCP (its namespace's /proc/net/snmp or netstat), or -1. */
    public static long snmp(Topology topo, String ns, String file, String group, String name) {
        try {
            List<String> lines = topo.run(ns, "cat", file).lines().filter(l -> l.startsWith(group)).toList();
            for (int i = 0; i + 1 < lines.size(); i += 2) {
                String[] keys = lines.get(i).trim().split("\\s+");
                String[] values = lines.get(i + 1).trim().split("\\s+");
                for (int k = 1; k < keys.length && k < values.length; k++) {
                    if (keys[k].equals(name)) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        } catch (RuntimeException e) {
            // unreadable: reported as -1
        }
        return -1;
    }

    /** A counter of the client's interface (the kernel's view: e.g. frames its TAP queue dropped). */
    private static long kernelCounter(Topology topo, String ns, String dev, String name) {
        try {
            return Long.parseLong(topo.run(ns, "cat", "/sys/class/net/" + dev + "/statistics/" + name).trim());
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Frames the nftables loss rule dropped, or -1 if unreadable. */
    private static long nftDropped(Topology topo, String ns) {
        try {
            String text = topo.run(ns, "nft", "list", "chain", "netdev", "capybara_lab", "loss");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(text);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------ wrk

    private void runWrk(Topology topo, String ns, String target, Map<String, Object> out) throws Exception {
        wrkAt(topo, ns, baseUrl(target) + "/", o.connections(), o.threads(), o.durationSeconds(), log, out);
    }

    /**
     * Runs wrk (with the body-checking script) in {@code ns} against {@code http://target:80/}
     * and puts its results under the lab's keys ({@code requests}, {@code errors}, ...).
     */
    public static void wrk(Topology topo, String ns, String target, int connections, int maxThreads,
                           int durationSeconds, PrintStream log, Map<String, Object> out) throws Exception {
        wrkAt(topo, ns, "http://" + target + ":" + LabRack.HTTP_PORT + "/", connections, maxThreads, durationSeconds,
                log, out);
    }

    /** {@link #wrk} against {@code url} (http:// or https://). */
    public static void wrkAt(Topology topo, String ns, String url, int connections, int maxThreads,
                             int durationSeconds, PrintStream log, Map<String, Object> out) throws Exception {
        Path script = Files.createTempFile("capybara-lab", ".lua");
        script.toFile().deleteOnExit(); // also when interrupted
        try {
            Files.writeString(script, WrkReport.LUA_SCRIPT);
            int threads = Math.min(maxThreads, connections);
            String[] cmd = {"wrk", "-t", Integer.toString(threads), "-c", Integer.toString(connections),
                    "-d", durationSeconds + "s", "--latency", "-s", script.toString(), url};
            log.println("lab: " + String.join(" ", cmd));
            String text = runProcess(topo, ns, cmd, durationSeconds + 30);
            WrkReport r = WrkReport.parse(text);
            out.put("client", "wrk");
            out.put("output", text.replace("\r", ""));
            out.put("connections", connections);
            out.put("threads", threads);
            out.put("requests", r.requests());
            out.put("errors", r.errors());
            out.put("errors_connect", r.connectErrors());
            out.put("errors_read", r.readErrors());
            out.put("errors_write", r.writeErrors());
            out.put("errors_timeout", r.timeouts());
            out.put("non_2xx", r.statusErrors());
            out.put("bad_bodies", r.badBodies());
            out.put("bodies_checked", r.checkedBodies());
            out.put("requests_per_s", r.durationMicros() == 0 ? 0 : Math.round(r.requests() * 1e6 / r.durationMicros()));
            out.put("latency_p50_us", r.p50Micros());
            out.put("latency_p99_us", r.p99Micros());
            out.put("latency_max_us", r.maxMicros());
        } finally {
            Files.deleteIfExists(script);
        }
    }

    // ------------------------------------------------------------------ curl

    /**
     * curl fetches alternately {@code /bytes/N} and {@code /} on one keep-alive connection, spaced
     * by {@code --rate} so that the trigger migrates the connection between (and during) them;
     * each body goes to its own file and is checked here byte by byte.
     */
    private void runCurl(Topology topo, String ns, String target, Map<String, Object> out) throws Exception {
        curlAt(topo, ns, baseUrl(target), o.curlRequests(), o.curlRatePerSecond(), log, out);
    }

    /**
     * curl: {@code n} requests on one keep-alive connection at {@code ratePerSecond}, every body
     * checked; results under the lab's keys.
     */
    public static void curl(Topology topo, String ns, String target, int n, int ratePerSecond, PrintStream log,
                            Map<String, Object> out) throws Exception {
        curlAt(topo, ns, "http://" + target + ":" + LabRack.HTTP_PORT, n, ratePerSecond, log, out);
    }

    /** {@link #curl} against {@code base} ({@code http://A:P} or {@code https://A:P}; HTTPS with --insecure). */
    public static void curlAt(Topology topo, String ns, String base, int n, int ratePerSecond, PrintStream log,
                              Map<String, Object> out) throws Exception {
        Path dir = Files.createTempDirectory("capybara-lab-curl");
        try {
            List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--rate", ratePerSecond + "/s",
                    "--insecure", // the lab's self-signed certificate (HTTPS); no effect on HTTP
                    "-w", "CAPYBARA-CURL %{http_code} %{local_port} %{num_connects} %{size_download}\\n"));
            for (int i = 0; i < n; i++) {
                cmd.add("-o");
                cmd.add(dir.resolve("body" + i).toString());
                cmd.add(base + curlPath(i));
            }
            log.println("lab: curl, " + n + " requests on one connection at " + ratePerSecond + "/s");
            String text = runProcess(topo, ns, cmd.toArray(String[]::new), 30 + n / ratePerSecond);
            List<String> lines = text.lines().filter(l -> l.startsWith("CAPYBARA-CURL ")).toList();
            long ok = 0;
            long badBodies = 0;
            long non2xx = 0;
            long connects = 0;
            java.util.Set<String> ports = new java.util.TreeSet<>();
            for (int i = 0; i < lines.size(); i++) {
                String[] w = lines.get(i).split(" ");
                if (!w[1].equals("200")) {
                    non2xx++;
                }
                ports.add(w[2]);
                connects += Long.parseLong(w[3]);
                Path body = dir.resolve("body" + i);
                byte[] got = Files.exists(body) ? Files.readAllBytes(body) : new byte[0];
                if (bodyMatches(i, got)) {
                    ok++;
                } else {
                    badBodies++;
                }
            }
            out.put("client", "curl");
            out.put("output", text);
            out.put("connections", 1);
            out.put("requests", (long) lines.size());
            out.put("requests_sent", (long) n);
            out.put("errors", (n - lines.size()) + non2xx + badBodies);
            out.put("non_2xx", non2xx);
            out.put("bad_bodies", badBodies);
            out.put("bodies_ok", ok);
            out.put("curl_connects", connects);
            out.put("curl_local_ports", String.join(",", ports));
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private String baseUrl(String target) {
        return o.tls() ? "https://" + target + ":" + LabRack.HTTPS_PORT : "http://" + target + ":" + LabRack.HTTP_PORT;
    }

    /**
     * One context per server (each is its own host), sharing a self-signed ECDSA P-256
     * certificate made now and the key log.
     */
    static final int WARMUP_HANDSHAKES = 40;

    static TlsServerContext[] tlsContexts(int servers, Writer keylog) {
        SecureRandom random = new SecureRandom();
        TlsIdentity id = TlsIdentity.selfSigned("capybara.lab", Instant.now(), random);
        KeyLog log = keylog == null ? KeyLog.NONE : KeyLog.to(keylog);
        TlsServerContext[] c = new TlsServerContext[servers];
        for (int i = 0; i < servers; i++) {
            c[i] = new TlsServerContext(id, java.util.EnumSet.allOf(io.capybara.tls.TlsSuite.class), random, log);
        }
        // handshakes on a cold JVM take up to seconds, and the rack has one thread: warm up first
        // (the key log sees none of these: each context logs only when a session uses it... so
        // warm up on a context without a key log, which shares the same code)
        io.capybara.tls.LoopbackClient.warmUp(new TlsServerContext(id, java.util.EnumSet.allOf(
                io.capybara.tls.TlsSuite.class), random, KeyLog.NONE), WARMUP_HANDSHAKES);
        return c;
    }

    // ------------------------------------------------------------------ openssl s_client

    /**
     * {@code openssl s_client} sends the curl schedule's requests by hand on its one connection,
     * spaced by {@code --curl-rate}, with a KeyUpdate ({@code K}: update requested) before every
     * third; the last request asks to close. Every response is read back from its output and
     * its body checked.
     */
    private void runOpenssl(Topology topo, String ns, String target, Map<String, Object> out) throws Exception {
        int n = o.curlRequests();
        String[] cmd = {"openssl", "s_client", "-connect", target + ":" + LabRack.HTTPS_PORT, "-tls1_3",
            "-servername", "capybara.lab"};
        log.println("lab: " + String.join(" ", cmd) + ", " + n + " requests at " + o.curlRatePerSecond() + "/s");
        Process proc = topo.start(ns, cmd);
        var stdout = new java.io.ByteArrayOutputStream();
        var stderr = new java.io.ByteArrayOutputStream();
        Thread r1 = Thread.ofVirtual().start(() -> copy(proc.getInputStream(), stdout));
        Thread r2 = Thread.ofVirtual().start(() -> copy(proc.getErrorStream(), stderr));
        long keyUpdates = 0;
        try (var in = proc.getOutputStream()) {
            long gap = 1_000 / o.curlRatePerSecond();
            // s_client reads a command letter only at the start of what it reads from stdin at
            // once: each line goes alone, after the answer to the one before
            awaitOutput(proc, stdout, stderr, "Verify return code", 0);
            for (int i = 0; i < n; i++) {
                if (i % 3 == 2) {
                    in.write("K\n".getBytes(StandardCharsets.US_ASCII)); // s_client: KeyUpdate, update_requested
                    in.flush();
                    keyUpdates++;
                    awaitOutput(proc, stdout, stderr, "KEYUPDATE", keyUpdates - 1);
                    Thread.sleep(gap / 4);
                }
                String req = "GET " + curlPath(i) + " HTTP/1.1\r\nHost: capybara.lab\r\n"
                        + (i == n - 1 ? "Connection: close\r\n" : "") + "\r\n";
                in.write(req.getBytes(StandardCharsets.US_ASCII));
                in.flush();
                awaitResponses(proc, stdout, i + 1);
                Thread.sleep(gap);
            }
            if (!proc.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("openssl s_client did not finish in 30 s after its last request");
            }
        } finally {
            if (proc.isAlive()) {
                proc.destroyForcibly();
            }
        }
        r1.join(5_000);
        r2.join(5_000);
        byte[] text = stdout.toByteArray();
        String s = new String(text, StandardCharsets.ISO_8859_1);
        List<byte[]> bodies = new ArrayList<>();
        long non2xx = responses(text, bodies);
        long ok = 0;
        for (int i = 0; i < bodies.size(); i++) {
            if (bodyMatches(i, bodies.get(i))) {
                ok++;
            }
        }
        String err = stderr.toString(StandardCharsets.UTF_8);
        out.put("client", "openssl");
        out.put("output", err.lines().filter(l -> !l.startsWith("depth=") && !l.startsWith("verify"))
                .collect(java.util.stream.Collectors.joining("\n")));
        out.put("connections", 1);
        out.put("requests", (long) bodies.size());
        out.put("requests_sent", (long) n);
        out.put("key_updates_sent_by_client", keyUpdates);
        out.put("errors", (n - bodies.size()) + non2xx + (bodies.size() - ok));
        out.put("non_2xx", non2xx);
        out.put("bad_bodies", bodies.size() - ok);
        out.put("bodies_ok", ok);
        out.put("tls_protocol", s.contains("TLSv1.3") ? "TLSv1.3" : "unknown");
    }

    /** Splits s_client's output into response bodies (whole ones only); returns how many were not 200. */
    static long responses(byte[] text, List<byte[]> bodies) {
        String s = new String(text, StandardCharsets.ISO_8859_1);
        long non2xx = 0;
        for (int at = s.indexOf("HTTP/1.1 "); at >= 0; at = s.indexOf("HTTP/1.1 ", at + 1)) {
            int headEnd = s.indexOf("\r\n\r\n", at);
            if (headEnd < 0) {
                break;
            }
            String head = s.substring(at, headEnd);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            int len = m.find() ? Integer.parseInt(m.group(1)) : 0;
            int from = headEnd + 4;
            if (from + len > s.length()) {
                break;
            }
            if (!head.startsWith("HTTP/1.1 200 ")) {
                non2xx++;
            }
            bodies.add(java.util.Arrays.copyOfRange(text, from, from + len));
            at = from + len - 1;
        }
        return non2xx;
    }

    private static void awaitResponses(Process p, java.io.ByteArrayOutputStream out, int n) throws InterruptedException {
        for (long deadline = System.nanoTime() + 20_000_000_000L; System.nanoTime() < deadline && p.isAlive(); ) {
            byte[] text = out.toByteArray();
            List<byte[]> complete = new ArrayList<>();
            responses(text, complete);
            if (complete.size() >= n) {
                return;
            }
            Thread.sleep(5);
        }
    }

    /** Waits until {@code marker} appears more than {@code seen} times in the output (or 20 s). */
    private static void awaitOutput(Process p, java.io.ByteArrayOutputStream out, java.io.ByteArrayOutputStream err,
                                    String marker, long seen) throws InterruptedException {
        for (long deadline = System.nanoTime() + 20_000_000_000L; System.nanoTime() < deadline && p.isAlive(); ) {
            String s = out.toString(StandardCharsets.ISO_8859_1) + err.toString(StandardCharsets.ISO_8859_1);
            int count = 0;
            for (int at = s.indexOf(marker); at >= 0; at = s.indexOf(marker, at + 1)) {
                count++;
            }
            if (count > seen) {
                return;
            }
            Thread.sleep(5);
        }
    }

    /** Request i: even ones a 100 000-byte body (spans many segments), odd ones {@code /}. */
    static String curlPath(int i) {
        return i % 2 == 0 ? "/bytes/" + CURL_BODY_BYTES : "/";
    }

    static final int CURL_BODY_BYTES = 100_000;

    static boolean bodyMatches(int i, byte[] got) {
        if (i % 2 == 1) {
            return Arrays.equals(got, WrkReport.ROOT_BODY.getBytes(StandardCharsets.US_ASCII));
        }
        if (got.length != CURL_BODY_BYTES) {
            return false;
        }
        for (int k = 0; k < got.length; k++) {
            if (got[k] != BytesContent.byteAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Runs a client inside the namespace (killed by the topology on interrupt); returns its output. */
    private static String runProcess(Topology topo, String ns, String[] cmd, long timeoutSeconds) throws Exception {
        Process proc = topo.start(ns, cmd);
        proc.getOutputStream().close();
        // read both streams while it runs, so a chatty process never blocks on a full pipe
        var stdout = new java.io.ByteArrayOutputStream();
        var stderr = new java.io.ByteArrayOutputStream();
        Thread r1 = Thread.ofVirtual().start(() -> copy(proc.getInputStream(), stdout));
        Thread r2 = Thread.ofVirtual().start(() -> copy(proc.getErrorStream(), stderr));
        try {
            if (!proc.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                throw new IllegalStateException(cmd[0] + " did not finish in " + timeoutSeconds + " s");
            }
        } finally {
            if (proc.isAlive()) {
                proc.destroyForcibly(); // interrupted: do not leave the client running
            }
        }
        r1.join(5_000);
        r2.join(5_000);
        String text = stdout.toString(StandardCharsets.UTF_8);
        String err = stderr.toString(StandardCharsets.UTF_8);
        if (proc.exitValue() != 0) {
            throw new IllegalStateException(cmd[0] + " exited " + proc.exitValue() + ": " + text + err);
        }
        return err.isBlank() ? text : text + err;
    }

    private static void copy(java.io.InputStream in, java.io.ByteArrayOutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process was killed
        }
    }

    /** The one thread that drives the whole rack. */
    private static final class RackThread extends Thread {
        private final LabRack rack;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 50_000);
        volatile Throwable failure;

        private final PrintStream log;

        RackThread(LabRack rack, PrintStream log) {
            super("capybara-lab-rack");
            this.rack = rack;
            this.log = log;
        }

        @Override
        public void run() {
            try {
                long start = System.nanoTime();
                long nextLine = start + 1_000_000_000L;
                while (running.get()) {
                    long now = System.nanoTime();
                    idle.idle(rack.poll(now));
                    if (now - nextLine >= 0) {
                        nextLine += 1_000_000_000L;
                        log.println(rack.progress((now - start) / 1_000_000_000L));
                    }
                }
            } catch (Throwable t) {
                if (running.get()) {
                    failure = t;
                    log.println("lab: the rack loop failed (the client will time out): " + t);
                }
            }
        }

        void stopAndJoin() {
            running.set(false);
            try {
                join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Where {@code lab --vip --pcap FILE} records the servers' side: FILE.servers.pcap. */
    static java.nio.file.Path serverPcap(java.nio.file.Path clientPcap) {
        return clientPcap.resolveSibling(clientPcap.getFileName() + ".servers.pcap");
    }
}
