package io.capybara.rack;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Benchmark warm-up that waits for the JIT rather than counting iterations. On two shared
 * cores the C2 queue can lag far behind: a fixed warm-up ended with {@code restore} still
 * running as profiled C1 code and {@code snapshot} recompiled in the middle of the measured
 * part, which made the same code measure anywhere from 1x to 2x. Harness code only: the
 * protocol never reads a clock.
 */
public final class JitWarmup {
    private JitWarmup() {
    }

    /**
     * Runs {@code round} until two consecutive rounds pass without the JIT compiling anything
     * (by the JVM's total compilation time), or {@code maxNanos} of wall time have passed.
     *
     * @return the rounds run
     */
    public static int untilSettled(Runnable round, long maxNanos) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
        long deadline = System.nanoTime() + maxNanos;
        int rounds = 0;
        int quiet = 0;
        long before = measurable ? jit.getTotalCompilationTime() : 0;
        while (quiet < 2 && System.nanoTime() < deadline) {
            round.run();
            rounds++;
            if (!measurable) {
                quiet++;
                continue;
            }
            long after = jit.getTotalCompilationTime();
            quiet = after == before ? quiet + 1 : 0;
            before = after;
        }
        return rounds;
    }
}
