/**
 * What a running node tells its operator: Prometheus metrics on {@code --metrics HOST:PORT}
 * ({@link io.capybara.telemetry.MetricsEndpoint}, {@link io.capybara.telemetry.Metrics}) and
 * log lines for events ({@link io.capybara.telemetry.Logs}), for the switch
 * ({@link io.capybara.telemetry.SwitchTelemetry}) and a host
 * ({@link io.capybara.telemetry.HostTelemetry}).
 *
 * <p>Threading: a node's loop is one thread and its counters are plain {@code long}s that only
 * it writes. A scrape runs on the HTTP server's thread and reads those counters directly at
 * scrape time: each read is one aligned 64-bit load (atomic on the 64-bit JVMs this project
 * targets), at worst a few microseconds stale, and the per-packet path is untouched (no
 * volatile, no lock). What cannot be read from another thread safely (histograms, tables) the
 * node's loop publishes from its once-a-second tick ({@link Metrics#publish()}); a scrape
 * reads the last published copy. Log lines are written from the same tick, after counters
 * changed, never from the per-packet path.
 */
package io.capybara.telemetry;
