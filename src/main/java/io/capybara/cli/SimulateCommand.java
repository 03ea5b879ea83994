package io.capybara.cli;

import io.capybara.sim.scenario.TransferScenario;
import io.capybara.sim.scenario.TransferScenario.Params;
import io.capybara.sim.scenario.TransferScenario.Result;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./capybara simulate}: randomized transfers between two hosts on the deterministic
 * simulator. Each seed is one run; the same arguments always give the same trace hash.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Run N seeded transfers (1 B to 64 MiB, random direction) through the simulator with faults.",
                "With --migrations: whole-rack simulations (switch, 3 servers, streaming clients) with 10,000 "
                        + "TCPMig migrations each, every byte and invariant checked."})
public final class SimulateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--seeds", defaultValue = "100", description = "Number of seeded runs (default ${DEFAULT-VALUE}).")
    int seeds;
    @Option(names = "--first-seed", defaultValue = "1", description = "Seed of the first run (default ${DEFAULT-VALUE}).")
    long firstSeed;
    @Option(names = "--loss", description = "Per-frame loss probability (fixed for all runs).")
    Double loss;
    @Option(names = "--dup", description = "Per-frame duplication probability.")
    Double dup;
    @Option(names = "--reorder", description = "Per-frame reordering probability.")
    Double reorder;
    @Option(names = "--corrupt", description = "Per-frame bit-flip probability.")
    Double corrupt;
    @Option(names = "--max-fault", defaultValue = "0.2",
            description = "Without fixed fault options, each run draws each fault in [0, this] (default ${DEFAULT-VALUE}).")
    double maxFault;
    @Option(names = "--max-bytes", description = "Cap each run's transfer size (default 64 MiB).")
    Long maxBytes;
    @Option(names = "--snapshots", description = "Replace connections by restored snapshots at random points.")
    boolean snapshots;
    @Option(names = "--threads", defaultValue = "2", description = "Runs in parallel (results do not depend on it).")
    int threads;
    @Mixin
    JsonFlag json;
    @Option(names = "--migrations", description = "Run whole-rack migration simulations instead of transfers.")
    boolean migrations;
    @Option(names = "--faults", description = "With --migrations: loss, duplication, reordering and bit flips on every link "
            + "(data and control), a crowded one-level directory, client aborts and target deaths.")
    boolean faults;
    @Option(names = "--vip", description = "With --migrations: load-balancer mode: clients connect to a VIP, the switch "
            + "places them; one server joins late, leaves the placement and rejoins (a full directory is not crowded then).")
    boolean vip;
    @Option(names = "--count", defaultValue = "10000",
            description = "With --migrations: migrations per rack run (default ${DEFAULT-VALUE}).")
    int count;

    Params params(long seed) {
        Params p = Params.random(seed, maxFault);
        if (loss != null || dup != null || reorder != null || corrupt != null) {
            p = p.withFaults(orZero(loss), orZero(dup), orZero(reorder), orZero(corrupt));
        }
        if (maxBytes != null && p.bytes() > maxBytes) {
            // keep the log-uniform shape under the cap: scale the exponent, not a clamp
            double f = Math.log(p.bytes()) / Math.log(TransferScenario.MAX_BYTES);
            p = p.withBytes(Math.max(1, Math.round(Math.exp(f * Math.log(Math.max(1, maxBytes))))));
        }
        return p.withSnapshotRestore(snapshots);
    }

    /** {@code --migrations}: seeds run one after another (each rack is itself one deterministic run). */
    private int rack() throws Exception {
        io.capybara.rack.RackOptions base = io.capybara.rack.RackOptions.defaults().withMigrations(count);
        if (faults) {
            base = base.withFaults();
        }
        if (vip) {
            // a connection placed without an entry follows the table: keep the directory roomy
            base = base.withDirectory(Math.max(2, base.directoryLevels()), 0).withVip(true);
        }
        base = base.withSeed(firstSeed);
        long start = System.nanoTime();
        List<io.capybara.rack.RackResult> results = new java.util.ArrayList<>();
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(Math.max(1, threads));
        final io.capybara.rack.RackOptions opts = base;
        AtomicInteger done = new AtomicInteger();
        results.addAll(pool.submit(() -> LongStream.range(0, seeds).parallel().mapToObj(i -> {
            io.capybara.rack.RackResult r = io.capybara.rack.RackSimulation.run(opts.withSeed(opts.seed() + i));
            System.err.printf("[%d/%d] %s%n", done.incrementAndGet(), seeds, r);
            return r;
        }).toList()).get());
        pool.shutdown();
        long sum = 0;
        long completed = 0;
        long aborted = 0;
        long rejected = 0;
        long violations = 0;
        long failed = 0;
        long bytes = 0;
        long trace = 0xCBF29CE484222325L;
        java.util.Map<String, Long> causes = new java.util.TreeMap<>();
        for (io.capybara.rack.RackResult r : results) {
            sum += r.migrations();
            completed += r.migrationsCompleted();
            aborted += r.migrationsAborted();
            rejected += r.migrationsRejected();
            violations += r.invariantViolations();
            bytes += r.bytesVerified();
            failed += r.ok() ? 0 : 1;
            trace = (trace ^ r.traceHash()) * 0x100000001B3L;
            trace ^= trace >>> 29;
            r.causes().forEach((k, v) -> causes.merge(k, v, Long::sum));
        }
        double wall = (System.nanoTime() - start) / 1e9;
        if (json.on) {
            Json out = new Json().put("seeds", seeds).put("first_seed", firstSeed).put("faults", faults)
                    .put("failed", failed).put("migrations", sum).put("migrations_completed", completed)
                    .put("migrations_aborted", aborted).put("migrations_rejected", rejected)
                    .put("invariant_violations", violations).put("bytes_verified", bytes)
                    .put("trace_hash", String.format("%016x", trace)).put("wall_seconds", wall)
                    .put("causes", causes);
            Json runs = out.object("runs");
            for (io.capybara.rack.RackResult r : results) {
                runs.put(Long.toString(r.options().seed()), r.toMap());
            }
            System.out.println(out);
        } else {
            results.forEach(System.out::println);
            System.out.printf("%d rack runs, %d failed: %d migrations, %d completed, %d aborted, %d rejected, "
                    + "%d invariant violations, %d bytes verified, %.1f s%n", seeds, failed, sum, completed, aborted,
                    rejected, violations, bytes, wall);
        }
        return failed == 0 && violations == 0 ? 0 : 1;
    }

    private static double orZero(Double d) {
        return d == null ? 0 : d;
    }

    @Override
    public Integer call() throws Exception {
        Args.atLeast("--seeds", seeds, 1);
        Args.atLeast("--threads", threads, 1);
        if (migrations) {
            Args.refuse(spec, "not with --migrations (a rack run has its own fault plan: --faults)", "--loss", "--dup",
                    "--reorder", "--corrupt", "--max-fault", "--max-bytes", "--snapshots");
            Args.atLeast("--count", count, 1);
        } else {
            Args.refuse(spec, "only with --migrations", "--faults", "--vip", "--count");
            Args.between("--max-fault", maxFault, 0, 1);
            if (maxBytes != null) {
                Args.atLeast("--max-bytes", maxBytes, 1);
            }
        }
        if (migrations) {
            return rack();
        }
        String[] names = {"--loss", "--dup", "--reorder", "--corrupt"};
        Double[] values = {loss, dup, reorder, corrupt};
        for (int i = 0; i < names.length; i++) {
            if (values[i] != null) {
                Args.between(names[i], values[i], 0, 1);
            }
        }
        long start = System.nanoTime();
        AtomicInteger done = new AtomicInteger();
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(Math.max(1, threads));
        List<Result> results = pool.submit(() -> LongStream.range(firstSeed, firstSeed + seeds).parallel()
                .mapToObj(seed -> {
                    Result r = TransferScenario.run(params(seed));
                    int n = done.incrementAndGet();
                    if (!r.ok() || n % Math.max(1, seeds / 20) == 0 || n == seeds) {
                        System.err.printf("[%d/%d] %s%n", n, seeds, r.ok() ? "ok" : r);
                    }
                    return r;
                }).toList()).get();
        pool.shutdown();
        long failed = results.stream().filter(r -> !r.ok()).count();
        long bytes = results.stream().mapToLong(r -> r.clientToServerBytes() + r.serverToClientBytes()).sum();
        long frames = results.stream().mapToLong(Result::frames).sum();
        long trace = 0xCBF29CE484222325L;
        for (Result r : results) { // in seed order, so the combined hash is independent of threads
            trace = (trace ^ r.traceHash()) * 0x100000001B3L;
            trace ^= trace >>> 29;
        }
        double virtual = results.stream().mapToLong(Result::virtualNanos).sum() / 1e9;
        double wall = (System.nanoTime() - start) / 1e9;
        if (json.on) {
            Json out = new Json().put("seeds", seeds).put("first_seed", firstSeed).put("failed", failed)
                    .put("bytes_delivered", bytes).put("frames", frames)
                    .put("trace_hash", String.format("%016x", trace)).put("snapshots", snapshots)
                    .put("snapshot_restores", results.stream().mapToLong(Result::snapshots).sum())
                    .put("virtual_seconds", virtual).put("wall_seconds", wall);
            Json f = out.object("failures");
            results.stream().filter(r -> !r.ok()).limit(20)
                    .forEach(r -> f.put(Long.toString(r.params().seed()), r.failure()));
            System.out.println(out);
        } else {
            System.out.printf("%d runs, %d failed, %d bytes delivered in order, %d frames, trace hash %016x%n",
                    seeds, failed, bytes, frames, trace);
            System.out.printf("virtual time %.1f s, wall time %.1f s%n", virtual, wall);
            results.stream().filter(r -> !r.ok()).limit(20).forEach(r -> System.out.println("FAILED " + r));
        }
        return failed == 0 ? 0 : 1;
    }
}
