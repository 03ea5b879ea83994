package io.capybara.app;

import static io.capybara.app.Ascii.LF;

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
    private static final byte[] CONTENT_LENGTH = Ascii.bytes("content-length");
    private static final byte[] TRANSFER_ENCODING = Ascii.bytes("transfer-encoding");
    private static final byte[] CONNECTION = Ascii.bytes("connection");
    private static final byte[] CLOSE = Ascii.bytes("close");
    private static final byte[] KEEP_ALIVE = Ascii.bytes("keep-alive");
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
        int end = head.length();
        int p = head.start();
        int lf = Ascii.indexOf(b, p, end, LF);
        int lineEnd = Ascii.lineContentEnd(b, p, lf);
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
        boolean closeToken = false;
        boolean keepAliveToken = false;
        for (p = lf + 1; p < end; p = lf + 1) {
            lf = Ascii.indexOf(b, p, end, LF);
            lineEnd = Ascii.lineContentEnd(b, p, lf);
            if (lineEnd < 0) {
                error = Error.BARE_CR;
                return;
            }
            if (lineEnd == p) {
                break;
            }
            int colon = Ascii.indexOf(b, p, lineEnd, (byte) ':');
            if (colon <= p || !Ascii.allTchar(b, p, colon)) {
                error = Error.BAD_HEADER;
                return;
            }
            int vs = colon + 1;
            int ve = lineEnd;
            while (vs < ve && Ascii.isOws(b[vs])) {
                vs++;
            }
            while (ve > vs && Ascii.isOws(b[ve - 1])) {
                ve--;
            }
            if (Ascii.equalsIgnoreCase(b, p, colon, CONTENT_LENGTH)) {
                long value = Ascii.parseDecimal(b, vs, ve, MAX_CONTENT_LENGTH);
                if (value < 0 || (contentLength >= 0 && value != contentLength)) {
                    error = Error.BAD_CONTENT_LENGTH;
                    return;
                }
                contentLength = value;
            } else if (Ascii.equalsIgnoreCase(b, p, colon, TRANSFER_ENCODING)) {
                error = Error.TRANSFER_ENCODING;
                return;
            } else if (Ascii.equalsIgnoreCase(b, p, colon, CONNECTION)) {
                closeToken |= containsToken(b, vs, ve, CLOSE);
                keepAliveToken |= containsToken(b, vs, ve, KEEP_ALIVE);
            }
        }
        keepAlive = http10 ? keepAliveToken && !closeToken : !closeToken;
        boolean bodiless = expectHead || status == 204 || status == 304;
        if (bodiless) {
            contentLength = 0;
        } else if (contentLength < 0) {
            error = Error.MISSING_CONTENT_LENGTH;
        }
    }

    private static boolean containsToken(byte[] b, int from, int to, byte[] token) {
        for (int t = from; t < to; ) {
            int comma = Ascii.indexOf(b, t, to, (byte) ',');
            int te = comma < 0 ? to : comma;
            int ts = t;
            while (ts < te && Ascii.isOws(b[ts])) {
                ts++;
            }
            int tEnd = te;
            while (tEnd > ts && Ascii.isOws(b[tEnd - 1])) {
                tEnd--;
            }
            if (Ascii.equalsIgnoreCase(b, ts, tEnd, token)) {
                return true;
            }
            t = te + 1;
        }
        return false;
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
