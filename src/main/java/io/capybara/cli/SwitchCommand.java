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
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./capybara switch --config FILE}: the top-of-rack switch on real ports. */
@Command(name = "switch", mixinStandardHelpOptions = true,
        description = "Run the top-of-rack switch on TAP / AF_PACKET ports until interrupted (needs root).")
public final class SwitchCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Switch configuration file (format in README).")
    Path config;
    @Option(names = "--duration", description = "Stop after this many seconds (default: run until interrupted).")
    Double duration;
    @Option(names = "--quiet", description = "No periodic counter line.")
    boolean quiet;
    @Option(names = "--control", description = "Control socket path (a Unix domain socket for ctl; default: none).")
    Path control;
    @Option(names = "--spin-us", defaultValue = "50",
            description = "Busy-poll this long after work before blocking in epoll (default: ${DEFAULT-VALUE}).")
    long spinMicros;
    @Option(names = "--supervisor", defaultValue = "0", description = "Exit when this PID is gone (set by rack).")
    long supervisor;
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
        Args.positive("--duration", duration);
        SwitchConfig cfg = load();
        if (check) {
            System.out.printf("%s: ok: %d ports, %d servers, %d directory levels%n", config, cfg.portCount(),
                    cfg.servers().size(), cfg.levels());
            return 0;
        }
        FdFrameChannel[] ports = new FdFrameChannel[cfg.portCount()];
        try {
            for (int p = 0; p < ports.length; p++) {
                ports[p] = open(cfg.portSpecs().get(p));
            }
            TorSwitch sw = new TorSwitch(cfg, ports);
            NodeProcess proc = new NodeProcess(sw, ports, spinMicros * 1000, control, supervisor);
            proc.control(c -> c.register("status", "counters, directory size, servers and their loads",
                    args -> status(sw)));
            System.out.printf("switch up: %d ports, %d servers, directory %d levels x %d slots, pid %d%n", ports.length,
                    cfg.servers().size(), cfg.levels(), 1 << 16, ProcessHandle.current().pid());
            System.out.flush();
            proc.run(duration, quiet ? null : () -> summary(sw), () -> {
                System.out.println("final counters:");
                for (Map.Entry<SwitchCounter, Long> e : sw.counters().entrySet()) {
                    if (e.getValue() != 0) {
                        System.out.printf("  %-28s %d%n", e.getKey(), e.getValue());
                    }
                }
            }, System.out);
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

    static String summary(TorSwitch sw) {
        return String.format("rx %d fwd %d rewrites %d/%d directory %d installed %d refused %d dropped %d",
                sw.counter(SwitchCounter.RX_FRAMES), sw.counter(SwitchCounter.FORWARDED),
                sw.counter(SwitchCounter.REWRITE_REQUEST), sw.counter(SwitchCounter.REWRITE_RESPONSE),
                sw.directory().size(), sw.counter(SwitchCounter.DIRECTORY_INSTALLED),
                sw.counter(SwitchCounter.DIRECTORY_REFUSED_FULL),
                sw.counter(SwitchCounter.DROP_MALFORMED) + sw.counter(SwitchCounter.DROP_UNKNOWN_DESTINATION)
                        + sw.counter(SwitchCounter.TX_DROPPED));
    }
}
