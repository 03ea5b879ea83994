package io.capybara.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs JMH benchmarks in process for {@code ./capybara bench}. Forked JVMs get the project's
 * JVM flags (the pom's {@code jvm.flags}, written to {@code capybara/build.properties}).
 */
public final class JmhRunner {
    /** Score (ns/op or ops/s as the benchmark declares) and allocation (B/op) of one benchmark. */
    public record Score(double value, String unit, double error, double allocBytesPerOp) {
    }

    private JmhRunner() {
    }

    /** The JVM flags this build runs with (its {@code capybara/build.properties}). */
    public static String jvmFlags() {
        try (InputStream in = JmhRunner.class.getResourceAsStream("/capybara/build.properties")) {
            return in == null ? "" : flags(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code flags} of a build.properties (another tree's, for {@link Compare}). */
    static String flags(InputStream buildProperties) throws IOException {
        Properties p = new Properties();
        p.load(buildProperties);
        return p.getProperty("flags", "").strip();
    }

    /**
     * Runs every benchmark whose name matches {@code includeRegex}.
     *
     * @param quick fewer, shorter iterations (a smoke run); otherwise 5 warm-up and 5 measured
     *              iterations of one second in one fork
     * @return benchmark label (method name plus parameters) to score, in run order
     */
    public static Map<String, Score> run(String includeRegex, boolean quick, boolean gcProfiler)
            throws RunnerException {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(includeRegex)
                .forks(1)
                .jvmArgsAppend(jvmFlags().split("\\s+"))
                .warmupIterations(quick ? 2 : 5)
                .warmupTime(TimeValue.milliseconds(quick ? 300 : 1000))
                .measurementIterations(quick ? 3 : 5)
                .measurementTime(TimeValue.milliseconds(quick ? 300 : 1000))
                .shouldFailOnError(true);
        if (gcProfiler) {
            b.addProfiler(GCProfiler.class);
        }
        // JMH reports progress on System.out; keep stdout for the caller's result (--json).
        java.io.PrintStream stdout = System.out;
        Collection<RunResult> results;
        System.setOut(System.err);
        try {
            results = new Runner(b.build()).run();
        } finally {
            System.setOut(stdout);
        }
        Map<String, Score> out = new LinkedHashMap<>();
        for (RunResult r : results) {
            Result<?> primary = r.getPrimaryResult();
            Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            String label = r.getParams().getBenchmark();
            label = label.substring(label.lastIndexOf('.') + 1);
            for (String key : r.getParams().getParamsKeys()) {
                label += "[" + key + "=" + r.getParams().getParam(key) + "]";
            }
            out.put(label, new Score(primary.getScore(), primary.getScoreUnit(), primary.getScoreError(),
                    alloc == null ? Double.NaN : alloc.getScore()));
        }
        return out;
    }
}
