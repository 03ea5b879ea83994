package io.capybara.app;

import org.agrona.MutableDirectBuffer;

/**
 * Writes the load generator's requests into a buffer without allocation:
 * {@code GET /bytes/N HTTP/1.1\r\nHost: <host>\r\n\r\n} (or {@code GET /}, or HEAD, optionally
 * with {@code Connection: close}).
 */
public final class HttpRequestWriter {
    /** Pass as {@code bytesCount} to request {@code /} instead of {@code /bytes/N}. */
    public static final long ROOT = -1;

    private static final byte[] GET = Ascii.bytes("GET ");
    private static final byte[] HEAD = Ascii.bytes("HEAD ");
    private static final byte[] VERSION_HOST = Ascii.bytes(" HTTP/1.1\r\nHost: ");
    private static final int MAX_DECIMAL_DIGITS = 19;

    private final byte[] host;
    private final byte[] scratch;

    /** @param host the Host header value, e.g. {@code "10.0.0.1:80"} (printable ASCII) */
    public HttpRequestWriter(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c <= 0x20 || c >= 0x7F) {
                throw new IllegalArgumentException("host must be printable ASCII without spaces: " + host);
            }
        }
        this.host = Ascii.bytes(host);
        this.scratch = new byte[maxLength()];
    }

    /** Upper bound of any request this writer produces. */
    public int maxLength() {
        return HEAD.length + HttpRequestParser.BYTES_PREFIX.length + MAX_DECIMAL_DIGITS + VERSION_HOST.length
                + host.length + Ascii.CRLF.length + HttpResponses.CONNECTION_CLOSE.length + Ascii.CRLF.length;
    }

    /** Writes {@code GET /bytes/N} (keep-alive); returns its length. */
    public int writeGetBytes(MutableDirectBuffer dst, int offset, long bytesCount) {
        if (bytesCount < 0) {
            throw new IllegalArgumentException("bytesCount < 0: " + bytesCount);
        }
        return write(dst, offset, false, bytesCount, false);
    }

    /**
     * Writes one request; returns its length (at most {@link #maxLength()}).
     *
     * @param head       HEAD instead of GET
     * @param bytesCount N of {@code /bytes/N}, or {@link #ROOT} for {@code /}
     * @param close      adds {@code Connection: close}
     */
    public int write(MutableDirectBuffer dst, int offset, boolean head, long bytesCount, boolean close) {
        int p = Ascii.put(scratch, 0, head ? HEAD : GET);
        if (bytesCount < 0) {
            p = Ascii.put(scratch, p, HttpRequestParser.ROOT_PATH);
        } else {
            p = Ascii.put(scratch, p, HttpRequestParser.BYTES_PREFIX);
            p = Ascii.putDecimal(scratch, p, bytesCount);
        }
        p = Ascii.put(scratch, p, VERSION_HOST);
        p = Ascii.put(scratch, p, host);
        p = Ascii.put(scratch, p, Ascii.CRLF);
        if (close) {
            p = Ascii.put(scratch, p, HttpResponses.CONNECTION_CLOSE);
        }
        p = Ascii.put(scratch, p, Ascii.CRLF);
        dst.putBytes(offset, scratch, 0, p);
        return p;
    }
}
