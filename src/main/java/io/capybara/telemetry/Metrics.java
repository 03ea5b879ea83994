package io.capybara.telemetry;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The metrics of one node process, named by Prometheus conventions
 * ({@code capybara_<node>_<what>_total} for counters, base units such as seconds), registered
 * as callbacks that read the node's own counters at scrape time. Serve {@link #registry()}
 * with {@link MetricsEndpoint}. See the package comment for the threading rules.
 */
public final class Metrics {
    /** Upper bounds (seconds) of the exported histograms: 1 us .. 10 s, then +Inf. */
    static final double[] BOUNDS_SECONDS = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3,
            1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2, 5, 10, Double.POSITIVE_INFINITY};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final List<Runnable> publishers = new ArrayList<>();

    public PrometheusRegistry registry() {
        return registry;
    }

    /** A counter read at scrape time. {@code name} ends in {@code _total}. */
    public Metrics counter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(counterBase(name)).help(help)
                .callback(cb -> cb.call(value.getAsLong())).register(registry);
        return this;
    }

    /**
     * A counter with one label: one series per map entry, e.g.
     * {@code capybara_switch_dropped_total{reason="malformed"}}.
     */
    public Metrics counter(String name, String help, String label, Map<String, LongSupplier> values) {
        Map<String, LongSupplier> copy = new LinkedHashMap<>(values);
        CounterWithCallback.builder().name(counterBase(name)).help(help).labelNames(label)
                .callback(cb -> copy.forEach((v, s) -> cb.call(s.getAsLong(), v))).register(registry);
        return this;
    }

    /** A gauge read at scrape time. */
    public Metrics gauge(String name, String help, DoubleSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble()))
                .register(registry);
        return this;
    }

    /** A gauge with one label: one series per map entry. */
    public Metrics gauge(String name, String help, String label, Map<String, DoubleSupplier> values) {
        Map<String, DoubleSupplier> copy = new LinkedHashMap<>(values);
        GaugeWithCallback.builder().name(name).help(help).labelNames(label)
                .callback(cb -> copy.forEach((v, s) -> cb.call(s.getAsDouble(), v))).register(registry);
        return this;
    }

    /**
     * Histograms of nanosecond samples, exported in seconds with one label, e.g.
     * {@code capybara_migration_step_seconds{step="origin_serialize"}}. The sources are
     * HdrHistograms that only the node's thread touches: {@link #publish()} (on that thread)
     * copies them for the scrape, which reads the last copy.
     */
    public Metrics histograms(String name, String help, String label, Map<String, Supplier<Histogram>> sources) {
        List<Published> series = new ArrayList<>();
        sources.forEach((value, source) -> series.add(new Published(value, source)));
        publishers.add(() -> series.forEach(Published::publish));
        registry.register(new Collector() {
            @Override
            public MetricSnapshot collect() {
                HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(secondsBase(name)).help(help);
                series.forEach(p -> b.dataPoint(p.snapshot(label)));
                return b.build();
            }

            @Override
            public String getPrometheusName() {
                return secondsBase(name);
            }
        });
        return this;
    }

    /** One histogram of nanosecond samples, exported in seconds; see {@link #histograms}. */
    public Metrics histogram(String name, String help, Supplier<Histogram> source) {
        return histograms(name, help, null, Map.of("", source));
    }

    /** Copies what a scrape cannot read across threads. Call from the node's own thread, e.g. once a second. */
    public void publish() {
        publishers.forEach(Runnable::run);
    }

    /** {@code SOME_COUNTER} -> {@code some_counter}. */
    public static String snake(String constant) {
        return constant.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** The client library adds {@code _total} itself. */
    private static String counterBase(String name) {
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("a counter's name ends in _total: " + name);
        }
        return name.substring(0, name.length() - "_total".length());
    }

    private static String secondsBase(String name) {
        if (!name.endsWith("_seconds")) {
            throw new IllegalArgumentException("a duration histogram's name ends in _seconds: " + name);
        }
        return name;
    }

    /** One histogram series: the node thread's source and the copy a scrape reads. */
    private static final class Published {
        private final String labelValue;
        private final Supplier<Histogram> source;
        private Histogram copy;

        Published(String labelValue, Supplier<Histogram> source) {
            this.labelValue = labelValue;
            this.source = source;
        }

        synchronized void publish() {
            Histogram h = source.get();
            if (copy == null) {
                copy = h.copy();
            } else {
                h.copyInto(copy);
            }
        }

        synchronized HistogramSnapshot.HistogramDataPointSnapshot snapshot(String label) {
            long[] counts = new long[BOUNDS_SECONDS.length];
            double sumSeconds = 0;
            if (copy != null) {
                long below = 0;
                for (int i = 0; i < BOUNDS_SECONDS.length - 1; i++) {
                    long upToBound = copy.getCountBetweenValues(0, (long) (BOUNDS_SECONDS[i] * 1e9));
                    counts[i] = upToBound - below;
                    below = upToBound;
                }
                counts[counts.length - 1] = copy.getTotalCount() - below;
                sumSeconds = copy.getMean() * copy.getTotalCount() / 1e9;
            }
            return HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_SECONDS, counts))
                    .sum(sumSeconds).labels(label == null ? Labels.EMPTY : Labels.of(label, labelValue)).build();
        }
    }
}
