package io.capybara.app;

import static io.capybara.app.TestBytes.ascii;
import static io.capybara.app.TestBytes.buffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpRequestParserTest {
    private static final HttpServerConfig CONFIG = HttpServerConfig.defaults();

    /** What the parser decided for one request. */
    record Req(int status, RequestError error, int route, long n, boolean head, boolean close, boolean http10) {
    }

    /** Feeds {@code input} in chunks of {@code chunk} bytes; returns every completed request. */
    static List<Req> parse(HttpRequestParser p, byte[] input, int chunk) {
        List<Req> out = new ArrayList<>();
        UnsafeBuffer buf = buffer(input);
        for (int off = 0; off < input.length; ) {
            int len = Math.min(chunk, input.length - off);
            int used = p.parse(buf, off, len);
            assertTrue(used > 0 && used <= len, "parse must make progress");
            off += used;
            if (p.hasRequest()) {
                out.add(new Req(p.status(), p.error(), p.route(), p.bytesCount(), p.isHead(), p.closesConnection(),
                        p.isHttp10()));
            }
        }
        return out;
    }

    static List<Req> parse(String input) {
        return parse(new HttpRequestParser(CONFIG), ascii(input), Integer.MAX_VALUE);
    }

    static Req one(String input) {
        List<Req> r = parse(input);
        assertEquals(1, r.size(), "requests parsed from " + input);
        return r.get(0);
    }

    @Test
    void getRootKeepsAliveInHttp11() {
        Req r = one("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(200, r.status());
        assertEquals(HttpRequestParser.ROUTE_ROOT, r.route());
        assertFalse(r.close());
        assertFalse(r.head());
        assertFalse(r.http10());
    }

    @Test
    void bytesCountIsParsed() {
        Req r = one("GET /bytes/12345 HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(HttpRequestParser.ROUTE_BYTES, r.route());
        assertEquals(12345, r.n());
        assertEquals(7, one("GET /bytes/007?x=1 HTTP/1.1\r\nHost: a\r\n\r\n").n(), "leading zeros, query ignored");
        assertEquals(0, one("GET /bytes/0 HTTP/1.1\r\nHost: a\r\n\r\n").n());
        assertEquals(HttpServerConfig.DEFAULT_MAX_RESPONSE_BYTES,
                one("GET /bytes/" + HttpServerConfig.DEFAULT_MAX_RESPONSE_BYTES + " HTTP/1.1\r\nHost: a\r\n\r\n").n());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bytes/-1", "/bytes/99999999999999999999", "/bytes/", "/bytes/1x", "/bytes/+5",
        "/bytes/67108865", "/bytes/1%30"})
    void badBytesCountIs400ButKeepsTheConnection(String target) {
        List<Req> r = parse("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(2, r.size());
        assertEquals(RequestError.BAD_BYTES_COUNT, r.get(0).error());
        assertEquals(400, r.get(0).status());
        assertFalse(r.get(0).close());
        assertEquals(200, r.get(1).status());
    }

    @Test
    void unknownPathIs404() {
        Req r = one("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(404, r.status());
        assertFalse(r.close());
        assertEquals(404, one("GET /bytesx/4 HTTP/1.1\r\nHost: a\r\n\r\n").status());
    }

    @Test
    void headIsRecognised() {
        Req r = one("HEAD /bytes/10 HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(r.head());
        assertEquals(200, r.status());
    }

    @Test
    void keepAliveRules() {
        assertTrue(one("GET / HTTP/1.0\r\n\r\n").close(), "1.0 closes by default");
        assertTrue(one("GET / HTTP/1.0\r\n\r\n").http10());
        assertFalse(one("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").close());
        assertTrue(one("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").close());
        assertTrue(one("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").close());
        assertTrue(one("GET / HTTP/1.1\r\nHost: a\r\nconnection:  foo ,CLOSE \r\n\r\n").close());
        assertFalse(one("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n").close());
    }

    @Test
    void nothingAfterAClosingRequestIsParsed() {
        HttpRequestParser p = new HttpRequestParser(CONFIG);
        List<Req> r = parse(p, ascii("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
                Integer.MAX_VALUE);
        assertEquals(1, r.size());
        assertEquals(27, p.discardedBytes());
    }

    @Test
    void otherMethodsGet405AndTheirBodyIsSkipped() {
        List<Req> r = parse("POST /bytes/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(2, r.size());
        assertEquals(405, r.get(0).status());
        assertFalse(r.get(0).close());
        assertEquals(200, r.get(1).status());
    }

    @Test
    void getWithBodyIsReadAndDiscarded() {
        List<Req> r = parse("GET /bytes/3 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(List.of(200, 200), r.stream().map(Req::status).toList());
        assertEquals(HttpRequestParser.ROUTE_ROOT, r.get(1).route());
    }

    @Test
    void chunkedBodiesAre501AndClose() {
        Req r = one("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertEquals(501, r.status());
        assertTrue(r.close());
    }

    @Test
    void hostRules() {
        assertEquals(RequestError.MISSING_HOST, one("GET / HTTP/1.1\r\n\r\n").error());
        assertEquals(RequestError.DUPLICATE_HOST, one("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n").error());
        assertNull(one("GET / HTTP/1.0\r\n\r\n").error(), "1.0 needs no Host");
        assertNull(one("GET / HTTP/1.1\r\nHost:\r\n\r\n").error(), "empty Host is allowed");
    }

    @Test
    void contentLengthRules() {
        assertEquals(RequestError.BAD_CONTENT_LENGTH, one("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n").error());
        assertEquals(RequestError.BAD_CONTENT_LENGTH, one("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n").error());
        assertEquals(RequestError.BAD_CONTENT_LENGTH, one("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n").error());
        assertEquals(RequestError.BAD_CONTENT_LENGTH,
                one("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n").error());
        assertEquals(RequestError.BAD_CONTENT_LENGTH,
                one("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").error());
        assertEquals(RequestError.BODY_TOO_LARGE,
                one("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n").error());
        assertEquals(413, RequestError.BODY_TOO_LARGE.status());
        List<Req> same = parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nxxGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(2, same.size(), "repeated equal Content-Length is accepted");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\nHost a\r\n\r\n",               // no colon
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",             // space before colon
        "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",        // empty name
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",   // obs-fold
        "GET / HTTP/1.1\r\nHost: a\u0000b\r\n\r\n",        // NUL in value
        "GET / HTTP/1.1\r\nHost: a\u007fb\r\n\r\n",        // DEL in value
        "GET / HTTP/1.1\r\nHo\u0000st: a\r\n\r\n",         // NUL in name
    })
    void malformedHeadersAre400AndClose(String input) {
        Req r = one(input);
        assertEquals(RequestError.BAD_HEADER, r.error(), input);
        assertEquals(400, r.status());
        assertTrue(r.close());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        "GET /\r\nHost: a\r\n\r\n",
        "GET\r\n\r\n",
        "GET / HTTP/1.1x\r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n",
        "G\u00e9T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "\u0000\u0000\u0000\n\n",
        " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    })
    void malformedRequestLinesAre400AndClose(String input) {
        Req r = one(input);
        assertEquals(RequestError.BAD_REQUEST_LINE, r.error(), input);
        assertTrue(r.close());
    }

    @Test
    void otherVersionsAre505() {
        assertEquals(RequestError.UNSUPPORTED_VERSION, one("GET / HTTP/2.0\r\nHost: a\r\n\r\n").error());
        assertEquals(RequestError.UNSUPPORTED_VERSION, one("GET / HTTP/1.2\r\nHost: a\r\n\r\n").error());
        assertEquals(505, RequestError.UNSUPPORTED_VERSION.status());
    }

    @Test
    void bareLfIsAcceptedBareCrIsNot() {
        List<Req> r = parse("GET / HTTP/1.1\nHost: a\n\nGET /bytes/2 HTTP/1.1\r\nHost: a\n\r\n");
        assertEquals(List.of(200, 200), r.stream().map(Req::status).toList());
        assertEquals(RequestError.BARE_CR, one("GET / HTTP/1.1\rHost: a\r\n\r\n").error());
        assertEquals(RequestError.BARE_CR, one("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n").error());
    }

    @Test
    void leadingEmptyLinesAreSkipped() {
        List<Req> r = parse("\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(List.of(200, 200), r.stream().map(Req::status).toList());
    }

    @Test
    void anyNumberOfEmptyLinesBetweenRequestsIsHarmless() {
        String flood = "\r\n".repeat(20_000);
        List<Req> r = parse(new HttpRequestParser(CONFIG), ascii(flood + "GET / HTTP/1.1\r\nHost: a\r\n\r\n" + flood
                + "GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n"), 1000);
        assertEquals(List.of(200, 200), r.stream().map(Req::status).toList());
    }

    @Test
    void headExactlyAtTheBoundIsAcceptedOneMoreIs413() {
        String prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
        String fill = "y".repeat(CONFIG.maxHeaderBytes() - prefix.length() - 4);
        String exact = prefix + fill + "\r\n\r\n";
        assertEquals(CONFIG.maxHeaderBytes(), exact.length());
        assertNull(one(exact).error());
        Req over = one(prefix + fill + "y\r\n\r\n");
        assertEquals(RequestError.HEAD_TOO_LARGE, over.error());
        assertEquals(413, over.status());
        assertTrue(over.close());
    }

    @Test
    void overlongRequestLineIs414() {
        Req r = one("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(RequestError.REQUEST_LINE_TOO_LONG, r.error());
        assertEquals(414, r.status());
        assertTrue(r.close());
    }

    @Test
    void endlessGarbageIsBoundedAndClosed() {
        byte[] junk = new byte[100_000];
        Arrays.fill(junk, (byte) 'x');
        HttpRequestParser p = new HttpRequestParser(CONFIG);
        List<Req> r = parse(p, junk, 1000);
        assertEquals(1, r.size());
        assertTrue(r.get(0).close());
        assertEquals(100_000 - CONFIG.maxHeaderBytes(), p.discardedBytes());
    }

    @Test
    void everySplitPointGivesTheSameRequests() {
        String input = "GET /bytes/77 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                + "DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /nope HTTP/1.1\nHost: x\n\n"
                + "GET /bytes/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        byte[] bytes = ascii(input);
        List<Req> whole = parse(new HttpRequestParser(CONFIG), bytes, Integer.MAX_VALUE);
        assertEquals(List.of(200, 200, 405, 404, 200), whole.stream().map(Req::status).toList());
        for (int chunk = 1; chunk <= 7; chunk++) {
            assertEquals(whole, parse(new HttpRequestParser(CONFIG), bytes, chunk), "chunk size " + chunk);
        }
        for (int split = 0; split <= bytes.length; split++) {
            HttpRequestParser p = new HttpRequestParser(CONFIG);
            List<Req> got = new ArrayList<>(parse(p, Arrays.copyOfRange(bytes, 0, split), Integer.MAX_VALUE));
            got.addAll(parse(p, Arrays.copyOfRange(bytes, split, bytes.length), Integer.MAX_VALUE));
            assertEquals(whole, got, "split at " + split);
        }
    }

    @Test
    void hundredPipelinedRequestsInOneChunk() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            sb.append("GET /bytes/").append(i).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
        }
        HttpRequestParser p = new HttpRequestParser(CONFIG);
        List<Req> r = parse(p, ascii(sb.toString()), Integer.MAX_VALUE);
        assertEquals(100, r.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(i, r.get(i).n());
        }
        assertEquals(100, p.requests());
    }

    @Test
    void errorsAreCountedPerReason() {
        HttpRequestParser p = new HttpRequestParser(CONFIG);
        parse(p, ascii("GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
                Integer.MAX_VALUE);
        assertEquals(2, p.errorCount(RequestError.NOT_FOUND));
        assertEquals(1, p.errorCount(RequestError.MISSING_HOST));
        assertEquals(0, p.errorCount(RequestError.BAD_HEADER));
    }

    @Test
    void minimalKeepAliveRequestIsNotShorterThanTheWindowAssumes() {
        String shortest = "X / HTTP/1.0\n\n";
        assertEquals(HttpServerSession.MIN_REQUEST_BYTES, shortest.length());
        assertEquals(405, one(shortest).status());
        // one byte fewer anywhere cannot make a well-formed request line
        assertEquals(RequestError.BAD_REQUEST_LINE, one("X / HTTP/1.\n\n").error());
        assertEquals(RequestError.BAD_REQUEST_LINE, one("X /HTTP/1.0\n\n").error());
    }
}
