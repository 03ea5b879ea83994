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

    static FrameChannel open(String spec) {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? "" : spec.substring(0, colon);
        String name = spec.substring(colon + 1);
        return switch (kind) {
            case "tap" -> TapChannel.open(name);
            case "packet" -> PacketChannel.open(name); // a switch port takes frames for every MAC
            default -> throw new IllegalArgumentException("port '" + spec + "': expected tap:NAME or packet:IFNAME");
        };
    }

    @Override
    public Integer call() throws Exception {
        SwitchConfig cfg = SwitchConfig.load(config);
        FrameChannel[] ports = new FrameChannel[cfg.portCount()];
        try {
            for (int p = 0; p < ports.length; p++) {
                String spec = p < cfg.portSpecs().size() ? cfg.portSpecs().get(p) : null;
                if (spec == null) {
                    throw new IllegalArgumentException(config + ": no 'port " + p + " ...' line for port " + p);
                }
                ports[p] = open(spec);
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
