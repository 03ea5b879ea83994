package io.capybara.cli;

import io.capybara.io.FrameChannel;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.TapChannel;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.SwitchCounter;
import io.capybara.tor.TorSwitch;
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
    @Option(names = "--check", description = "Validate the configuration (syntax, addresses, ports) and exit.")
    boolean check;

    static FrameChannel open(String spec) {
        String name = portName(spec);
        return spec.startsWith("tap:") ? TapChannel.open(name)
                : PacketChannel.open(name); // a switch port takes frames for every MAC
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
        FrameChannel[] ports = new FrameChannel[cfg.portCount()];
        try {
            for (int p = 0; p < ports.length; p++) {
                ports[p] = open(cfg.portSpecs().get(p));
            }
            TorSwitch sw = new TorSwitch(cfg, ports);
            RealtimeLoop loop = new RealtimeLoop(sw);
            System.out.printf("switch up: %d ports, %d servers, directory %d levels x %d slots%n", ports.length,
                    cfg.servers().size(), cfg.levels(), 1 << 16);
            loop.runUntilStopped(duration, quiet ? null : () -> System.out.println(summary(sw)), () -> {
                System.out.println("final counters:");
                for (Map.Entry<SwitchCounter, Long> e : sw.counters().entrySet()) {
                    if (e.getValue() != 0) {
                        System.out.printf("  %-28s %d%n", e.getKey(), e.getValue());
                    }
                }
            });
            return 0;
        } finally {
            for (FrameChannel c : ports) {
                if (c != null) {
                    c.close();
                }
            }
        }
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
