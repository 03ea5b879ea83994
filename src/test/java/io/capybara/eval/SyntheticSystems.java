package io.capybara.eval;

import io.capybara.eval.RackWorkload.Params;
import io.capybara.eval.RackWorkload.Point;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Stand-ins for tests of the harness: seeded synthetic samples, a queueing-model rack. */
final class SyntheticSystems {
    private SyntheticSystems() {
    }

    /** How a stand-in system runs. */
    private interface Runner {
        OverheadRun run(int count, int queueBytes, Progress progress);
    }

    /** A stand-in system: its names, why it is unavailable (null: it is available) and how it runs. */
    private record Stub(String key, String label, String unavailableReason, Runner runner) implements MigrationSystem {
        @Override
        public OverheadRun run(int count, int queueBytes, Progress progress) {
            return runner.run(count, queueBytes, progress);
        }
    }

    /** A system whose steps take seeded exponential times around the given means (ns). */
    static MigrationSystem system(String key, long seed, long... stepMeans) {
        return new Stub(key, "synthetic " + key, null, (count, queueBytes, progress) -> {
            SplittableRandom r = new SplittableRandom(seed + queueBytes);
            Map<String, long[]> steps = new LinkedHashMap<>();
            long[] totals = new long[count];
            for (int s = 0; s < stepMeans.length; s++) {
                long[] v = new long[count];
                for (int i = 0; i < count; i++) {
                    v[i] = 1 + (long) (-Math.log(1 - r.nextDouble()) * stepMeans[s]);
                    totals[i] += v[i];
                }
                steps.put("step " + s, v);
            }
            progress.set(count);
            return new OverheadRun(key, queueBytes, totals, steps, count);
        });
    }

    static MigrationSystem unavailable(String key, String reason) {
        return new Stub(key, key, reason, (count, queueBytes, progress) -> {
            throw new AssertionError("must not run an unavailable system");
        });
    }

    /**
     * An M/M/1-like rack of {@code capacity} requests/s: latency grows as load nears capacity,
     * with skew and with delay per migration; migration halves the skew penalty.
     */
    static RackWorkload rack(double capacity) {
        return new RackWorkload() {
            @Override
            public String unavailableReason() {
                return null;
            }

            @Override
            public String describe() {
                return "queueing model for tests";
            }

            @Override
            public double overloadRps() {
                return 1.5 * capacity;
            }

            @Override
            public Point run(Params p) {
                double hot = p.skew() * (p.migration() ? 0.1 : 0.5);
                double rho = Math.min(0.99, p.offeredRps() * (1 + hot) / capacity
                        + (p.migration() ? p.migrationsPerSecond() * p.extraDelayMicros() / 1e6 / 2 : 0));
                double p50 = 10 / (1 - rho);
                long completed = (long) (Math.min(p.offeredRps(), capacity) * p.durationNanos() / 1e9);
                return new Point(p, completed, 0, Math.min(p.offeredRps(), capacity), p50, p50 * 4.6, p50 * 6.9,
                        p.migration() ? (long) (p.migrationsPerSecond() * p.durationNanos() / 1e9) + 1 : 0);
            }
        };
    }
}
