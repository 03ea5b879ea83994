package io.capybara.cli;

import io.capybara.sim.scenario.TransferScenario;
import io.capybara.sim.scenario.TransferScenario.Direction;
import io.capybara.sim.scenario.TransferScenario.Params;
import io.capybara.sim.scenario.TransferScenario.Result;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./capybara demo}: the stack at work on in-memory links, no root needed. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Two hosts on the simulator exchange a transfer in both directions; prints throughput and the content check.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--bytes", defaultValue = "67108864", description = "Bytes each way (default ${DEFAULT-VALUE}).")
    long bytes;
    @Option(names = "--loss", defaultValue = "0.01", description = "Per-frame loss on the link (default ${DEFAULT-VALUE}).")
    double loss;
    @Option(names = "--seed", defaultValue = "42", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        Params p = Params.random(seed, 0).withBytes(bytes).withDirection(Direction.BOTH)
                .withFaults(loss, 0, 0, 0);
        long start = System.nanoTime();
        Result r = TransferScenario.run(p);
        double wall = (System.nanoTime() - start) / 1e9;
        long total = r.clientToServerBytes() + r.serverToClientBytes();
        if (json) {
            System.out.println(new Json().put("ok", r.ok()).put("bytes_delivered", total)
                    .put("content_verified", r.contentOk()).put("wall_seconds", wall)
                    .put("wall_throughput_mbit_s", total * 8 / wall / 1e6)
                    .put("virtual_seconds", r.virtualNanos() / 1e9)
                    .put("frames", r.frames()).put("trace_hash", String.format("%016x", r.traceHash())));
        } else {
            System.out.printf("Two Capybara-J hosts on a simulated 10 Gbit/s link with %.1f%% loss, seed %d%n",
                    loss * 100, seed);
            System.out.printf("  %s in each direction, %d frames%n", human(bytes), r.frames());
            System.out.printf("  every byte checked against the sender's stream: %s%n", r.contentOk() ? "match" : "MISMATCH");
            System.out.printf("  simulation ran at %.0f Mbit/s of payload on this machine (%.2f s wall time)%n",
                    total * 8 / wall / 1e6, wall);
            System.out.printf("  virtual time %.3f s, including both connections' TIME_WAIT%n", r.virtualNanos() / 1e9);
            System.out.printf("  result: %s%n", r.ok() ? "OK" : "FAILED: " + r.failure());
        }
        return r.ok() ? 0 : 1;
    }

    private static String human(long b) {
        return b >= 1 << 20 ? (b >> 20) + " MiB" : b >= 1024 ? (b >> 10) + " KiB" : b + " B";
    }
}
