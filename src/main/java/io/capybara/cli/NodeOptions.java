package io.capybara.cli;

import io.capybara.telemetry.Metrics;
import io.capybara.telemetry.MetricsEndpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every long-running node command takes, with one meaning everywhere
 * ({@code @Mixin NodeOptions node;}): {@code --duration} (seconds, decimal), {@code --metrics},
 * {@code --json}, {@code --pcap}, {@code --quiet}.
 */
public final class NodeOptions {
    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Stop after this many seconds, e.g. 2.5 (default: run until interrupted).")
    Double duration;
    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics on http://HOST:PORT/metrics (port 0: any free port; the URL is printed).")
    String metrics;
    @Option(names = "--json", description = "At exit, print the final counters as one JSON object on stdout "
            + "(status lines go to stderr).")
    boolean json;
    @Option(names = "--pcap", paramLabel = "FILE", description = "Record every frame sent and received into this pcap file.")
    Path pcap;
    @Option(names = "--quiet", description = "No periodic counter line.")
    boolean quiet;

    /** Range checks; call first. */
    void check() {
        Args.positive("--duration", duration);
        if (metrics != null) {
            try {
                MetricsEndpoint.parse(metrics);
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--metrics " + metrics, e.getMessage());
            }
        }
    }

    /** Where status lines go: stdout, or stderr when stdout carries the JSON. */
    PrintStream status() {
        return json ? System.err : System.out;
    }

    /** Starts the endpoint if {@code --metrics} was given (else null) and prints its URL. */
    MetricsEndpoint startMetrics(Metrics m) {
        if (metrics == null) {
            return null;
        }
        try {
            MetricsEndpoint e = MetricsEndpoint.start(metrics, m.registry());
            status().println("metrics: " + e.url());
            return e;
        } catch (IOException e) {
            throw CliException.usage("--metrics " + metrics, "cannot listen: " + e.getMessage(), e);
        }
    }
}
