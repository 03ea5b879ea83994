package io.capybara.app;

/**
 * Limits and service model of the HTTP server.
 *
 * @param maxHeaderBytes   bound of one request head (request line + header fields + the empty
 *                         line, line endings included); beyond it the request gets 413 (or 414
 *                         while still on the request line) and the connection closes
 * @param maxBodyBytes     largest accepted request Content-Length (the body is read and
 *                         discarded); beyond it 413 and close
 * @param maxResponseBytes largest N of {@code GET /bytes/N}; beyond it 400 (connection kept)
 * @param maxPipelined     requests parsed but not yet fully answered, per connection; when
 *                         reached the session stops taking input (back-pressure)
 * @param serviceTimeMicros service demand of every request, reported by
 *                         {@link HttpServerSession#serveNext()} for the server loop to spend
 * @param headerTimeoutNanos time a request's head may take to arrive, from the connection's
 *                         start (first request) or the request's first byte (later ones); then
 *                         408 and close (slowloris). 0 = no limit
 * @param maxConnections   connections served at once; beyond, a new connection is reset and
 *                         counted ({@link HttpServerApp#refusedAtLimit()}). 0 = no limit
 */
public record HttpServerConfig(int maxHeaderBytes, long maxBodyBytes, long maxResponseBytes,
                               int maxPipelined, long serviceTimeMicros, long headerTimeoutNanos,
                               int maxConnections) {

    public static final int DEFAULT_MAX_HEADER_BYTES = 8 * 1024;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 64L * 1024 * 1024;
    public static final int DEFAULT_MAX_PIPELINED = 128;
    /** As Apache's mod_reqtimeout (header=20): a head must arrive within 20 s. */
    public static final long DEFAULT_HEADER_TIMEOUT_NANOS = 20_000_000_000L;
    /** Keeps every parsed number far from long overflow. */
    static final long LIMIT_CEILING = 1L << 48;

    public HttpServerConfig {
        if (maxHeaderBytes < 64 || maxHeaderBytes > 1 << 20) {
            throw new IllegalArgumentException("maxHeaderBytes out of [64, 1 MiB]: " + maxHeaderBytes);
        }
        if (maxBodyBytes < 0 || maxBodyBytes > LIMIT_CEILING) {
            throw new IllegalArgumentException("maxBodyBytes out of range: " + maxBodyBytes);
        }
        if (maxResponseBytes < 0 || maxResponseBytes > LIMIT_CEILING) {
            throw new IllegalArgumentException("maxResponseBytes out of range: " + maxResponseBytes);
        }
        if (maxPipelined < 1 || maxPipelined > 1 << 16) {
            throw new IllegalArgumentException("maxPipelined out of [1, 65536]: " + maxPipelined);
        }
        if (serviceTimeMicros < 0 || serviceTimeMicros > 1_000_000_000L) {
            throw new IllegalArgumentException("serviceTimeMicros out of range: " + serviceTimeMicros);
        }
        if (headerTimeoutNanos < 0 || maxConnections < 0) {
            throw new IllegalArgumentException("headerTimeoutNanos and maxConnections must be >= 0");
        }
    }

    /**
     * 8 KiB heads, 1 MiB request bodies, 64 MiB responses, 128 pipelined, no service time, 20 s
     * for a head, no connection limit.
     */
    public static HttpServerConfig defaults() {
        return new HttpServerConfig(DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_BODY_BYTES,
                DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_PIPELINED, 0, DEFAULT_HEADER_TIMEOUT_NANOS, 0);
    }

    public HttpServerConfig withHeaderTimeoutNanos(long nanos) {
        return new HttpServerConfig(maxHeaderBytes, maxBodyBytes, maxResponseBytes, maxPipelined, serviceTimeMicros,
                nanos, maxConnections);
    }

    public HttpServerConfig withMaxConnections(int n) {
        return new HttpServerConfig(maxHeaderBytes, maxBodyBytes, maxResponseBytes, maxPipelined, serviceTimeMicros,
                headerTimeoutNanos, n);
    }

    public HttpServerConfig withServiceTimeMicros(long micros) {
        return new HttpServerConfig(maxHeaderBytes, maxBodyBytes, maxResponseBytes, maxPipelined, micros,
                headerTimeoutNanos, maxConnections);
    }

    public HttpServerConfig withMaxPipelined(int requests) {
        return new HttpServerConfig(maxHeaderBytes, maxBodyBytes, maxResponseBytes, requests,
                serviceTimeMicros, headerTimeoutNanos, maxConnections);
    }

    public HttpServerConfig withMaxHeaderBytes(int bytes) {
        return new HttpServerConfig(bytes, maxBodyBytes, maxResponseBytes, maxPipelined, serviceTimeMicros,
                headerTimeoutNanos, maxConnections);
    }

    public HttpServerConfig withMaxResponseBytes(long bytes) {
        return new HttpServerConfig(maxHeaderBytes, maxBodyBytes, bytes, maxPipelined, serviceTimeMicros,
                headerTimeoutNanos, maxConnections);
    }

    public long serviceTimeNanos() {
        return serviceTimeMicros * 1000;
    }
}
