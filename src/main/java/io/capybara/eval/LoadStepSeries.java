package io.capybara.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a load-step figure draws (the simulated and the multi-process policy experiments): per
 * policy, the p99 of each window and each server's served rate over time, and the worst window
 * p99 before and after the step. Add a run's windows between {@link #startRun} and the next.
 */
final class LoadStepSeries {
    private final double stepMs;
    private final Map<String, List<double[]>> p99 = new LinkedHashMap<>();
    private final Map<String, List<double[]>> load = new LinkedHashMap<>();
    private List<double[]> p99Line;
    private List<double[]> server0;
    private List<double[]> server1;
    private double worstBefore;
    private double worstAfter;

    LoadStepSeries(double stepMs) {
        this.stepMs = stepMs;
    }

    void startRun(String policy) {
        p99Line = new ArrayList<>();
        server0 = new ArrayList<>();
        server1 = new ArrayList<>();
        p99.put(policy, p99Line);
        load.put(policy + " server 0", server0);
        load.put(policy + " server 1", server1);
        worstBefore = 0;
        worstAfter = 0;
    }

    /** One window of the current run; {@code hasP99}: it had responses (else no p99 point is drawn). */
    void window(double timeMs, double p99Micros, boolean hasP99, double server0Rps, double server1Rps) {
        if (hasP99) {
            p99Line.add(new double[] {timeMs, Math.max(1, p99Micros)}); // log scale: no zero
        }
        server0.add(new double[] {timeMs, server0Rps});
        server1.add(new double[] {timeMs, server1Rps});
        if (timeMs <= stepMs) {
            worstBefore = Math.max(worstBefore, p99Micros);
        } else {
            worstAfter = Math.max(worstAfter, p99Micros);
        }
    }

    /** The current run's worst window p99 up to the step, in microseconds. */
    double worstBefore() {
        return worstBefore;
    }

    /** The current run's worst window p99 after the step, in microseconds. */
    double worstAfter() {
        return worstAfter;
    }

    /** Draws p99 over time (log scale) and the load per server over time. */
    void draw(Path p99File, String p99Title, Path loadFile, String loadTitle) throws IOException {
        Charts.lines(p99File, p99Title, "time (ms; server 0's load steps at " + (long) stepMs + " ms)",
                "p99 latency (us, log scale)", p99, true);
        Charts.lines(loadFile, loadTitle, "time (ms)", "requests/s per server", load, false);
    }
}
