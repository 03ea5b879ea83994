package io.capybara.app;

import org.agrona.DirectBuffer;

/**
 * Incremental HTTP/1.x response parser for the load generator and tests. Bytes come in
 * arbitrary chunks; {@link #parse} stops after each complete response so the caller can record
 * it ({@link #status()}, {@link #contentLength()}, {@link #keepAlive()}, {@link #contentOk()}).
 *
 * <p>Framing is by Content-Length only (what our server sends): a body-bearing response without
 * it, a Transfer-Encoding, or a 1xx interim response is an {@link Error}. Bodies are counted,
 * not stored; with {@link #verifyBytesContent(boolean)} each body byte is checked against
 * {@link BytesContent}. Responses to HEAD requests carry no body: say so with
 * {@link #expectHead(boolean)} before the response starts. After an error the parser takes no
 * more bytes: close the connection. Never throws on any input; no allocation per response.
 */
public final class HttpResponseParser {
    /** Why a response stream was rejected. */
    public enum Error {
        BAD_STATUS_LINE, BARE_CR, BAD_HEADER, BAD_CONTENT_LENGTH, MISSING_CONTENT_LENGTH,
        TRANSFER_ENCODING, INTERIM_RESPONSE, HEAD_TOO_LARGE
    }

    private static final byte[] HTTP1 = Ascii.bytes("HTTP/1.");
    /** Largest Content-Length accepted (far below long overflow). */
    private static final long MAX_CONTENT_LENGTH = 1L << 48;

    private final HeaderSection head;
    private boolean expectHead;
    private boolean verify;

    private boolean inBody;
    private boolean ready;
    private Error error;
    private long responses;

    // The response being received / just completed.
    private int status;
    private long contentLength;
    private long bodyReceived;
    private boolean keepAlive;
    private long firstMismatch = -1;

    public HttpResponseParser(int maxHeaderBytes) {
        head = new HeaderSection(maxHeaderBytes);
    }

    /** Whether the responses from now on answer HEAD requests (no body). Sticky. */
    public void expectHead(boolean head) {
        this.expectHead = head;
    }

    /** Whether body bytes from now on are checked against {@link BytesContent}. Sticky. */
    public void verifyBytesContent(boolean verify) {
        this.verify = verify;
    }

    /**
     * Consumes bytes up to the end of the next response (or all of them).
     *
     * @return bytes consumed; {@link #hasResponse()} tells whether a response completed
     */
    public int parse(DirectBuffer src, int offset, int length) {
        ready = false;
        int consumed = 0;
        while (consumed < length && error == null) {
            if (inBody) {
                int take = (int) Math.min(contentLength - bodyReceived, length - consumed);
                if (verify) {
                    checkBody(src, offset + consumed, take);
                }
                bodyReceived += take;
                consumed += take;
                if (bodyReceived == contentLength) {
                    complete();
                    return consumed;
                }
                continue;
            }
            consumed += head.append(src, offset + consumed, length - consumed);
            if (head.complete()) {
                decodeHead();
                head.reset();
                if (error != null) {
                    return consumed;
                }
                if (contentLength == 0) {
                    complete();
                    return consumed;
                }
                inBody = true;
            } else if (head.full()) {
                error = Error.HEAD_TOO_LARGE;
            }
        }
        return consumed;
    }

    private void checkBody(DirectBuffer src, int offset, int length) {
        if (firstMismatch >= 0) {
            return;
        }
        for (int i = 0; i < length; i++) {
            if (src.getByte(offset + i) != BytesContent.byteAt(bodyReceived + i)) {
                firstMismatch = bodyReceived + i;
                return;
            }
        }
    }

    private void complete() {
        inBody = false;
        ready = true;
        responses++;
    }

    private void decodeHead() {
        status = 0;
        contentLength = -1;
        bodyReceived = 0;
        firstMismatch = -1;
        byte[] b = head.bytes();
        int p = head.start();
        int lineEnd = head.startLineEnd();
        if (lineEnd < 0) {
            error = Error.BARE_CR;
            return;
        }
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (lineEnd - p < 12 || !Ascii.startsWith(b, p, lineEnd, HTTP1) || !Ascii.isDigit(b[p + 7])
                || b[p + 8] != Ascii.SP || (lineEnd - p > 12 && b[p + 12] != Ascii.SP)) {
            error = Error.BAD_STATUS_LINE;
            return;
        }
        long code = Ascii.parseDecimal(b, p + 9, p + 12, 999);
        if (code < 100) {
            error = Error.BAD_STATUS_LINE;
            return;
        }
        if (code < 200) {
            error = Error.INTERIM_RESPONSE;
            return;
        }
        status = (int) code;
        boolean http10 = b[p + 7] == '0';
        int line;
        while ((line = head.nextField()) == HeaderSection.FIELD) {
            if (head.nameIs(HeaderSection.CONTENT_LENGTH)) {
                long value = head.valueAsDecimal(MAX_CONTENT_LENGTH);
                if (value < 0 || (contentLength >= 0 && value != contentLength)) {
                    error = Error.BAD_CONTENT_LENGTH;
                    return;
                }
                contentLength = value;
            } else if (head.nameIs(HeaderSection.TRANSFER_ENCODING)) {
                error = Error.TRANSFER_ENCODING;
                return;
            }
        }
        if (line != HeaderSection.END) {
            error = line == HeaderSection.BARE_CR ? Error.BARE_CR : Error.BAD_HEADER;
            return;
        }
        keepAlive = head.persistent(http10);
        boolean bodiless = expectHead || status == 204 || status == 304;
        if (bodiless) {
            contentLength = 0;
        } else if (contentLength < 0) {
            error = Error.MISSING_CONTENT_LENGTH;
        }
    }

    /** True if the last {@link #parse} call completed a response. */
    public boolean hasResponse() {
        return ready;
    }

    public int status() {
        return status;
    }

    /** Body bytes of the completed response (0 for HEAD, 204, 304). */
    public long contentLength() {
        return contentLength;
    }

    /** Whether the server keeps the connection open after this response. */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** True unless content verification was on and a body byte differed. */
    public boolean contentOk() {
        return firstMismatch < 0;
    }

    /** Index of the first body byte that differed from {@link BytesContent}, or -1. */
    public long firstMismatch() {
        return firstMismatch;
    }

    /** True while a response has started but not completed (bytes of it are buffered or counted). */
    public boolean inProgress() {
        return inBody || head.length() > head.start();
    }

    public boolean failed() {
        return error != null;
    }

    /** Why the stream was rejected, or null. */
    public Error error() {
        return error;
    }

    /** Responses completed so far. */
    public long responses() {
        return responses;
    }
}
