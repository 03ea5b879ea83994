package io.capybara.app;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One load-generator connection, sans-IO: requests are queued as bytes for the transport to
 * take ({@link #outbound()}, {@link #outboundOffset()}, {@link #outboundLength()}, then
 * {@link #outboundSent(int)}: zero copy into {@code TcpConnection.send}), responses are fed to
 * {@link #onReceive}, matched in order to the intended send times of their requests and
 * recorded. Requests are pipelined: an open-loop client never waits for a response before
 * sending the next request.
 *
 * <p>A response counts as an error (not a latency sample) if its status is not 200, its length
 * differs from the N asked for, or (with verification) a body byte differs from
 * {@link BytesContent}. A malformed response stream, a response nobody asked for, or a server
 * close with requests still outstanding make the connection {@link #failed()}: every
 * outstanding request is counted as an error.
 *
 * <p>No allocation per request.
 */
public final class LoadConnection {
    private final HttpRequestWriter writer;
    private final boolean verifyContent;
    private HttpResponseParser parser;
    private final byte[] out;
    private final UnsafeBuffer outbound;
    private int outStart;
    private int outEnd;

    // Outstanding requests, oldest first: intended send time and N.
    private final long[] intended;
    private final long[] expected;
    private int first;
    private int count;

    private boolean failed;
    private boolean serverClosing;
    private long responses;

    /**
     * @param maxOutstanding requests sent or queued but not answered, at most
     * @param verifyContent  check every body byte against {@link BytesContent}
     */
    public LoadConnection(HttpRequestWriter writer, int maxOutstanding, boolean verifyContent) {
        if (maxOutstanding < 1) {
            throw new IllegalArgumentException("maxOutstanding < 1: " + maxOutstanding);
        }
        this.writer = writer;
        this.verifyContent = verifyContent;
        this.parser = newParser();
        this.out = new byte[maxOutstanding * writer.maxLength()];
        this.outbound = new UnsafeBuffer(out);
        this.intended = new long[maxOutstanding];
        this.expected = new long[maxOutstanding];
    }

    private HttpResponseParser newParser() {
        HttpResponseParser p = new HttpResponseParser(HttpServerConfig.DEFAULT_MAX_HEADER_BYTES);
        p.verifyBytesContent(verifyContent);
        return p;
    }

    /**
     * Makes the connection usable again over a new transport connection (after a failure or a
     * server close): outstanding requests count as errors, unsent bytes are dropped.
     */
    public void reset(LatencyRecorder recorder) {
        fail(recorder);
        parser = newParser();
        failed = false;
        serverClosing = false;
        first = 0;
    }

    /** True when {@link #enqueue} would accept a request. */
    public boolean canEnqueue() {
        return !failed && !serverClosing && count < intended.length;
    }

    /**
     * Queues {@code GET /bytes/N} whose intended send time is {@code intendedNanos}.
     *
     * @return false (nothing queued) if the connection failed, is closing, or is full
     */
    public boolean enqueue(long intendedNanos, long bytesCount) {
        if (!canEnqueue()) {
            return false;
        }
        if (outbound.capacity() - outEnd < writer.maxLength()) {
            // unsent bytes are fewer than the outstanding requests' worth: they fit after moving
            System.arraycopy(out, outStart, out, 0, outEnd - outStart);
            outEnd -= outStart;
            outStart = 0;
        }
        outEnd += writer.writeGetBytes(outbound, outEnd, bytesCount);
        int slot = (first + count) % intended.length;
        intended[slot] = intendedNanos;
        expected[slot] = bytesCount;
        count++;
        return true;
    }

    /** Buffer holding request bytes not yet taken by the transport. */
    public DirectBuffer outbound() {
        return outbound;
    }

    public int outboundOffset() {
        return outStart;
    }

    public int outboundLength() {
        return outEnd - outStart;
    }

    /** The transport took {@code n} bytes from the front of the outbound bytes. */
    public void outboundSent(int n) {
        if (n < 0 || n > outEnd - outStart) {
            throw new IllegalArgumentException("sent " + n + " of " + (outEnd - outStart));
        }
        outStart += n;
        if (outStart == outEnd) {
            outStart = 0;
            outEnd = 0;
        }
    }

    /**
     * Feeds received bytes: each completed response is recorded with latency from its request's
     * intended send time to {@code nowNanos}.
     *
     * @return responses completed by these bytes
     */
    public int onReceive(DirectBuffer src, int offset, int length, long nowNanos, LatencyRecorder recorder) {
        int completed = 0;
        int consumed = 0;
        while (consumed < length && !failed) {
            consumed += parser.parse(src, offset + consumed, length - consumed);
            if (parser.failed()) {
                fail(recorder);
            } else if (parser.hasResponse()) {
                if (count == 0) {
                    fail(recorder); // a response to nothing: the stream cannot be trusted
                    break;
                }
                long sentAt = intended[first];
                long n = expected[first];
                first = (first + 1) % intended.length;
                count--;
                responses++;
                completed++;
                if (parser.status() == 200 && parser.contentLength() == n && parser.contentOk()) {
                    recorder.recordResponse(sentAt, nowNanos);
                } else {
                    recorder.recordError();
                }
                if (!parser.keepAlive()) {
                    serverClosing = true;
                }
            }
        }
        if (serverClosing && count > 0 && !failed) {
            fail(recorder); // the server closes: what is still outstanding will never be answered
        }
        return completed;
    }

    /** The transport broke (RST, close by the peer): every outstanding request is an error. */
    public void fail(LatencyRecorder recorder) {
        if (failed) {
            return;
        }
        failed = true;
        for (int i = 0; i < count; i++) {
            recorder.recordError();
        }
        count = 0;
        outStart = 0;
        outEnd = 0;
    }

    public boolean failed() {
        return failed;
    }

    /** The server said it closes the connection after its last response. */
    public boolean serverClosing() {
        return serverClosing;
    }

    /** Requests queued or sent and not yet answered. */
    public int outstanding() {
        return count;
    }

    public long responses() {
        return responses;
    }

    /** Why the response stream was rejected, or null. */
    public HttpResponseParser.Error protocolError() {
        return parser.error();
    }
}
