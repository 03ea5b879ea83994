package io.capybara.demo;

import io.capybara.app.ZipfSkew;

/**
 * The README demo as an experiment: the same rack, the same seed and the same offered load,
 * run twice in virtual time: static placement (migration engines off), then with every server
 * running TCPMig with its load policy. Before both, a short throwaway run with many
 * migrations warms the JIT, so the migration step timings (measured with System.nanoTime)
 * describe compiled code rather than the interpreter; it changes nothing in the virtual-time
 * results.
 */
public final class DemoExperiment {
    private DemoExperiment() {
    }

    /** Both phases of one experiment. */
    public record Result(DemoOptions options, PhaseResult staticPhase, PhaseResult migratingPhase) {
        public long requests() {
            return staticPhase.issued() + migratingPhase.issued();
        }

        public long errors() {
            return staticPhase.errors() + migratingPhase.errors();
        }

        public long clientResets() {
            return staticPhase.clientResets() + migratingPhase.clientResets();
        }

        public long migrations() {
            return migratingPhase.migrations();
        }

        /** migrating p99 / static p99: below 1 means migration helped the tail. */
        public double p99Ratio() {
            return migratingPhase.p99Nanos() / (double) Math.max(1, staticPhase.p99Nanos());
        }
    }

    public static Result run(DemoOptions options, DemoRack.ProgressListener progress) {
        warmUp();
        PhaseResult s = DemoRack.run(options, false, progress);
        PhaseResult m = DemoRack.run(options, true, progress);
        return new Result(options, s, m);
    }

    /**
     * A light-load run with a migration every 50 virtual us (about 2,000 in all, so the step
     * code is compiled by C2); its results are thrown away.
     */
    public static void warmUp() {
        DemoOptions w = DemoOptions.defaults().withRate(20_000).withSkew(0).withoutPolicy()
                .withDuration(100_000_000L).withManualMigrations(20_000).withSeed(1);
        DemoRack.run(w, true);
    }

    /**
     * Offered load on each server under static placement, as a fraction of its capacity: the
     * Zipf probabilities of its block of connections times the rate times the service time.
     */
    public static double[] staticServerLoad(DemoOptions o) {
        ZipfSkew skew = new ZipfSkew(o.connections(), o.skew());
        double[] load = new double[o.servers()];
        for (int i = 0; i < o.connections(); i++) {
            load[o.homeServer(i)] += skew.probability(i) * o.requestsPerSecond() * o.serviceMicros() / 1e6;
        }
        return load;
    }
}
