package io.capybara.app;

/**
 * Why a request was not served with 200, and the status it gets. Terminal errors close the
 * connection after their response (the framing of the byte stream can no longer be trusted);
 * the others leave a keep-alive connection open.
 */
public enum RequestError {
    /** Request line not {@code method SP origin-form SP HTTP/x.y}, or a bad target byte. */
    BAD_REQUEST_LINE(400, true),
    /** A CR not followed by LF. */
    BARE_CR(400, true),
    /** Header line without a colon, empty or invalid name, whitespace before the colon,
     *  obs-fold continuation line, or a NUL/CTL/DEL byte in a value. */
    BAD_HEADER(400, true),
    /** Content-Length not plain digits, too long a number, or two different values. */
    BAD_CONTENT_LENGTH(400, true),
    /** HTTP/1.1 request without a Host header (RFC 9112 section 3.2). */
    MISSING_HOST(400, true),
    /** More than one Host header. */
    DUPLICATE_HOST(400, true),
    /** Syntactically valid version other than HTTP/1.0 and HTTP/1.1. */
    UNSUPPORTED_VERSION(505, true),
    /**
     * Request head larger than {@code maxHeaderBytes}. RFC 6585 would say 431; the project's
     * issue asks for 413, which we send.
     */
    HEAD_TOO_LARGE(413, true),
    /** The request line alone did not end within {@code maxHeaderBytes}. */
    REQUEST_LINE_TOO_LONG(414, true),
    /** Content-Length above {@code maxBodyBytes}. */
    BODY_TOO_LARGE(413, true),
    /** Any Transfer-Encoding (chunked request bodies are not implemented). */
    TRANSFER_ENCODING(501, true),
    /** A valid method other than GET and HEAD; the body is skipped, keep-alive honoured. */
    METHOD_NOT_ALLOWED(405, false),
    /** {@code /bytes/N} with N empty, not decimal, or above {@code maxResponseBytes}. */
    BAD_BYTES_COUNT(400, false),
    /** Any path other than {@code /} and {@code /bytes/N}. */
    NOT_FOUND(404, false);

    private final int status;
    private final boolean terminal;

    RequestError(int status, boolean terminal) {
        this.status = status;
        this.terminal = terminal;
    }

    public int status() {
        return status;
    }

    public boolean terminal() {
        return terminal;
    }
}
