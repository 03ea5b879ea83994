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
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.TapChannel;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.telemetry.HostTelemetry;
import io.capybara.telemetry.Metrics;
import io.capybara.telemetry.MetricsEndpoint;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
 */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run a Java host with the HTTP or echo server on a TAP device or an AF_PACKET interface (needs root).")
public final class ServerCommand implements Callable<Integer> {
    static final class Link {
        @Option(names = "--tap", description = "Create TAP device NAME (the kernel side is yours to move and address).")
        String tap;
        @Option(names = "--packet-if", description = "Use existing interface IF through an AF_PACKET socket.")
        String packetIf;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Link link;
    @Option(names = "--ip", required = true, description = "Address of the Java host, A.B.C.D/PREFIX.")
    String ip;
    @Option(names = "--app", defaultValue = "http", description = "http or echo (default: ${DEFAULT-VALUE}).")
    String app;
    @Option(names = "--port", description = "Listening port (default: 80 for http, 7 for echo).")
    Integer port;
    @Option(names = "--mac", description = "MAC of the Java host (default: TAP 02:ca:<ip>, AF_PACKET the interface's).")
    String mac;
    @Option(names = "--gateway", description = "Next hop for off-link addresses (default: none).")
    String gateway;
    @Mixin
    NodeOptions node;
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

    @Override
    public Integer call() throws Exception {
        node.check();
        Args.between("--header-timeout-ms", headerTimeoutMs, 0, 3_600_000);
        Args.between("--max-connections", maxConnections, 0, Integer.MAX_VALUE);
        Args.between("--backlog", backlog, 1, 1 << 20);
        int slash = ip.indexOf('/');
        if (slash < 0) {
            throw CliException.usage("--ip " + ip, "expected A.B.C.D/PREFIX");
        }
        int address = option("--ip", ip, () -> Ipv4Address.parse(ip.substring(0, slash)));
        int prefix = option("--ip", ip, () -> Ipv4Address.parsePrefixLength(ip));
        boolean http = Args.oneOf("--app", app, "http", "echo").equals("http");
        if (port != null) {
            Args.between("--port", port, 1, 65535);
        }
        long wantMac = mac == null ? -1L : option("--mac", mac, () -> MacAddress.parse(mac));
        int gatewayIp = gateway == null ? 0 : option("--gateway", gateway, () -> Ipv4Address.parse(gateway));
        int listenPort = port != null ? port : http ? 80 : 7;
        FrameChannel channel;
        long hostMac;
        String where;
        if (link.tap != null) {
            channel = TapChannel.open(link.tap);
            hostMac = mac != null ? wantMac : defaultMac(address);
            where = "tap " + channel.name();
        } else {
            PacketChannel pc = PacketChannel.open(link.packetIf, wantMac, false);
            channel = pc;
            hostMac = pc.ourMac();
            where = "AF_PACKET " + pc.name();
        }
        try {
            if (node.pcap != null) {
                long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
                channel = new PcapTap(channel, new PcapWriter(node.pcap), () -> epochOffset + System.nanoTime());
            }
            HostConfig cfg = HostConfig.of("server", hostMac, address, prefix);
            if (gateway != null) {
                cfg = cfg.withGateway(gatewayIp);
            }
            Host host = new Host(cfg, channel);
            HttpServerApp httpApp = http ? new HttpServerApp(host, HttpServerConfig.defaults()
                    .withHeaderTimeoutNanos(headerTimeoutMs * 1_000_000L).withMaxConnections(maxConnections)) : null;
            ConnectionHandler handler = http ? httpApp : new EchoServerApp(host);
            host.listen(listenPort, backlog, handler);
            HostTelemetry telemetry = new HostTelemetry(host);
            Metrics metrics = new Metrics();
            telemetry.register(metrics);
            Map<String, LongSupplier> appCounters = appCounters(handler);
            appCounters.forEach((k, v) -> metrics.counter("capybara_" + app + "_" + k + "_total",
                    "Server application counter " + k + ".", v));
            RealtimeLoop loop = httpApp == null ? new RealtimeLoop(host) : new RealtimeLoop(host, new io.capybara.io.Node() {
                @Override
                public int poll(long nowNanos) {
                    return httpApp.poll(nowNanos); // request head clocks
                }

                @Override
                public long nextDeadline() {
                    return httpApp.nextDeadline();
                }
            });
            try (MetricsEndpoint endpoint = node.startMetrics(metrics)) {
                node.status().printf("server up: %s on %s:%d mac %s via %s%n", app, Ipv4Address.format(address),
                        listenPort, MacAddress.format(hostMac), where);
                node.status().flush();
                loop.runUntilStopped(node.duration, () -> {
                    metrics.publish();
                    String changed = telemetry.tick();
                    if (changed != null && !node.quiet) {
                        node.status().println(changed);
                    }
                }, () -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    appCounters.forEach((k, v) -> out.put(k, v.getAsLong()));
                    out.put("connections", host.connectionCount());
                    Map<String, Long> hostStats = new LinkedHashMap<>();
                    telemetry.counters().forEach((k, v) -> hostStats.put(k, v.getAsLong()));
                    out.put("host", hostStats);
                    out.put("wire", host.wireCounters().toMap());
                    if (node.json) {
                        System.out.println(Json.write(out));
                    } else {
                        System.out.println("final: " + handler);
                        System.out.println("host: " + host.stats());
                        System.out.println("wire: " + host.wireCounters());
                    }
                });
            }
            return 0;
        } finally {
            channel.close();
        }
    }
}
