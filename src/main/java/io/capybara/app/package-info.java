/**
 * Applications on the Capybara-J stack, sans-IO: codecs and per-connection state machines that
 * a host adapter drives with bytes and {@code long nowNanos}. Nothing here reads a clock,
 * starts a thread, or allocates per request.
 *
 * <h2>HTTP/1.1 server</h2>
 * {@link io.capybara.app.HttpServerSession} per connection (parser:
 * {@link io.capybara.app.HttpRequestParser}, config: {@link io.capybara.app.HttpServerConfig}).
 * <ul>
 *   <li>{@code GET /} -> 200, body {@code "Hello from Capybara-J\n"} (22 bytes).</li>
 *   <li>{@code GET /bytes/N} -> 200, N bytes of {@link io.capybara.app.BytesContent}
 *       ({@code 0 <= N <= maxResponseBytes}, default 64 MiB; decimal, leading zeros allowed; a
 *       query string is ignored). Anything else after {@code /bytes/} -> 400, connection kept.</li>
 *   <li>HEAD: the head GET would get (same Content-Length), no body. Other paths -> 404.</li>
 *   <li>Other methods (any valid token) -> 405 with {@code Allow: GET, HEAD}; their
 *       Content-Length body is skipped and keep-alive honoured.</li>
 *   <li>HTTP/1.1 keeps alive unless {@code Connection: close}; HTTP/1.0 closes unless
 *       {@code Connection: keep-alive} (then the response confirms it). Requests after a
 *       closing one are not answered.</li>
 *   <li>Every response: {@code HTTP/1.1}, {@code Content-Type: text/plain}, Content-Length;
 *       no Date header (output is a pure function of the input).</li>
 *   <li>Bare LF line endings are accepted (RFC 9112 section 2.2); a CR not followed by LF is
 *       400. Empty lines before a request line are skipped.</li>
 *   <li>HTTP/1.1 without exactly one Host -> 400 (1.0: at most one). Transfer-Encoding
 *       (chunked request bodies) -> 501. Request head above {@code maxHeaderBytes} (default
 *       8 KiB, counted with line endings) -> 413 as the issue asks (RFC 6585 would say 431), or
 *       414 if the request line itself did not end within the bound. Content-Length above
 *       {@code maxBodyBytes} -> 413. Those, and every malformed line, close the connection
 *       after the response. See {@link io.capybara.app.RequestError} for the full list.</li>
 * </ul>
 *
 * <h2>Load generator</h2>
 * {@link io.capybara.app.OpenLoopSchedule} (Poisson arrivals, {@link io.capybara.app.UniformSkew}
 * or {@link io.capybara.app.ZipfSkew} over connections), {@link io.capybara.app.LoadGenerator}
 * (dispatch of due requests), {@link io.capybara.app.LoadConnection} (per connection: request
 * bytes out, responses in, matched to intended send times), {@link io.capybara.app.HttpRequestWriter},
 * {@link io.capybara.app.HttpResponseParser} and {@link io.capybara.app.LatencyRecorder}
 * (HdrHistogram; latency from the intended send time, so no coordinated omission).
 */
package io.capybara.app;
