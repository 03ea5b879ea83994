package io.capybara.app;

import static io.capybara.app.TestBytes.ascii;
import static io.capybara.app.TestBytes.buffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class LoadConnectionTest {
    private final HttpRequestWriter writer = new HttpRequestWriter("s");

    /** Sends the connection's outbound bytes through a server session and feeds back the answer. */
    private static void roundTrip(LoadConnection c, HttpServerSession server, long now, LatencyRecorder rec) {
        int n = c.outboundLength();
        assertEquals(n, server.onReceive(c.outbound(), c.outboundOffset(), n));
        c.outboundSent(n);
        server.serveAll();
        UnsafeBuffer out = new UnsafeBuffer(new byte[1 << 16]);
        while (server.hasOutput()) {
            int m = server.produce(out, 0, 777);
            c.onReceive(out, 0, m, now, rec);
        }
    }

    @Test
    void pipelinedResponsesAreMatchedToTheirIntendedTimes() {
        LoadConnection c = new LoadConnection(writer, 8, true);
        LatencyRecorder rec = new LatencyRecorder();
        for (int i = 0; i < 5; i++) {
            assertTrue(c.enqueue(1_000 * i, 100 * i));
        }
        assertEquals(5, c.outstanding());
        roundTrip(c, new HttpServerSession(HttpServerConfig.defaults()), 10_000, rec);
        assertEquals(0, c.outstanding());
        assertEquals(5, rec.completed());
        assertEquals(0, rec.errors());
        assertEquals(10_000, rec.maxNanos(), 10);
        assertEquals(6_000, rec.percentileNanos(0), 10, "the latest request was intended at 4000");
    }

    @Test
    void partialSendsKeepTheRestQueued() {
        LoadConnection c = new LoadConnection(writer, 3, false);
        java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
        c.enqueue(0, 1);
        c.enqueue(0, 2);
        int total = c.outboundLength();
        wire.write(c.outbound().byteArray(), c.outboundOffset(), 5);
        c.outboundSent(5);
        assertEquals(total - 5, c.outboundLength());
        c.enqueue(0, 3);
        assertFalse(c.canEnqueue(), "three outstanding");
        assertFalse(c.enqueue(0, 4));
        wire.write(c.outbound().byteArray(), c.outboundOffset(), c.outboundLength());
        c.outboundSent(c.outboundLength());
        assertEquals(0, c.outboundLength());
        byte[] bytes = wire.toByteArray();
        HttpRequestParser p = new HttpRequestParser(HttpServerConfig.defaults());
        long[] got = new long[3];
        int k = 0;
        for (int off = 0; off < bytes.length; ) {
            off += p.parse(buffer(bytes), off, bytes.length - off);
            if (p.hasRequest()) {
                got[k++] = p.bytesCount();
            }
        }
        assertEquals(3, k);
        assertEquals("[1, 2, 3]", java.util.Arrays.toString(got));
    }

    @Test
    void compactionAfterManyRequests() {
        LoadConnection c = new LoadConnection(writer, 2, true);
        HttpServerSession server = new HttpServerSession(HttpServerConfig.defaults());
        LatencyRecorder rec = new LatencyRecorder();
        for (int i = 0; i < 1000; i++) {
            assertTrue(c.enqueue(i, i % 50), () -> "iteration failed=" + c.failed() + " " + c.protocolError()
                    + " outstanding=" + c.outstanding() + " closing=" + c.serverClosing());
            assertEquals(7, server.onReceive(c.outbound(), c.outboundOffset(), 7));
            c.outboundSent(7); // the transport takes a little at a time
            c.enqueue(i, 3);
            roundTrip(c, server, i + 5, rec);
        }
        assertEquals(2000, rec.completed());
        assertEquals(0, rec.errors());
    }

    @Test
    void wrongStatusOrLengthOrContentIsAnError() {
        LatencyRecorder rec = new LatencyRecorder();
        LoadConnection c = new LoadConnection(writer, 4, true);
        c.enqueue(0, 5);
        c.enqueue(0, 5);
        c.enqueue(0, 5);
        byte[] answers = ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + "aaaa"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + "zzzzz");
        assertEquals(3, c.onReceive(buffer(answers), 0, answers.length, 9, rec));
        assertEquals(3, rec.errors());
        assertEquals(0, rec.completed());
        assertFalse(c.failed());
    }

    @Test
    void malformedStreamFailsTheConnectionAndCountsOutstandingRequests() {
        LatencyRecorder rec = new LatencyRecorder();
        LoadConnection c = new LoadConnection(writer, 4, false);
        c.enqueue(0, 1);
        c.enqueue(0, 1);
        byte[] junk = ascii("SMTP ready\r\n\r\n");
        c.onReceive(buffer(junk), 0, junk.length, 1, rec);
        assertTrue(c.failed());
        assertEquals(HttpResponseParser.Error.BAD_STATUS_LINE, c.protocolError());
        assertEquals(2, rec.errors());
        assertFalse(c.enqueue(2, 1));
    }

    @Test
    void unsolicitedResponseFailsTheConnection() {
        LatencyRecorder rec = new LatencyRecorder();
        LoadConnection c = new LoadConnection(writer, 4, false);
        byte[] r = ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        c.onReceive(buffer(r), 0, r.length, 1, rec);
        assertTrue(c.failed());
    }

    @Test
    void serverCloseWithRequestsOutstandingCountsThem() {
        LatencyRecorder rec = new LatencyRecorder();
        LoadConnection c = new LoadConnection(writer, 4, false);
        c.enqueue(0, 0);
        c.enqueue(0, 0);
        byte[] r = ascii("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        c.onReceive(buffer(r), 0, r.length, 1, rec);
        assertTrue(c.serverClosing());
        assertEquals(1, rec.completed());
        assertEquals(1, rec.errors());
        assertFalse(c.canEnqueue());
    }

    @Test
    void resetMakesAFailedConnectionUsableAgain() {
        LatencyRecorder rec = new LatencyRecorder();
        LoadConnection c = new LoadConnection(writer, 4, true);
        c.enqueue(0, 1);
        byte[] junk = ascii("HTTP/1.1 200 OK\r\n\r\n"); // no Content-Length: malformed for us
        c.onReceive(buffer(junk), 0, junk.length, 1, rec);
        assertTrue(c.failed());
        assertEquals(1, rec.errors());
        c.reset(rec);
        assertEquals(1, rec.errors(), "nothing was outstanding any more");
        assertTrue(c.canEnqueue());
        c.enqueue(10, 7);
        roundTrip(c, new HttpServerSession(HttpServerConfig.defaults()), 30, rec);
        assertEquals(1, rec.completed());
        assertEquals(20, rec.maxNanos());
    }
}
