package io.capybara.telemetry;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves a registry in the Prometheus text format on {@code http://HOST:PORT/metrics} (a kernel
 * socket on a management address, the JDK's HTTP server through the Prometheus client's
 * exporter), one daemon thread, so a scrape never competes with the node loop for more than
 * one core.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HTTPServer server;
    private final ExecutorService executor;
    private final String host;

    private MetricsEndpoint(HTTPServer server, ExecutorService executor, String host) {
        this.server = server;
        this.executor = executor;
        this.host = host;
    }

    /**
     * Listens on {@code hostPort} ({@code HOST:PORT}; port 0 picks a free one, see {@link #port()}).
     *
     * @throws IllegalArgumentException if {@code hostPort} is malformed
     * @throws IOException if the address cannot be bound
     */
    public static MetricsEndpoint start(String hostPort, PrometheusRegistry registry) throws IOException {
        InetSocketAddress a = parse(hostPort);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "capybara-metrics");
            t.setDaemon(true);
            return t;
        });
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(a.getAddress()).port(a.getPort()).registry(registry)
                    .executorService(executor).buildAndStart();
            return new MetricsEndpoint(server, executor, a.getHostString());
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    /** {@code HOST:PORT} or {@code [V6]:PORT}, resolved. */
    public static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, e.g. 127.0.0.1:9100");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + hostPort.substring(colon + 1) + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("unknown host '" + host + "'");
        }
        return a;
    }

    public int port() {
        return server.getPort();
    }

    /** Where to scrape. */
    public String url() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port() + "/metrics";
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
