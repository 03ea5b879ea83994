package io.capybara.app;

/**
 * The server's responses as pure functions of a request's outcome: the head is rebuilt from
 * (status, content length, connection flags), the body from the route, so a response can be
 * resumed at any byte offset after a migration without storing its bytes.
 */
final class HttpResponses {
    /** Body of {@code GET /}. */
    static final byte[] ROOT_BODY = Ascii.bytes("Hello from Capybara-J\n");
    /** Upper bound of a response head's length. */
    static final int MAX_HEAD_LENGTH = 160;

    private static final byte[] HTTP11 = Ascii.bytes("HTTP/1.1 ");
    private static final byte[] CONTENT_TYPE = Ascii.bytes("Content-Type: text/plain\r\n");
    private static final byte[] CONTENT_LENGTH = Ascii.bytes("Content-Length: ");
    private static final byte[] ALLOW = Ascii.bytes("Allow: GET, HEAD\r\n");
    static final byte[] CONNECTION_CLOSE = Ascii.bytes("Connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE = Ascii.bytes("Connection: keep-alive\r\n");

    private static final int[] STATUSES = {200, 400, 404, 405, 413, 414, 501, 505};
    private static final byte[][] STATUS_LINES = new byte[STATUSES.length][];
    private static final byte[][] STATUS_TEXTS = new byte[STATUSES.length][];

    static {
        String[] reasons = {"OK", "Bad Request", "Not Found", "Method Not Allowed", "Content Too Large",
            "URI Too Long", "Not Implemented", "HTTP Version Not Supported"};
        for (int i = 0; i < STATUSES.length; i++) {
            STATUS_LINES[i] = Ascii.bytes(STATUSES[i] + " " + reasons[i] + "\r\n");
            STATUS_TEXTS[i] = Ascii.bytes(STATUSES[i] + " " + reasons[i] + "\n");
        }
    }

    private HttpResponses() {
    }

    /** True for the statuses this server can send. */
    static boolean isKnownStatus(int status) {
        return indexOf(status) >= 0;
    }

    private static int indexOf(int status) {
        for (int i = 0; i < STATUSES.length; i++) {
            if (STATUSES[i] == status) {
                return i;
            }
        }
        return -1;
    }

    /** Body of an error response: {@code "<status> <reason>\n"}. */
    static byte[] statusText(int status) {
        return STATUS_TEXTS[indexOf(status)];
    }

    /** Length of the body a GET would get (HEAD reports it too). */
    static long contentLength(int status, int route, long bytesCount) {
        return switch (route) {
            case HttpRequestParser.ROUTE_ROOT -> ROOT_BODY.length;
            case HttpRequestParser.ROUTE_BYTES -> bytesCount;
            default -> statusText(status).length;
        };
    }

    /**
     * Writes the response head into {@code dst} from 0; returns its length. The connection
     * header says close when closing, keep-alive when an HTTP/1.0 client asked for it.
     */
    static int writeHead(byte[] dst, int status, long contentLength, boolean close, boolean http10) {
        int p = Ascii.put(dst, 0, HTTP11);
        p = Ascii.put(dst, p, STATUS_LINES[indexOf(status)]);
        p = Ascii.put(dst, p, CONTENT_TYPE);
        p = Ascii.put(dst, p, CONTENT_LENGTH);
        p = Ascii.putDecimal(dst, p, contentLength);
        p = Ascii.put(dst, p, Ascii.CRLF);
        if (status == 405) {
            p = Ascii.put(dst, p, ALLOW);
        }
        if (close) {
            p = Ascii.put(dst, p, CONNECTION_CLOSE);
        } else if (http10) {
            p = Ascii.put(dst, p, CONNECTION_KEEP_ALIVE);
        }
        return Ascii.put(dst, p, Ascii.CRLF);
    }
}
