package io.capybara.cli;

import io.capybara.app.EchoServerApp;
import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.PcapTap;
import io.capybara.io.PcapWriter;
import io.capybara.io.linux.FdFrameChannel;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.TapChannel;
import io.capybara.tls.KeyLog;
import io.capybara.tls.TlsIdentity;
import io.capybara.tls.TlsServerContext;
import io.capybara.tls.TlsSuite;
import io.capybara.lab.LabRack;
import io.capybara.mig.MigrationConfig;
import io.capybara.rack.proc.NodeProcess;
import io.capybara.rack.proc.ServerNode;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.telemetry.HostTelemetry;
import io.capybara.telemetry.Metrics;
import io.capybara.telemetry.MetricsEndpoint;
import io.capybara.telemetry.MigrationTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./capybara server}: one Java host with the HTTP or echo app on a TAP device or an
 * AF_PACKET interface, driven by the real clock until interrupted.
 *
 * <p>ARP and MACs: the Java host is a separate station on the link with its own MAC; it answers
 * ARP for its address and resolves its peers by ARP, like any host. On a TAP the default MAC is
 * a locally administered one derived from the IP (it must differ from the kernel side's MAC).
 * On an AF_PACKET interface the default is the interface's own MAC, so a real NIC needs no
 * promiscuous mode; give that interface no IPv4 address and {@code ip link set IF arp off} so
 * the root kernel neither answers ARP nor RSTs for the Java host.
 *
 * <p>With {@code --switch} it is a rack server ({@link ServerNode}): a migration engine speaks
 * TCPMig through that switch, sends heartbeats with its load, runs the load policy and an
 * optional manual trigger, and answers on a control socket ({@code ctl}). Idle, it blocks in
 * epoll after a short spin ({@link NodeProcess}).
 */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run a Java host with the HTTP, HTTPS (TLS 1.3) or echo server on a TAP device or an AF_PACKET "
                + "interface (needs root).",
                "With --switch it is a rack server: TCPMig migration engine, heartbeats, load policy, control socket."})
public final class ServerCommand implements Callable<Integer> {
    static final class Link {
        @Option(names = "--tap", description = "Create TAP device NAME (the kernel side is yours to move and address).")
        String tap;
        @Option(names = "--packet-if", description = "Use existing interface IF through an AF_PACKET socket.")
        String packetIf;
    }

    @Spec
    CommandSpec spec;
    @Option(names = "--config", description = "Read options from FILE: one 'option value' a line (option names"
            + " without '--', e.g. 'packet-if veth0', 'switch 10.77.250.254'), '#' starts a comment; the command"
            + " line wins over the file.")
    Path config;
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Link link;
    @Option(names = "--ip", description = "Address of the Java host, A.B.C.D/PREFIX.")
    String ip;
    @Option(names = "--app", defaultValue = "http", description = "http, https (TLS 1.3) or echo (default: ${DEFAULT-VALUE}).")
    String app;
    @Option(names = "--port", description = "Listening port (default: 80 for http, 443 for https, 7 for echo).")
    Integer port;
    @Option(names = "--mac", description = "MAC of the Java host (default: TAP 02:ca:<ip>, AF_PACKET the interface's).")
    String mac;
    @Option(names = "--gateway", description = "Next hop for off-link addresses (default: none).")
    String gateway;
    @Option(names = "--cert", description = "https: certificate chain, PEM (default: a self-signed ECDSA P-256 one made at start).")
    Path cert;
    @Option(names = "--key", description = "https: the certificate's private key, unencrypted PEM (PKCS#8, EC or RSA).")
    Path key;
    @Option(names = "--keylog", description = "https: append the NSS key log (SSLKEYLOGFILE format) here for tshark/Wireshark.")
    Path keylog;
    @Option(names = "--suites", split = ",", description = "https: TLS 1.3 cipher suites offered, in order of preference: "
            + "aes128, aes256, chacha20 (default: all three).")
    java.util.List<String> suites;
    @Mixin
    NodeOptions node;
    @Option(names = "--switch", description = "The rack switch's address: run as a rack server with TCPMig.")
    String switchIp;
    @Mixin
    RackNodeOptions rackNode;
    @Option(names = "--heartbeat-ms", defaultValue = "100",
            description = "HEARTBEAT period to the switch (default: ${DEFAULT-VALUE}).")
    double heartbeatMillis;
    @Option(names = "--migrate-every-ms", defaultValue = "0",
            description = "Manual trigger: migrate one connection every this many ms (0 = off, default).")
    double migrateEveryMillis;
    @Option(names = "--policy-interval-ms", defaultValue = "0",
            description = "Load policy period (0 = policy off, default; with --policy: reactive 1 ms, proactive 1 ms"
                    + " looks). Load = live connections (see --policy).")
    double policyIntervalMillis;
    @Option(names = "--policy", paramLabel = "KIND",
            description = "static, reactive or proactive (default: reactive with --policy-interval-ms, else static)."
                    + " reactive sheds the busiest connection while the load is above --policy-high (load: live"
                    + " connections, or with --service-us the request bytes waiting); proactive rebalances towards the"
                    + " least loaded other server, whose load the switch reports in answer to each heartbeat.")
    String policyKind;
    @Option(names = "--service-us", defaultValue = "0",
            description = "HTTP only: each response costs this many microseconds of a virtual CPU, so the server's"
                    + " capacity is fixed (requests wait in their connections meanwhile); 0 = off (default).")
    long serviceMicros;
    @Option(names = "--policy-high", defaultValue = "64", description = "Shed connections above this load (default: ${DEFAULT-VALUE}).")
    long policyHigh;
    @Option(names = "--policy-low", defaultValue = "48", description = "Stop shedding below this load (default: ${DEFAULT-VALUE}).")
    long policyLow;
    @Option(names = "--state-bytes", defaultValue = "0",
            description = "Extra application state carried per migrated connection (default: ${DEFAULT-VALUE}).")
    int stateBytes;
    @Option(names = "--crash-at", description = "Test hook: SIGKILL this process at origin-ack or target-state.")
    String crashAt;
    @Option(names = "--jit-warmup", description = "Before opening the link, run migrations on an in-memory rack until"
            + " the JIT settles (for benchmarks: the first live migrations then run compiled code).")
    boolean jitWarmup;
    @Option(names = "--header-timeout-ms", defaultValue = "20000", description = "Time a request head may take "
            + "to arrive before 408 and close (slowloris); 0 = none (default ${DEFAULT-VALUE}).")
    long headerTimeoutMs;
    @Option(names = "--max-connections", defaultValue = "0", description = "Connections served at once; beyond, "
            + "new ones are reset and counted (refused_at_limit); 0 = no limit (default ${DEFAULT-VALUE}).")
    int maxConnections;
    @Option(names = "--backlog", defaultValue = "256", description = "Half-open connections kept; beyond, SYN "
            + "cookies answer (default ${DEFAULT-VALUE}).")
    int backlog;

    /** The application's counters by snake_case name, read at scrape time and at exit. */
    static Map<String, LongSupplier> appCounters(ConnectionHandler handler) {
        Map<String, LongSupplier> m = new LinkedHashMap<>();
        if (handler instanceof HttpServerApp h) {
            m.put("accepted", h::accepted);
            m.put("closed", h::closed);
            m.put("resets", h::resets);
            m.put("responses", h::responses);
            m.put("bytes_received", h::bytesReceived);
            m.put("bytes_sent", h::bytesSent);
            m.put("header_timeouts", h::headerTimeouts);
            m.put("refused_at_limit", h::refusedAtLimit);
        } else if (handler instanceof EchoServerApp e) {
            m.put("accepted", e::accepted);
            m.put("closed", e::closed);
            m.put("resets", e::resets);
            m.put("bytes_echoed", e::bytesEchoed);
        }
        return m;
    }

    /** The default TAP-side MAC: locally administered unicast 02:ca + the IPv4 address. */
    static long defaultMac(int ip) {
        return 0x02CA_0000_0000L | (ip & 0xFFFF_FFFFL);
    }

    /** Parses an option's value; a malformed one is a usage error that names the option. */
    static <T> T option(String name, String value, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw CliException.usage(name + " " + value, e.getMessage(), e);
        }
    }

    /** The HTTPS server's identity (given or self-signed now), suites and key log. */
    private TlsServerContext tlsContext() throws java.io.IOException {
        java.security.SecureRandom random = new java.security.SecureRandom();
        TlsIdentity id;
        if (cert != null) {
            id = option("--cert/--key", cert + " " + key, () -> {
                try {
                    return TlsIdentity.fromPem(cert, key);
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            });
        } else {
            id = TlsIdentity.selfSigned("capybara.local", java.time.Instant.now(), random);
        }
        java.util.Set<TlsSuite> set = java.util.EnumSet.allOf(TlsSuite.class);
        if (suites != null) {
            set = java.util.EnumSet.noneOf(TlsSuite.class);
            for (String s : suites) {
                set.add(option("--suites", s, () -> TlsSuite.byName(s)));
            }
        }
        KeyLog log = KeyLog.NONE;
        if (keylog != null) {
            java.io.Writer w = java.nio.file.Files.newBufferedWriter(keylog, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            log = KeyLog.to(w); // flushed per line; closed with the process
        }
        // the first handshakes of a cold JVM take long and the loop is one thread: warm up now
        io.capybara.tls.LoopbackClient.warmUp(new TlsServerContext(id, set, random, KeyLog.NONE), 20);
        return new TlsServerContext(id, set, random, log);
    }

    /** 'key value...' lines of a config file as command-line words ('--key', 'value', ...). */
    static List<String> configArgs(Path file) throws java.io.IOException {
        List<String> args = new ArrayList<>();
        for (String raw : Files.readAllLines(file)) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\\s+");
            if (words[0].equals("config")) {
                throw new IllegalArgumentException(file + ": 'config' inside a config file");
            }
            args.add("--" + words[0]);
            for (int i = 1; i < words.length; i++) {
                args.add(words[i]);
            }
        }
        return args;
    }

    @Override
    public Integer call() throws Exception {
        if (config != null) {
            // File first, then the command line (later wins); parsed again into a fresh command.
            List<String> args = configArgs(config);
            List<String> original = spec.commandLine().getParseResult().originalArgs();
            for (int i = 0; i < original.size(); i++) {
                String a = original.get(i);
                if (a.equals("--config")) {
                    i++;
                } else if (!a.startsWith("--config=")) {
                    args.add(a);
                }
            }
            ServerCommand merged = new ServerCommand();
            CommandLine cl = new CommandLine(merged).setOverwrittenOptionsAllowed(true);
            cl.parseArgs(args.toArray(String[]::new));
            merged.spec = cl.getCommandSpec();
            return merged.serve();
        }
        return serve();
    }

    private Integer serve() throws Exception {
        node.check();
        if (link == null) {
            throw CliException.usage("server", "one of --tap NAME or --packet-if IF is required");
        }
        if (ip == null) {
            throw CliException.usage("server", "--ip A.B.C.D/PREFIX is required");
        }
        Args.between("--header-timeout-ms", headerTimeoutMs, 0, 3_600_000);
        Args.between("--max-connections", maxConnections, 0, Integer.MAX_VALUE);
        Args.between("--backlog", backlog, 1, 1 << 20);
        int slash = ip.indexOf('/');
        if (slash < 0) {
            throw CliException.usage("--ip " + ip, "expected A.B.C.D/PREFIX");
        }
        int address = option("--ip", ip, () -> Ipv4Address.parse(ip.substring(0, slash)));
        int prefix = option("--ip", ip, () -> Ipv4Address.parsePrefixLength(ip));
        String kind = Args.oneOf("--app", app, "http", "https", "echo");
        boolean http = !kind.equals("echo");
        boolean https = kind.equals("https");
        if (!https && (cert != null || key != null || keylog != null || suites != null)) {
            throw CliException.usage("--cert/--key/--keylog/--suites", "only with --app https");
        }
        if ((cert == null) != (key == null)) {
            throw CliException.usage(cert == null ? "--key" : "--cert", "--cert and --key go together");
        }
        TlsServerContext tls = https ? tlsContext() : null;
        if (port != null) {
            Args.between("--port", port, 1, 65535);
        }
        long wantMac = mac == null ? -1L : option("--mac", mac, () -> MacAddress.parse(mac));
        int gatewayIp = gateway == null ? 0 : option("--gateway", gateway, () -> Ipv4Address.parse(gateway));
        int listenPort = port != null ? port : https ? 443 : http ? 80 : 7;
        int sw = switchIp == null ? 0 : option("--switch", switchIp, () -> Ipv4Address.parse(switchIp));
        if (crashAt != null) {
            Args.oneOf("--crash-at", crashAt, "origin-ack", "target-state");
        }
        Args.between("--state-bytes", stateBytes, 0, 1 << 20);
        if (jitWarmup) {
            long t0 = System.nanoTime();
            io.capybara.rack.MigrationBenchmark.run(200, 16, System::nanoTime);
            node.status().printf("jit warm-up: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        io.capybara.policy.PolicyKind policy = policyKind == null
                ? (policyIntervalMillis > 0 ? io.capybara.policy.PolicyKind.REACTIVE : io.capybara.policy.PolicyKind.STATIC)
                : option("--policy", policyKind, () -> io.capybara.policy.PolicyKind.parse(policyKind));
        Args.between("--service-us", serviceMicros, 0, 1_000_000);
        if (policy != io.capybara.policy.PolicyKind.STATIC && sw == 0) {
            throw CliException.usage("--policy " + policy.label(), "needs --switch (a policy moves connections)");
        }
        if (policy == io.capybara.policy.PolicyKind.REACTIVE && policyIntervalMillis <= 0) {
            policyIntervalMillis = 1;
        }
        FdFrameChannel raw;
        FrameChannel channel;
        long hostMac;
        String where;
        if (link.tap != null) {
            raw = TapChannel.open(link.tap);
            channel = raw;
            hostMac = mac != null ? wantMac : defaultMac(address);
            where = "tap " + channel.name();
        } else {
            PacketChannel pc = PacketChannel.open(link.packetIf, wantMac, false);
            raw = pc;
            channel = pc;
            hostMac = pc.ourMac();
            where = "AF_PACKET " + pc.name();
        }
        try {
            if (node.pcap != null) {
                long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
                channel = new PcapTap(channel, new PcapWriter(node.pcap), () -> epochOffset + System.nanoTime());
            }
            if (crashAt != null) {
                channel = ServerNode.crashHook(channel, crashAt);
            }
            HostConfig cfg = HostConfig.of("server", hostMac, address, prefix);
            MigrationConfig mc = null;
            if (gateway != null) {
                cfg = cfg.withGateway(gatewayIp);
            } else if (sw != 0) {
                cfg = cfg.withGateway(sw);
            }
            if (sw != 0) {
                cfg = cfg.withTcp(LabRack.tcpConfig()).withIsnSeed(address).withMaxConnections(4096);
                mc = ServerNode.rackMigrationConfig(sw, (long) (heartbeatMillis * 1e6));
                if (policy == io.capybara.policy.PolicyKind.REACTIVE) {
                    mc = mc.withPolicy((long) (policyIntervalMillis * 1e6), policyHigh, policyLow,
                            ServerNode.TRIGGER_COOLDOWN_NANOS);
                }
            }
            HttpServerConfig httpConfig = http ? HttpServerConfig.defaults()
                    .withHeaderTimeoutNanos(headerTimeoutMs * 1_000_000L).withMaxConnections(maxConnections) : null;
            ServerNode server = new ServerNode(cfg, channel, httpConfig, listenPort, backlog, mc,
                    (long) (migrateEveryMillis * 1e6), tls, http ? serviceMicros * 1000 : 0);
            if (policy == io.capybara.policy.PolicyKind.PROACTIVE) {
                io.capybara.policy.ProactiveConfig pc = io.capybara.policy.ProactiveConfig.defaults();
                server.proactive(policyIntervalMillis > 0 ? pc.withInterval((long) (policyIntervalMillis * 1e6)) : pc);
            } else if (policy == io.capybara.policy.PolicyKind.REACTIVE && serviceMicros > 0 && http) {
                server.reactiveOnQueuedRequests();
            }
            server.stateBytes(stateBytes);
            Host host = server.host();
            ConnectionHandler handler = server.handler();
            HostTelemetry telemetry = new HostTelemetry(host);
            Metrics metrics = new Metrics();
            telemetry.register(metrics);
            MigrationTelemetry migTelemetry = server.engine() == null ? null : new MigrationTelemetry(server.engine());
            if (migTelemetry != null) {
                migTelemetry.register(metrics);
            }
            Map<String, LongSupplier> appCounters = appCounters(handler);
            appCounters.forEach((k, v) -> metrics.counter("capybara_" + app + "_" + k + "_total",
                    "Server application counter " + k + ".", v));
            NodeProcess proc = rackNode.process(server, raw);
            proc.control(c -> server.register(c, proc.loop()));
            try (MetricsEndpoint endpoint = node.startMetrics(metrics)) {
                node.status().printf("server up: %s on %s:%d mac %s via %s%s pid %d%n", app,
                        Ipv4Address.format(address), listenPort, MacAddress.format(hostMac), where,
                        sw == 0 ? "" : ", switch " + Ipv4Address.format(sw), ProcessHandle.current().pid());
                node.status().flush();
                proc.run(node.duration, () -> {
                    metrics.publish();
                    String changed = telemetry.tick();
                    if (changed != null && !node.quiet) {
                        node.status().println(changed);
                    }
                    String migChanged = migTelemetry == null ? null : migTelemetry.tick();
                    if (migChanged != null && !node.quiet) {
                        node.status().println(migChanged);
                    }
                }, () -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    appCounters.forEach((k, v) -> out.put(k, v.getAsLong()));
                    out.put("connections", host.connectionCount());
                    Map<String, Long> hostStats = new LinkedHashMap<>();
                    telemetry.counters().forEach((k, v) -> hostStats.put(k, v.getAsLong()));
                    out.put("host", hostStats);
                    out.put("wire", host.wireCounters().toMap());
                    if (server.engine() != null) {
                        Map<String, Long> mig = new LinkedHashMap<>();
                        server.engine().counters().forEach((k, v) -> mig.put(Metrics.snake(k.name()), v));
                        out.put("migration", mig);
                    }
                    if (node.json) {
                        System.out.println(Json.write(out));
                    } else {
                        System.out.println("final: " + handler);
                        System.out.println("host: " + host.stats());
                        System.out.println("wire: " + host.wireCounters());
                        if (server.engine() != null) {
                            System.out.println("migration: " + server.engine().counters());
                        }
                    }
                });
            }
            return 0;
        } finally {
            channel.close();
        }
    }
}
