package io.capybara.eval;

import io.capybara.demo.DemoOptions;
import io.capybara.demo.DemoRack;
import io.capybara.demo.PhaseResult;

/**
 * {@link RackWorkload} on the demo rack ({@link DemoRack}): two servers with virtual CPUs
 * behind the simulated switch, an open-loop HTTP client, the migration engines; every response
 * checked. The rest of the setting is {@link DemoOptions#defaults()}.
 */
public final class SimulatedRack implements RackWorkload {
    private final DemoOptions base;

    public SimulatedRack() {
        this(DemoOptions.defaults());
    }

    public SimulatedRack(DemoOptions base) {
        this.base = base;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT,
                "deterministic simulator: %d servers, %d us CPU per request (modelled capacity %.0f requests/s), "
                        + "%d ns links, %d B responses, switch steering migrated connections; migration CPU "
                        + "%d ns origin + %d ns target per migration before any injected delay",
                base.servers(), base.serviceMicros(), base.rackCapacity(), base.linkDelayNanos(),
                base.responseBytes(), base.originCpuNanos(), base.targetCpuNanos());
    }

    @Override
    public double overloadRps() {
        return 1.5 * base.rackCapacity();
    }

    /**
     * Least-work round robin (the SIGCOMM'26 baseline): each new connection goes to the server
     * with the least work, ties in turn. Here every connection opens before any request, when all
     * servers are idle, so it places them in turn; they open in a seeded random order, so a
     * connection's rank (how hot it will be) is unknown to the balancer, as in practice.
     */
    static java.util.function.IntUnaryOperator leastWorkRoundRobin(DemoOptions o) {
        int n = o.connections();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(o.seed() * 0x9E3779B97F4A7C15L + 17);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] home = new int[n];
        for (int k = 0; k < n; k++) {
            home[order[k]] = k % o.servers();
        }
        return i -> home[i];
    }

    @Override
    public Point run(Params p) {
        DemoOptions o = base.withConnections(p.connections()).withRate(p.offeredRps()).withSkew(p.skew())
                .withDuration(p.durationNanos()).withSeed(p.seed())
                .withExtraMigrationDelayMicros(p.extraDelayMicros())
                .withManualMigrations(p.migration() ? p.migrationsPerSecond() : 0);
        if (!p.policy()) {
            o = o.withoutPolicy(); // only the triggered migrations happen
        }
        PhaseResult r = p.leastWorkRoundRobin()
                ? DemoRack.run(o, p.migration(), null, java.util.function.UnaryOperator.identity(),
                        new DemoRack.Scenario(leastWorkRoundRobin(o), null, null, null))
                : DemoRack.run(o, p.migration());
        return new Point(p, r.completed(), r.errors(), r.completed() * 1e9 / r.virtualNanos(), r.p50Nanos() / 1000.0,
                r.p99Nanos() / 1000.0, r.p999Nanos() / 1000.0, r.migrations());
    }
}
