package io.capybara.cli;

import io.capybara.io.FrameChannel;
import io.capybara.io.linux.FdFrameChannel;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.TapChannel;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.SwitchCounter;
import io.capybara.tor.TorSwitch;
import io.capybara.rack.proc.NodeProcess;
import io.capybara.wire.Ipv4Address;
import io.capybara.io.PcapTap;
import io.capybara.io.PcapWriter;
import io.capybara.telemetry.Metrics;
import io.capybara.telemetry.MetricsEndpoint;
import io.capybara.telemetry.SwitchTelemetry;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./capybara switch --config FILE}: the top-of-rack switch on real ports. */
@Command(name = "switch", mixinStandardHelpOptions = true,
        description = "Run the top-of-rack switch on TAP / AF_PACKET ports until interrupted (needs root).")
public final class SwitchCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Switch configuration file (format in README).")
    Path config;
    @Mixin
    NodeOptions node;
    @Mixin
    RackNodeOptions rackNode;
    @Option(names = "--check", description = "Validate the configuration (syntax, addresses, ports) and exit.")
    boolean check;

    static FdFrameChannel open(String spec) {
        String name = portName(spec);
        // a switch port takes frames for every MAC: servers address each other's MACs through it
        return spec.startsWith("tap:") ? TapChannel.open(name) : PacketChannel.open(name, PacketChannel.ANY_MAC, false);
    }

    /** The interface name of a {@code tap:NAME} or {@code packet:IFNAME} port, checked. */
    static String portName(String spec) {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? "" : spec.substring(0, colon);
        String name = spec.substring(colon + 1);
        if (!kind.equals("tap") && !kind.equals("packet")) {
            throw CliException.usage("port '" + spec + "'", "expected tap:NAME or packet:IFNAME");
        }
        if (name.isEmpty() || name.length() > 15 || !name.matches("[A-Za-z0-9_.-]+")) {
            throw CliException.usage("port '" + spec + "'", "an interface name is 1 to 15 letters, digits, '_', '.' or '-'");
        }
        return name;
    }

    /** Loads the configuration and checks every port line; errors name the file (and line). */
    SwitchConfig load() throws java.io.IOException {
        SwitchConfig cfg = SwitchConfig.load(config);
        if (cfg.portSpecs().size() < cfg.portCount()) {
            throw CliException.usage(config.toString(), "no 'port " + cfg.portSpecs().size() + " ...' line");
        }
        cfg.portSpecs().forEach(SwitchCommand::portName);
        return cfg;
    }

    @Override
    public Integer call() throws Exception {
        node.check();
        SwitchConfig cfg = load();
        if (check) {
            System.out.printf("%s: ok: %d ports, %d servers, %d directory levels%n", config, cfg.portCount(),
                    cfg.servers().size(), cfg.levels());
            return 0;
        }
        FrameChannel[] ports = new FrameChannel[cfg.portCount()];
        FdFrameChannel[] raw = new FdFrameChannel[cfg.portCount()];
        try {
            for (int p = 0; p < ports.length; p++) {
                raw[p] = open(cfg.portSpecs().get(p));
                ports[p] = raw[p];
            }
            PcapWriter pcap = null;
            if (node.pcap != null) {
                pcap = new PcapWriter(node.pcap);
                long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
                for (int p = 0; p < ports.length; p++) {
                    ports[p] = new PcapTap(ports[p], pcap, () -> epochOffset + System.nanoTime());
                }
            }
            TorSwitch sw = new TorSwitch(cfg, ports);
            SwitchTelemetry telemetry = new SwitchTelemetry(sw);
            Metrics metrics = new Metrics();
            telemetry.register(metrics);
            SwitchTelemetry.configLoaded(config.toString(), sw);
            NodeProcess proc = rackNode.process(sw, raw);
            proc.control(c -> c.register("status", "counters, directory size, servers and their loads",
                    args -> status(sw)));
            try (MetricsEndpoint endpoint = node.startMetrics(metrics)) { // the pcap closes with the ports
                node.status().printf("switch up: %d ports, %d servers, directory %d levels x %d slots, pid %d%n",
                        ports.length, cfg.servers().size(), cfg.levels(), 1 << 16, ProcessHandle.current().pid());
                node.status().flush();
                proc.run(node.duration, () -> {
                    metrics.publish();
                    String changed = telemetry.tick(System.nanoTime());
                    if (changed != null && !node.quiet) {
                        node.status().println(changed);
                    }
                }, () -> {
                    if (node.json) {
                        System.out.println(Json.write(finalCounters(sw)));
                    } else {
                        System.out.println("final counters:");
                        finalCounters(sw).forEach((k, v) -> {
                            if (v != 0) {
                                System.out.printf("  %-28s %d%n", k, v);
                            }
                        });
                    }
                });
            }
            return 0;
        } finally {
            for (FrameChannel c : ports) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /** The switch's answer to {@code ctl switch status}: 'key value' lines. */
    static String status(TorSwitch sw) {
        StringBuilder sb = new StringBuilder();
        sb.append("role switch\n");
        sb.append("pid ").append(ProcessHandle.current().pid()).append('\n');
        sb.append("directory ").append(sw.directory().size()).append('\n');
        long now = System.nanoTime();
        int live = 0;
        for (int s = 0; s < sw.loads().servers(); s++) {
            boolean isLive = sw.loads().isLive(s, now);
            live += isLive ? 1 : 0;
            long load = sw.loads().load(s);
            sb.append("server ").append(Ipv4Address.format(sw.serverIp(s))).append(' ')
                    .append(isLive ? "live" : "silent").append(" load ")
                    .append(load == Long.MAX_VALUE ? "-" : Long.toString(load)).append('\n');
        }
        sb.append("servers_live ").append(live).append('\n');
        for (Map.Entry<SwitchCounter, Long> e : sw.counters().entrySet()) {
            if (e.getValue() != 0) {
                sb.append(e.getKey().name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(e.getValue())
                        .append('\n');
            }
        }
        return sb.toString();
    }

    /** Every counter by its snake_case name, and the directory's occupancy. */
    static Map<String, Long> finalCounters(TorSwitch sw) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (SwitchCounter c : SwitchCounter.values()) {
            m.put(Metrics.snake(c.name()), sw.counter(c));
        }
        m.put("directory_entries", (long) sw.directory().size());
        return m;
    }
}
