package io.capybara.app;

import org.agrona.DirectBuffer;

/**
 * Incremental HTTP/1.1 request parser over bytes fed in arbitrary chunks. It stops after each
 * complete request head so pipelined requests come out one at a time; the caller reads the
 * request's fields and calls {@link #parse} again with the rest.
 *
 * <p>Accepted: methods GET and HEAD (any other valid method gets 405 with {@code Allow}),
 * HTTP/1.1 and HTTP/1.0, origin-form targets, lines ending in CRLF or a bare LF (RFC 9112
 * section 2.2 allows recognising a bare LF), empty lines before the request line, a
 * Content-Length body that is read and discarded. Rejected: see {@link RequestError}; after a
 * terminal error, and after a request that will close the connection, every further byte is
 * consumed and ignored. Never throws on any input.
 *
 * <p>No allocation per request: the head is kept in a fixed array, fields are compared against
 * byte constants.
 */
public final class HttpRequestParser {
    /** Response body: the fixed root page. */
    public static final int ROUTE_ROOT = 0;
    /** Response body: N bytes of {@link BytesContent}. */
    public static final int ROUTE_BYTES = 1;
    /** Response body: the status text (errors, 404, 405). */
    public static final int ROUTE_STATUS_TEXT = 2;

    static final int PHASE_HEAD = 0;
    static final int PHASE_BODY = 1;
    static final int PHASE_DISCARD = 2;

    private static final byte[] GET = Ascii.bytes("GET");
    private static final byte[] HEAD = Ascii.bytes("HEAD");
    private static final byte[] HTTP_SLASH = Ascii.bytes("HTTP/");
    /** The paths served (the load generator's {@link HttpRequestWriter} asks for them). */
    static final byte[] ROOT_PATH = Ascii.bytes("/");
    static final byte[] BYTES_PREFIX = Ascii.bytes("/bytes/");
    private static final RequestError[] ERRORS = RequestError.values();

    private final HttpServerConfig config;
    private final HeaderSection head;
    private final long[] errorCounts = new long[ERRORS.length];
    private long requests;
    private long discardedBytes;

    private int phase = PHASE_HEAD;
    private long bodyRemaining;

    // The request completed by the last parse() call.
    private boolean ready;
    private RequestError error;
    /** A non-terminal error found in the request line, applied once the headers proved valid. */
    private RequestError routeError;
    private int route;
    private long bytesCount;
    private boolean headMethod;
    private boolean close;
    private boolean http10;

    public HttpRequestParser(HttpServerConfig config) {
        this.config = config;
        this.head = new HeaderSection(config.maxHeaderBytes());
    }

    /**
     * Consumes bytes up to and including the end of the next request head (or all of them).
     *
     * @return bytes consumed; if {@link #hasRequest()} a request was completed by this call
     */
    public int parse(DirectBuffer src, int offset, int length) {
        ready = false;
        int consumed = 0;
        while (consumed < length) {
            if (phase == PHASE_DISCARD) {
                discardedBytes += length - consumed;
                return length;
            }
            if (phase == PHASE_BODY) {
                int take = (int) Math.min(bodyRemaining, length - consumed);
                consumed += take;
                bodyRemaining -= take;
                if (bodyRemaining == 0) {
                    phase = PHASE_HEAD;
                }
                continue;
            }
            consumed += head.append(src, offset + consumed, length - consumed);
            if (head.complete()) {
                decode();
                head.reset();
                finishRequest();
                return consumed;
            }
            if (head.full()) {
                reset(head.onStartLine() ? RequestError.REQUEST_LINE_TOO_LONG : RequestError.HEAD_TOO_LARGE);
                head.reset();
                finishRequest();
                return consumed;
            }
        }
        return consumed;
    }

    private void finishRequest() {
        ready = true;
        requests++;
        if (error != null) {
            errorCounts[error.ordinal()]++;
            if (error.terminal()) {
                close = true;
            }
        }
        if (close) {
            phase = PHASE_DISCARD; // nothing after a closing request is answered
            bodyRemaining = 0;
        } else {
            phase = bodyRemaining > 0 ? PHASE_BODY : PHASE_HEAD;
        }
    }

    private void reset(RequestError e) {
        error = e;
        routeError = null;
        route = ROUTE_STATUS_TEXT;
        bytesCount = 0;
        headMethod = false;
        close = false;
        http10 = false;
        bodyRemaining = 0;
    }

    private void decode() {
        reset(null);
        int lineEnd = head.startLineEnd();
        if (lineEnd < 0) {
            error = RequestError.BARE_CR;
            return;
        }
        if (!decodeRequestLine(head.bytes(), head.start(), lineEnd)) {
            return;
        }
        long contentLength = -1;
        int hosts = 0;
        boolean transferEncoding = false;
        byte[] b = head.bytes();
        int line;
        while ((line = head.nextField()) == HeaderSection.FIELD) {
            for (int i = head.valueStart(); i < head.valueEnd(); i++) {
                if (!Ascii.isFieldValueByte(b[i])) {
                    error = RequestError.BAD_HEADER;
                    return;
                }
            }
            if (head.nameIs(HeaderSection.HOST)) {
                hosts++;
            } else if (head.nameIs(HeaderSection.CONTENT_LENGTH)) {
                long value = head.valueAsDecimal(HttpServerConfig.LIMIT_CEILING);
                if (value < 0 || (contentLength >= 0 && value != contentLength)) {
                    error = RequestError.BAD_CONTENT_LENGTH;
                    return;
                }
                contentLength = value;
            } else if (head.nameIs(HeaderSection.TRANSFER_ENCODING)) {
                transferEncoding = true;
            }
        }
        if (line != HeaderSection.END) {
            error = line == HeaderSection.BARE_CR ? RequestError.BARE_CR : RequestError.BAD_HEADER;
            return;
        }
        if (hosts > 1) {
            error = RequestError.DUPLICATE_HOST;
        } else if (hosts == 0 && !http10) {
            error = RequestError.MISSING_HOST;
        } else if (transferEncoding) {
            error = RequestError.TRANSFER_ENCODING;
        } else if (contentLength > config.maxBodyBytes()) {
            error = RequestError.BODY_TOO_LARGE;
        }
        if (error != null) {
            return;
        }
        close = !head.persistent(http10);
        bodyRemaining = Math.max(contentLength, 0);
        error = routeError;
    }

    /** Decodes {@code method SP target SP version}; on failure sets {@link #error}. */
    private boolean decodeRequestLine(byte[] b, int from, int to) {
        int sp1 = Ascii.indexOf(b, from, to, Ascii.SP);
        int sp2 = sp1 < 0 ? -1 : Ascii.indexOf(b, sp1 + 1, to, Ascii.SP);
        if (sp1 <= from || sp2 <= sp1 + 1 || !Ascii.allTchar(b, from, sp1)) {
            error = RequestError.BAD_REQUEST_LINE;
            return false;
        }
        int v = sp2 + 1;
        if (to - v != 8 || !Ascii.startsWith(b, v, to, HTTP_SLASH) || !Ascii.isDigit(b[v + 5])
                || b[v + 6] != '.' || !Ascii.isDigit(b[v + 7])) {
            error = RequestError.BAD_REQUEST_LINE;
            return false;
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            int c = b[i] & 0xFF;
            if (c <= 0x20 || c >= 0x7F) {
                error = RequestError.BAD_REQUEST_LINE;
                return false;
            }
        }
        if (b[sp1 + 1] != '/') {
            error = RequestError.BAD_REQUEST_LINE; // only origin-form is served
            return false;
        }
        headMethod = Ascii.equals(b, from, sp1, HEAD);
        if (b[v + 5] != '1' || (b[v + 7] != '0' && b[v + 7] != '1')) {
            error = RequestError.UNSUPPORTED_VERSION;
            return false;
        }
        http10 = b[v + 7] == '0';
        if (!headMethod && !Ascii.equals(b, from, sp1, GET)) {
            routeError = RequestError.METHOD_NOT_ALLOWED;
            return true;
        }
        decodeTarget(b, sp1 + 1, sp2);
        return true;
    }

    private void decodeTarget(byte[] b, int from, int to) {
        int query = Ascii.indexOf(b, from, to, (byte) '?');
        int pathEnd = query < 0 ? to : query;
        if (Ascii.equals(b, from, pathEnd, ROOT_PATH)) {
            route = ROUTE_ROOT;
        } else if (Ascii.startsWith(b, from, pathEnd, BYTES_PREFIX)) {
            long n = Ascii.parseDecimal(b, from + BYTES_PREFIX.length, pathEnd, config.maxResponseBytes());
            if (n < 0) {
                routeError = RequestError.BAD_BYTES_COUNT;
            } else {
                route = ROUTE_BYTES;
                bytesCount = n;
            }
        } else {
            routeError = RequestError.NOT_FOUND;
        }
    }

    /** True if the last {@link #parse} call completed a request. */
    /** True while part of a request head has arrived and the rest has not. */
    public boolean headInProgress() {
        return phase == PHASE_HEAD && head.length() > 0;
    }

    public boolean hasRequest() {
        return ready;
    }

    /** The completed request's error, or null when it is served with 200. */
    public RequestError error() {
        return error;
    }

    /** Status of the completed request's response. */
    public int status() {
        return error == null ? 200 : error.status();
    }

    /** {@link #ROUTE_ROOT}, {@link #ROUTE_BYTES} or {@link #ROUTE_STATUS_TEXT}. */
    public int route() {
        return route;
    }

    /** N of {@code /bytes/N}. */
    public long bytesCount() {
        return bytesCount;
    }

    public boolean isHead() {
        return headMethod;
    }

    /** The connection closes after this request's response. */
    public boolean closesConnection() {
        return close;
    }

    public boolean isHttp10() {
        return http10;
    }

    /** Requests completed so far (rejected ones included). */
    public long requests() {
        return requests;
    }

    /** Requests answered with {@code e}. */
    public long errorCount(RequestError e) {
        return errorCounts[e.ordinal()];
    }

    /** Bytes received after a closing request, ignored. */
    public long discardedBytes() {
        return discardedBytes;
    }

    /** Ignores all further input (e.g. the peer half-closed, or the server is closing). */
    public void discardRest() {
        phase = PHASE_DISCARD;
        bodyRemaining = 0;
        head.reset();
    }

    // ---- state for snapshot / restore ----

    int phase() {
        return phase;
    }

    long bodyRemaining() {
        return bodyRemaining;
    }

    HeaderSection headSection() {
        return head;
    }

    /** Restores the between-requests state; the caller validated the values. */
    boolean restore(int phase, long bodyRemaining, DirectBuffer headBytes, int offset, int length) {
        this.ready = false;
        this.phase = phase;
        this.bodyRemaining = bodyRemaining;
        return head.restore(headBytes, offset, length);
    }
}
