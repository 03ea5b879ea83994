package io.capybara.app;

import static io.capybara.app.TestBytes.ascii;
import static io.capybara.app.TestBytes.buffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.app.HttpResponseParser.Error;
import io.capybara.app.ResponseList.Resp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class HttpResponseParserTest {

    private static byte[] serverOutput(String requests) {
        return SessionDriver.run(HttpServerConfig.defaults(), ascii(requests), null, 1 << 16);
    }

    /** Feeds chunks to one parser; returns (status, length, keepAlive, contentOk) per response. */
    private static List<Resp> feed(HttpResponseParser p, byte[]... chunks) {
        List<Resp> out = new ArrayList<>();
        for (byte[] c : chunks) {
            UnsafeBuffer b = buffer(c);
            for (int off = 0; off < c.length && !p.failed(); ) {
                off += p.parse(b, off, c.length - off);
                if (p.hasResponse()) {
                    out.add(new Resp(p.status(), p.contentLength(), p.keepAlive(), p.contentOk()));
                }
            }
        }
        return out;
    }

    private static Error error(String response) {
        HttpResponseParser p = new HttpResponseParser(8192);
        List<Resp> r = feed(p, ascii(response));
        assertTrue(r.isEmpty(), "no response from " + response);
        return p.error();
    }

    @Test
    void everySplitPointOfAPipelinedStreamGivesTheSameResponses() {
        byte[] out = serverOutput("GET /bytes/300 HTTP/1.1\r\nHost: a\r\n\r\nGET /bytes/0 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /bytes/1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        HttpResponseParser whole = new HttpResponseParser(8192);
        whole.verifyBytesContent(true);
        List<Resp> expected = feed(whole, out);
        assertEquals(List.of(new Resp(200, 300, true, true), new Resp(200, 0, true, true), new Resp(200, 1, false, true)),
                expected);
        for (int split = 0; split <= out.length; split++) {
            HttpResponseParser p = new HttpResponseParser(8192);
            p.verifyBytesContent(true);
            assertEquals(expected, feed(p, Arrays.copyOfRange(out, 0, split), Arrays.copyOfRange(out, split, out.length)),
                    "split " + split);
            assertEquals(3, p.responses());
            assertFalse(p.inProgress());
        }
    }

    @Test
    void verificationFindsTheFirstWrongByte() {
        byte[] out = serverOutput("GET /bytes/5000 HTTP/1.1\r\nHost: a\r\n\r\n");
        int bodyAt = TestBytes.text(out).indexOf("\r\n\r\n") + 4;
        out[bodyAt + 4321] ^= 1;
        out[bodyAt + 4500] ^= 1;
        HttpResponseParser p = new HttpResponseParser(8192);
        p.verifyBytesContent(true);
        List<Resp> r = feed(p, out);
        assertEquals(1, r.size());
        assertFalse(r.get(0).contentOk());
        assertEquals(4321, p.firstMismatch());
    }

    @Test
    void shiftedContentIsDetected() {
        // the same body but starting one byte late, as a duplicated byte in transit would do
        byte[] out = serverOutput("GET /bytes/100 HTTP/1.1\r\nHost: a\r\n\r\n");
        int bodyAt = TestBytes.text(out).indexOf("\r\n\r\n") + 4;
        System.arraycopy(out, bodyAt, out, bodyAt + 1, 99);
        HttpResponseParser p = new HttpResponseParser(8192);
        p.verifyBytesContent(true);
        feed(p, out);
        assertTrue(p.firstMismatch() >= 1 && p.firstMismatch() < 10, "mismatch at " + p.firstMismatch());
    }

    @Test
    void headResponsesHaveNoBody() {
        byte[] out = serverOutput("HEAD /bytes/50 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        HttpResponseParser p = new HttpResponseParser(8192);
        p.expectHead(true);
        UnsafeBuffer b = buffer(out);
        int used = p.parse(b, 0, out.length);
        assertTrue(p.hasResponse());
        assertEquals(0, p.contentLength());
        p.expectHead(false);
        p.parse(b, used, out.length - used);
        assertTrue(p.hasResponse());
        assertEquals(22, p.contentLength());
    }

    @Test
    void keepAliveRules() {
        assertTrue(feed(new HttpResponseParser(8192), ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).get(0).keepAlive());
        assertFalse(feed(new HttpResponseParser(8192),
                ascii("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")).get(0).keepAlive());
        assertFalse(feed(new HttpResponseParser(8192), ascii("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")).get(0).keepAlive());
        assertTrue(feed(new HttpResponseParser(8192),
                ascii("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")).get(0).keepAlive());
    }

    @Test
    void bodilessStatusesAndEmptyReason() {
        List<Resp> r = feed(new HttpResponseParser(8192), ascii("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304\r\n\r\n"
                + "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok"));
        assertEquals(List.of(204, 304, 200), r.stream().map(Resp::status).toList());
        assertEquals(2, r.get(2).length());
    }

    @Test
    void malformedResponsesAreErrors() {
        assertEquals(Error.BAD_STATUS_LINE, error("HTTP/2 200 OK\r\n\r\n"));
        assertEquals(Error.BAD_STATUS_LINE, error("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(Error.BAD_STATUS_LINE, error("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(Error.BAD_STATUS_LINE, error("garbage\r\n\r\n"));
        assertEquals(Error.INTERIM_RESPONSE, error("HTTP/1.1 100 Continue\r\n\r\n"));
        assertEquals(Error.MISSING_CONTENT_LENGTH, error("HTTP/1.1 200 OK\r\n\r\n"));
        assertEquals(Error.TRANSFER_ENCODING, error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertEquals(Error.BAD_CONTENT_LENGTH, error("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"));
        assertEquals(Error.BAD_HEADER, error("HTTP/1.1 200 OK\r\nContent-Length 1\r\n\r\n"));
        assertEquals(Error.BARE_CR, error("HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n"));
        assertEquals(Error.HEAD_TOO_LARGE, error("HTTP/1.1 200 OK\r\nX: " + "a".repeat(9000) + "\r\n\r\n"));
    }

    @Test
    void afterAnErrorNothingMoreIsTaken() {
        HttpResponseParser p = new HttpResponseParser(8192);
        byte[] bad = ascii("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        int used = p.parse(buffer(bad), 0, bad.length);
        assertTrue(p.failed());
        assertEquals(19, used);
        assertEquals(0, p.parse(buffer(bad), used, bad.length - used));
        assertEquals(0, p.responses());
    }
}
