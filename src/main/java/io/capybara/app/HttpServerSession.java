package io.capybara.app;

import io.capybara.tcp.SnapshotException;
import io.capybara.wire.BufferCrc;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The HTTP server's per-connection state machine, sans-IO: received bytes go in through
 * {@link #onReceive}, response bytes come out through {@link #produce} as far as the caller's
 * send window allows, so a 64 MiB {@code /bytes/N} body streams out incrementally.
 *
 * <p>Routes: {@code GET /} gets a small fixed body ({@code "Hello from Capybara-J\n"});
 * {@code GET /bytes/N} gets N bytes of {@link BytesContent}; HEAD gets the same head and
 * Content-Length without a body; anything else 404; errors per {@link RequestError}. Every
 * response is framed by Content-Length. Pipelined requests are answered in order.
 *
 * <p>Service time: the session never spins. Each parsed request waits until the server loop
 * takes its service demand with {@link #serveNext()} (or {@link #serveAll()}), spends it (busy
 * wait, simulated time, ...), and only then does its response come out of {@link #produce}.
 *
 * <p>Driving it from a TCP connection:
 * <pre>
 *   int n = conn.receive(scratch, 0, min(conn.readableBytes(), session.receiveWindow(), cap), now);
 *   session.onReceive(scratch, 0, n);          // consumes all n: receiveWindow() guarantees it
 *   if (conn.isPeerClosed() &amp;&amp; conn.readableBytes() == 0) session.onPeerClosed();
 *   for (long d; (d = session.serveNext()) &gt;= 0; ) spend(d);
 *   int m = session.produce(scratch, 0, min(conn.writableBytes(), cap));
 *   conn.send(scratch, 0, m, now);             // accepts all m: at most writableBytes()
 *   if (session.isFinished()) conn.close(now);
 *   // repeat while bytes moved; call again from onData and onWritable
 * </pre>
 *
 * <p>The whole state moves with the connection: {@link #snapshot} / {@link #restore}.
 */
public final class HttpServerSession {
    /**
     * Lower bound of the bytes of any request after which the parser keeps reading: the
     * shortest well-formed request line plus the empty line, in bare-LF form.
     */
    static final int MIN_REQUEST_BYTES = 14; // "X / HTTP/1.0\n\n"

    private static final ByteOrder BIG_ENDIAN = ByteOrder.BIG_ENDIAN;
    private static final int SNAPSHOT_MAGIC = 0x48545053; // "HTPS"
    private static final short SNAPSHOT_VERSION = 1;
    private static final int FIXED_SNAPSHOT_BYTES = 41;
    private static final int ENTRY_BYTES = 12;
    private static final int TRAILER_BYTES = 4;
    private static final int FLAG_PEER_CLOSED = 1;
    private static final int FLAG_CLOSE_DONE = 2;

    // Queue entry layout in one int: status | route << 10 | head << 12 | close << 13 | http10 << 14.
    private static final int STATUS_MASK = 0x3FF;
    private static final int ROUTE_SHIFT = 10;
    private static final int HEAD_BIT = 1 << 12;
    private static final int CLOSE_BIT = 1 << 13;
    private static final int HTTP10_BIT = 1 << 14;
    private static final int META_BITS = (1 << 15) - 1;

    private final HttpServerConfig config;
    private final HttpRequestParser parser;

    // Requests parsed and not yet fully answered, oldest first, in a ring.
    private final int[] meta;
    private final long[] bytesCount;
    private int first;
    private int count;
    /** Requests at the front whose service demand has been taken. */
    private int served;
    /** Bytes of the front response already produced (head + body). */
    private long sentOffset;

    private final byte[] head = new byte[HttpResponses.MAX_HEAD_LENGTH];
    private int headLength = -1; // -1: not built for the front request yet

    private boolean peerClosed;
    private boolean closeDone;
    private long responses;
    private long bytesProduced;

    public HttpServerSession(HttpServerConfig config) {
        this.config = config;
        this.parser = new HttpRequestParser(config);
        this.meta = new int[config.maxPipelined()];
        this.bytesCount = new long[config.maxPipelined()];
    }

    /**
     * Parses received bytes into queued requests. Stops early only when
     * {@link HttpServerConfig#maxPipelined()} requests are waiting; never when given at most
     * {@link #receiveWindow()} bytes.
     *
     * @return bytes consumed
     */
    public int onReceive(DirectBuffer src, int offset, int length) {
        int consumed = 0;
        while (consumed < length) {
            if (count == meta.length && parser.phase() != HttpRequestParser.PHASE_DISCARD) {
                break;
            }
            consumed += parser.parse(src, offset + consumed, length - consumed);
            if (parser.hasRequest()) {
                enqueue();
            }
        }
        return consumed;
    }

    private void enqueue() {
        int m = parser.status() | parser.route() << ROUTE_SHIFT
                | (parser.isHead() ? HEAD_BIT : 0)
                | (parser.closesConnection() ? CLOSE_BIT : 0)
                | (parser.isHttp10() ? HTTP10_BIT : 0);
        int slot = (first + count) % meta.length;
        meta[slot] = m;
        bytesCount[slot] = parser.bytesCount();
        count++;
    }

    /**
     * Bytes {@link #onReceive} is sure to consume whole right now: with F free queue slots, at
     * most one request can complete per {@value #MIN_REQUEST_BYTES} bytes after the first, so
     * {@code (F - 1) * MIN + 1} bytes cannot overflow the queue. 0 when the queue is full (stop
     * reading: TCP flow control pushes back on the client); unbounded once input is ignored.
     */
    public int receiveWindow() {
        if (parser.phase() == HttpRequestParser.PHASE_DISCARD) {
            return Integer.MAX_VALUE;
        }
        int free = meta.length - count;
        return free == 0 ? 0 : (free - 1) * MIN_REQUEST_BYTES + 1;
    }

    /**
     * The peer sent FIN: queued requests are still answered, a partly received one is dropped,
     * then the session is finished.
     */
    public void onPeerClosed() {
        peerClosed = true;
        parser.discardRest();
    }

    /**
     * Takes the service demand of the oldest request not yet served, in nanoseconds; -1 if none.
     * Its response becomes producible.
     */
    public long serveNext() {
        if (served == count) {
            return -1;
        }
        served++;
        return config.serviceTimeNanos();
    }

    /** Takes the service demand of every waiting request at once; returns its sum (0 if none). */
    public long serveAll() {
        long n = count - served;
        served = count;
        return n * config.serviceTimeNanos();
    }

    /** Requests parsed but not yet served. */
    public int unservedRequests() {
        return count - served;
    }

    /** Requests parsed whose response has not been fully produced. */
    public int pendingRequests() {
        return count;
    }

    /**
     * True between requests: nothing queued, no partial request head or body. The cheapest
     * moment to migrate (the snapshot is at its smallest), though any moment is correct.
     */
    public boolean isIdle() {
        return count == 0 && parser.phase() == HttpRequestParser.PHASE_HEAD
                && parser.headSection().length() == 0;
    }

    /** True when {@link #produce} has bytes to give. */
    public boolean hasOutput() {
        return served > 0;
    }

    /**
     * Writes up to {@code maxLength} response bytes at {@code dst[offset]}: the rest of the
     * front response, then the following served ones. Stops after a response that closes the
     * connection.
     *
     * @return bytes written
     */
    public int produce(MutableDirectBuffer dst, int offset, int maxLength) {
        int written = 0;
        while (written < maxLength && served > 0) {
            int m = meta[first];
            int status = m & STATUS_MASK;
            int route = m >>> ROUTE_SHIFT & 3;
            long arg = bytesCount[first];
            long contentLength = HttpResponses.contentLength(status, route, arg);
            if (headLength < 0) {
                headLength = HttpResponses.writeHead(head, status, contentLength,
                        (m & CLOSE_BIT) != 0, (m & HTTP10_BIT) != 0);
            }
            long total = headLength + ((m & HEAD_BIT) != 0 ? 0 : contentLength);
            if (sentOffset < headLength) {
                int n = (int) Math.min(headLength - sentOffset, maxLength - written);
                dst.putBytes(offset + written, head, (int) sentOffset, n);
                sentOffset += n;
                written += n;
            }
            if (sentOffset >= headLength && sentOffset < total) {
                int n = (int) Math.min(total - sentOffset, maxLength - written);
                writeBody(dst, offset + written, status, route, sentOffset - headLength, n);
                sentOffset += n;
                written += n;
            }
            if (sentOffset == total) {
                first = (first + 1) % meta.length;
                count--;
                served--;
                sentOffset = 0;
                headLength = -1;
                responses++;
                if ((m & CLOSE_BIT) != 0) {
                    closeDone = true;
                    break;
                }
            }
        }
        bytesProduced += written;
        return written;
    }

    private static void writeBody(MutableDirectBuffer dst, int offset, int status, int route, long from,
                                  int length) {
        switch (route) {
            case HttpRequestParser.ROUTE_BYTES -> BytesContent.fill(dst, offset, from, length);
            case HttpRequestParser.ROUTE_ROOT -> dst.putBytes(offset, HttpResponses.ROOT_BODY, (int) from, length);
            default -> dst.putBytes(offset, HttpResponses.statusText(status), (int) from, length);
        }
    }

    /**
     * True once the connection should be closed: a closing response has been fully produced,
     * or the peer closed and every queued request has been answered.
     */
    public boolean isFinished() {
        return closeDone || (peerClosed && count == 0);
    }

    public HttpRequestParser parser() {
        return parser;
    }

    /** Responses fully produced. */
    public long responses() {
        return responses;
    }

    public long bytesProduced() {
        return bytesProduced;
    }

    public HttpServerConfig config() {
        return config;
    }

    // ---- snapshot / restore ----

    /** Exact size of what {@link #snapshot} writes now. */
    public int snapshotSize() {
        return FIXED_SNAPSHOT_BYTES + parser.headSection().length() + count * ENTRY_BYTES + TRAILER_BYTES;
    }

    /**
     * Serializes the session (partly received request, queued requests, progress of the front
     * response) in a versioned, CRC32C-checked, big-endian form. Counters are not included.
     * Layout (offsets in bytes):
     * <pre>
     *  0 int   magic 0x48545053 ("HTPS")
     *  4 short version (1)
     *  6 short flags: 1 = peer closed, 2 = closing response fully sent
     *  8 int   total size, trailer included
     * 12 byte  parser phase: 0 head, 1 request body, 2 discarding
     * 13 long  request body bytes still to skip
     * 21 int   H = bytes of the partly received request head
     * 25 int   Q = requests queued (parsed, not fully answered)
     * 29 int   of which served (service demand taken)
     * 33 long  bytes of the front response already produced (head + body)
     * 41       H bytes of the partial head, as received
     *          Q entries of 12 bytes: int status | route &lt;&lt; 10 | HEAD &lt;&lt; 12 | close &lt;&lt; 13
     *          | HTTP/1.0 &lt;&lt; 14, long N of /bytes/N
     *  end-4 int CRC32C of everything before it
     * </pre>
     *
     * @return bytes written ({@link #snapshotSize()})
     */
    public int snapshot(MutableDirectBuffer dst, int offset) {
        HeaderSection h = parser.headSection();
        int size = snapshotSize();
        dst.putInt(offset, SNAPSHOT_MAGIC, BIG_ENDIAN);
        dst.putShort(offset + 4, SNAPSHOT_VERSION, BIG_ENDIAN);
        dst.putShort(offset + 6, (short) ((peerClosed ? FLAG_PEER_CLOSED : 0) | (closeDone ? FLAG_CLOSE_DONE : 0)),
                BIG_ENDIAN);
        dst.putInt(offset + 8, size, BIG_ENDIAN);
        dst.putByte(offset + 12, (byte) parser.phase());
        dst.putLong(offset + 13, parser.bodyRemaining(), BIG_ENDIAN);
        dst.putInt(offset + 21, h.length(), BIG_ENDIAN);
        dst.putInt(offset + 25, count, BIG_ENDIAN);
        dst.putInt(offset + 29, served, BIG_ENDIAN);
        dst.putLong(offset + 33, sentOffset, BIG_ENDIAN);
        int p = offset + FIXED_SNAPSHOT_BYTES;
        dst.putBytes(p, h.bytes(), 0, h.length());
        p += h.length();
        for (int i = 0; i < count; i++) {
            int slot = (first + i) % meta.length;
            dst.putInt(p, meta[slot], BIG_ENDIAN);
            dst.putLong(p + 4, bytesCount[slot], BIG_ENDIAN);
            p += ENTRY_BYTES;
        }
        dst.putInt(p, new BufferCrc().compute(dst, offset, p - offset), BIG_ENDIAN);
        return size;
    }

    /**
     * Rebuilds a session from {@link #snapshot} bytes under {@code config} (the restoring
     * host's limits; the snapshot must fit them). The result continues byte for byte as the
     * original would have.
     *
     * @throws SnapshotException if the bytes are truncated, corrupt, of another version, or do
     *                           not fit {@code config}
     */
    public static HttpServerSession restore(HttpServerConfig config, DirectBuffer src, int offset, int length)
            throws SnapshotException {
        HttpServerSession s = new HttpServerSession(config);
        s.restoreFrom(src, offset, length);
        return s;
    }

    private void restoreFrom(DirectBuffer src, int offset, int length) throws SnapshotException {
        ByteOrder be = BIG_ENDIAN;
        if (length < FIXED_SNAPSHOT_BYTES + TRAILER_BYTES) {
            throw new SnapshotException("http session snapshot truncated: " + length + " bytes");
        }
        if (src.getInt(offset, be) != SNAPSHOT_MAGIC) {
            throw new SnapshotException("not an http session snapshot (bad magic)");
        }
        int version = src.getShort(offset + 4, be);
        if (version != SNAPSHOT_VERSION) {
            throw new SnapshotException("http session snapshot version " + version + ", expected "
                    + SNAPSHOT_VERSION);
        }
        int size = src.getInt(offset + 8, be);
        if (size < FIXED_SNAPSHOT_BYTES + TRAILER_BYTES || size > length) {
            throw new SnapshotException("http session snapshot truncated: size " + size + ", have " + length);
        }
        int crcAt = offset + size - TRAILER_BYTES;
        if (new BufferCrc().compute(src, offset, size - TRAILER_BYTES) != src.getInt(crcAt, be)) {
            throw new SnapshotException("http session snapshot corrupt (CRC32C mismatch)");
        }
        int flags = src.getShort(offset + 6, be);
        int phase = src.getByte(offset + 12);
        long bodyRemaining = src.getLong(offset + 13, be);
        int headBytes = src.getInt(offset + 21, be);
        int entries = src.getInt(offset + 25, be);
        int servedEntries = src.getInt(offset + 29, be);
        long sent = src.getLong(offset + 33, be);
        check((flags & ~(FLAG_PEER_CLOSED | FLAG_CLOSE_DONE)) == 0, "unknown flags");
        check(phase >= HttpRequestParser.PHASE_HEAD && phase <= HttpRequestParser.PHASE_DISCARD, "bad parser phase");
        check(phase == HttpRequestParser.PHASE_BODY
                ? bodyRemaining > 0 && bodyRemaining <= config.maxBodyBytes() : bodyRemaining == 0,
                "bad request body remainder");
        check(headBytes >= 0 && headBytes <= config.maxHeaderBytes()
                && (phase == HttpRequestParser.PHASE_HEAD || headBytes == 0), "bad partial head length");
        check(entries >= 0 && entries <= meta.length, "more queued requests than maxPipelined");
        check(servedEntries >= 0 && servedEntries <= entries, "bad served count");
        check(size == FIXED_SNAPSHOT_BYTES + headBytes + entries * ENTRY_BYTES + TRAILER_BYTES, "bad size");
        check((flags & FLAG_CLOSE_DONE) == 0 || entries == 0, "requests queued after close");
        int p = offset + FIXED_SNAPSHOT_BYTES;
        check(parser.restore(phase, bodyRemaining, src, p, headBytes), "partial head not restorable");
        p += headBytes;
        for (int i = 0; i < entries; i++) {
            int m = src.getInt(p, be);
            long arg = src.getLong(p + 4, be);
            p += ENTRY_BYTES;
            int status = m & STATUS_MASK;
            int route = m >>> ROUTE_SHIFT & 3;
            check((m & ~META_BITS) == 0 && HttpResponses.isKnownStatus(status), "bad queued request");
            check(route == HttpRequestParser.ROUTE_STATUS_TEXT ? status != 200
                    : status == 200 && route <= HttpRequestParser.ROUTE_BYTES, "bad queued route");
            check(route == HttpRequestParser.ROUTE_BYTES ? arg >= 0 && arg <= config.maxResponseBytes() : arg == 0,
                    "bad queued bytes count");
            check((m & CLOSE_BIT) == 0 || i == entries - 1, "request queued after a closing one");
            meta[i] = m;
            bytesCount[i] = arg;
        }
        first = 0;
        count = entries;
        served = servedEntries;
        peerClosed = (flags & FLAG_PEER_CLOSED) != 0;
        closeDone = (flags & FLAG_CLOSE_DONE) != 0;
        headLength = -1;
        if (entries > 0) {
            int m = meta[0];
            long total = HttpResponses.writeHead(head, m & STATUS_MASK,
                    HttpResponses.contentLength(m & STATUS_MASK, m >>> ROUTE_SHIFT & 3, bytesCount[0]),
                    (m & CLOSE_BIT) != 0, (m & HTTP10_BIT) != 0);
            if ((m & HEAD_BIT) == 0) {
                total += HttpResponses.contentLength(m & STATUS_MASK, m >>> ROUTE_SHIFT & 3, bytesCount[0]);
            }
            check(sent >= 0 && sent < total && (sent == 0 || servedEntries > 0), "bad response progress");
        } else {
            check(sent == 0, "bad response progress");
        }
        sentOffset = sent;
    }

    private static void check(boolean ok, String what) throws SnapshotException {
        if (!ok) {
            throw new SnapshotException("http session snapshot invalid: " + what);
        }
    }
}
