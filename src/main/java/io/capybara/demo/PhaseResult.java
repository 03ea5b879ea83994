package io.capybara.demo;

import org.HdrHistogram.Histogram;

/**
 * What one phase of the experiment measured. Latencies in nanoseconds of virtual time, from
 * each request's intended send time to its response's arrival.
 *
 * @param migrationEnabled   whether the servers ran their migration engines
 * @param issued             requests the schedule put on a connection
 * @param completed          responses received and checked (status, length, every body byte)
 * @param errors             failed requests: not queueable, bad response, connection broken
 * @param clientResets       client connections ended by a RST
 * @param served             requests whose service demand a server took, over all servers
 * @param scheduleNanos      length of the arrival schedule
 * @param activeNanos        from the schedule's start until the last response arrived (at least
 *                           the schedule): throughput and utilization are over this span
 * @param virtualNanos       virtual time of the phase, connection setup and drain included
 * @param wallNanos          wall-clock time the phase took on this machine
 * @param latency            the latency histogram (ns)
 * @param migrations         migrations completed (CONN_STATE acknowledged)
 * @param migrationsStarted  migrations begun (policy decisions and manual triggers)
 * @param migrationsAborted  migrations that ended with the connection kept by its origin
 * @param manualTriggered    of the started ones, triggered by hand
 * @param overhead           per-migration server overhead (origin + target steps, measured
 *                           with System.nanoTime on this JVM), ns; empty with migration off
 * @param blackout           per-migration blackout (target's PREPARE_MIG_ACK until it serves the
 *                           connection), virtual ns; empty with migration off
 * @param perServerServed    requests served by each server
 * @param perServerBusyNanos CPU busy time of each server (service plus migration work)
 * @param frames             frames delivered over all links
 * @param traceHash          hash over every delivered frame: equal runs have equal hashes
 * @param counters           non-zero counters: migration engines' (summed over servers, lower
 *                           case), the switch's ({@code switch_} prefix), server-side resets
 * @param steps              per migration step (engine's names, e.g. {@code origin_serialize}),
 *                           its measured durations in ns, as {@code overhead}; empty with migration off
 */
public record PhaseResult(boolean migrationEnabled, long issued, long completed, long errors, long clientResets,
                          long served, long scheduleNanos, long activeNanos, long virtualNanos, long wallNanos, Histogram latency,
                          long migrations, long migrationsStarted, long migrationsAborted, long manualTriggered,
                          Histogram overhead, Histogram blackout, long[] perServerServed,
                          long[] perServerBusyNanos, long frames, long traceHash,
                          java.util.Map<String, Long> counters, java.util.Map<String, Histogram> steps) {

    /** Responses per second from the first request's slot until the last response. */
    public double throughputRps() {
        return completed * 1e9 / activeNanos;
    }

    public long p50Nanos() {
        return latency.getValueAtPercentile(50);
    }

    public long p99Nanos() {
        return latency.getValueAtPercentile(99);
    }

    public long p999Nanos() {
        return latency.getValueAtPercentile(99.9);
    }

    public long maxNanos() {
        return latency.getMaxValue();
    }

    public double meanNanos() {
        return latency.getMean();
    }

    /** Share of the active span each server's CPU was busy (service and migration work). */
    public double utilization(int server) {
        return perServerBusyNanos[server] / (double) activeNanos;
    }

    /** A one-line digest for logs and assertion messages. */
    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "%s: issued=%d completed=%d errors=%d resets=%d served=%d p50=%dus p99=%dus p99.9=%dus "
                        + "migrations=%d/%d aborted=%d",
                migrationEnabled ? "migrating" : "static", issued, completed, errors, clientResets, served,
                p50Nanos() / 1000, p99Nanos() / 1000, p999Nanos() / 1000, migrations, migrationsStarted,
                migrationsAborted);
    }
}
