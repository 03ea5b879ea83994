package io.capybara.demo;

import io.capybara.app.ZipfSkew;
import io.capybara.rack.JitWarmup;

/**
 * The README demo as an experiment: the same rack, the same seed and the same offered load,
 * run twice in virtual time: static placement (migration engines off), then with every server
 * running TCPMig with its load policy. Before both, throwaway runs with many migrations warm
 * the JIT until it settles ({@link JitWarmup}, as {@code bench migration} does), so the
 * migration step timings (measured with System.nanoTime) describe compiled code rather than
 * the interpreter; it changes nothing in the virtual-time results.
 */
public final class DemoExperiment {
    private DemoExperiment() {
    }

    /** Both phases of one experiment. */
    public record Result(DemoOptions options, PhaseResult staticPhase, PhaseResult migratingPhase, WarmUp warmUp) {
        public Result(DemoOptions options, PhaseResult staticPhase, PhaseResult migratingPhase) {
            this(options, staticPhase, migratingPhase, WarmUp.NONE);
        }

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
        WarmUp w = warmUp(WARM_UP_LIMIT_NANOS);
        PhaseResult s = DemoRack.run(options, false, progress);
        PhaseResult m = DemoRack.run(options, true, progress);
        return new Result(options, s, m, w);
    }

    /** Give up warming after this much wall time (a loaded machine may never look quiet). */
    static final long WARM_UP_LIMIT_NANOS = 30_000_000_000L;

    /**
     * What ran before the measured phases: rounds of throwaway migrations, and whether the JIT
     * settled (two rounds in a row without compiling) before the time limit.
     */
    public record WarmUp(int rounds, long migrations, boolean jitSettled) {
        public static final WarmUp NONE = new WarmUp(0, 0, false);
    }

    /**
     * Light-load runs with a migration every 50 virtual us (about 500 a round), until the JIT
     * has compiled nothing for two rounds or {@code limitNanos} passed; results thrown away.
     */
    public static WarmUp warmUp(long limitNanos) {
        DemoOptions w = DemoOptions.defaults().withRate(20_000).withSkew(0).withoutPolicy()
                .withDuration(25_000_000L).withManualMigrations(20_000).withSeed(1);
        long[] migrations = {0};
        long t0 = System.nanoTime();
        int rounds = JitWarmup.untilSettled(() -> migrations[0] += DemoRack.run(w, true).migrations(), limitNanos);
        return new WarmUp(rounds, migrations[0], System.nanoTime() - t0 < limitNanos);
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
