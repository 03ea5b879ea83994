package io.capybara.app;

import static io.capybara.app.TestBytes.ascii;
import static io.capybara.app.TestBytes.buffer;
import static io.capybara.app.TestBytes.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.app.ResponseList.Resp;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class HttpServerSessionTest {
    private static final HttpServerConfig CONFIG = HttpServerConfig.defaults();

    private static byte[] run(String input) {
        return SessionDriver.run(CONFIG, ascii(input), null, 1 << 16);
    }

    @Test
    void rootResponseIsExact() {
        assertEquals("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n\r\n"
                + "Hello from Capybara-J\n", text(run("GET / HTTP/1.1\r\nHost: a\r\n\r\n")));
    }

    @Test
    void bytesBodyIsTheDocumentedContentAndHeadHasTheSameLength() {
        byte[] out = run("GET /bytes/1000 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /bytes/1000 HTTP/1.1\r\nHost: a\r\n\r\n");
        List<Resp> r = ResponseList.parse(out, new boolean[] {false, true}, true);
        assertEquals(List.of(new Resp(200, 1000, true, true), new Resp(200, 0, true, true)), r);
        String s = text(out);
        int bodyAt = s.indexOf("\r\n\r\n") + 4;
        for (int i = 0; i < 1000; i++) {
            long z = i * 0x9E3779B97F4A7C15L;
            z ^= z >>> 32;
            z *= 0xD6E8FEB86659FD93L;
            z ^= z >>> 32;
            char expected = (char) ('a' + (int) (((z >>> 32) * 26) >>> 32)); // the documented formula
            assertEquals(expected, s.charAt(bodyAt + i), "byte " + i);
        }
        String head = s.substring(bodyAt + 1000);
        assertTrue(head.contains("Content-Length: 1000\r\n") && head.endsWith("\r\n\r\n"), head);
    }

    @Test
    void headOfEveryRouteReportsTheGetLength() {
        for (String path : new String[] {"/", "/bytes/0", "/bytes/5", "/missing", "/bytes/-3"}) {
            String get = text(run("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n"));
            String head = text(run("HEAD " + path + " HTTP/1.1\r\nHost: a\r\n\r\n"));
            assertEquals(get.substring(0, get.indexOf("\r\n\r\n") + 4), head, path);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWhateverTheChunking() {
        StringBuilder sb = new StringBuilder();
        List<Integer> statuses = new ArrayList<>();
        List<Long> lengths = new ArrayList<>();
        boolean[] heads = new boolean[100];
        for (int i = 0; i < 100; i++) {
            switch (i % 5) {
                case 0 -> { sb.append("GET /bytes/").append(i * 37).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
                    statuses.add(200); lengths.add(i * 37L); }
                case 1 -> { sb.append("HEAD /bytes/").append(i).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
                    statuses.add(200); lengths.add(0L); heads[i] = true; }
                case 2 -> { sb.append("GET / HTTP/1.1\r\nHost: h\r\n\r\n"); statuses.add(200); lengths.add(22L); }
                case 3 -> { sb.append("GET /x").append(i).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
                    statuses.add(404); lengths.add(14L); }
                default -> { sb.append("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody");
                    statuses.add(405); lengths.add(23L); }
            }
        }
        byte[] input = ascii(sb.toString());
        byte[] whole = SessionDriver.run(CONFIG, input, null, 1 << 16);
        List<Resp> r = ResponseList.parse(whole, heads, true);
        assertEquals(statuses, r.stream().map(Resp::status).toList());
        assertEquals(lengths, r.stream().map(Resp::length).toList());
        assertTrue(r.stream().allMatch(Resp::keepAlive));
        for (int i = 0; i < 100; i += 5) {
            assertTrue(r.get(i).contentOk(), "/bytes body " + i);
        }
        assertFalse(r.get(2).contentOk(), "the root page is not /bytes content: verification can fail");
        for (long seed : TestBytes.seeds(500)) {
            SplittableRandom rnd = new SplittableRandom(seed);
            byte[] got = SessionDriver.run(CONFIG.withMaxPipelined(1 + rnd.nextInt(8)), input, rnd, 1 + rnd.nextInt(300));
            assertArrayEquals(whole, got, TestBytes.replay("HttpServerSessionTest#pipelinedRequestsAreAnsweredInOrderWhateverTheChunking", seed));
        }
    }

    @Test
    void responsesWaitForTheirServiceDemand() {
        HttpServerSession s = new HttpServerSession(CONFIG.withServiceTimeMicros(25));
        byte[] in = ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /bytes/3 HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(in.length, s.onReceive(buffer(in), 0, in.length));
        UnsafeBuffer out = new UnsafeBuffer(new byte[4096]);
        assertEquals(2, s.unservedRequests());
        assertFalse(s.hasOutput());
        assertEquals(0, s.produce(out, 0, 4096), "nothing before the service time is spent");
        assertEquals(25_000, s.serveNext());
        int first = s.produce(out, 0, 4096);
        assertEquals(text(run("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).length(), first, "only the served response");
        assertEquals(1, s.unservedRequests());
        assertEquals(25_000, s.serveAll());
        assertEquals(-1, s.serveNext());
        assertTrue(s.produce(out, 0, 4096) > 0);
        assertEquals(2, s.responses());
    }

    @Test
    void connectionCloseFinishesAfterItsResponse() {
        HttpServerSession s = new HttpServerSession(CONFIG);
        SessionDriver d = new SessionDriver(s, null, 7);
        d.feed("GET /bytes/100 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertFalse(s.isFinished());
        d.drain();
        assertTrue(s.isFinished());
        List<Resp> r = ResponseList.parse(d.output(), null, true);
        assertEquals(List.of(new Resp(200, 100, false, true)), r);
        assertTrue(text(d.output()).contains("Connection: close\r\n"));
    }

    @Test
    void http10KeepAliveIsConfirmedAndDefaultCloses() {
        String ka = text(run("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        assertTrue(ka.contains("Connection: keep-alive\r\n"), ka);
        String close = text(run("GET / HTTP/1.0\r\n\r\n"));
        assertTrue(close.contains("Connection: close\r\n"), close);
        String plain = text(run("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertFalse(plain.contains("Connection:"), plain);
    }

    @Test
    void methodNotAllowedCarriesAllow() {
        String s = text(run("POST / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertTrue(s.startsWith("HTTP/1.1 405 Method Not Allowed\r\n") && s.contains("Allow: GET, HEAD\r\n"), s);
    }

    @Test
    void malformedRequestGets400ThenClose() {
        HttpServerSession s = new HttpServerSession(CONFIG);
        SessionDriver d = new SessionDriver(s, null, 100);
        d.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nBroken\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        d.drain();
        List<Resp> r = ResponseList.parse(d.output(), null, false);
        assertEquals(List.of(200, 400), r.stream().map(Resp::status).toList());
        assertFalse(r.get(1).keepAlive());
        assertTrue(s.isFinished());
    }

    @Test
    void oversizedHeadGets413() {
        String big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + "z".repeat(9000) + "\r\n\r\n";
        List<Resp> r = ResponseList.parse(run(big), null, false);
        assertEquals(1, r.size());
        assertEquals(413, r.get(0).status());
        assertFalse(r.get(0).keepAlive());
    }

    @Test
    void fullQueueStopsInputUntilResponsesGoOut() {
        HttpServerSession s = new HttpServerSession(CONFIG.withMaxPipelined(4));
        byte[] in = ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(10));
        int used = s.onReceive(buffer(in), 0, in.length);
        assertEquals(4 * 27, used);
        assertEquals(4, s.pendingRequests());
        assertEquals(0, s.receiveWindow());
        s.serveAll();
        UnsafeBuffer out = new UnsafeBuffer(new byte[1 << 16]);
        s.produce(out, 0, out.capacity());
        assertEquals(0, s.pendingRequests());
        assertEquals(3 * HttpServerSession.MIN_REQUEST_BYTES + 1, s.receiveWindow());
        assertEquals(4 * 27, s.onReceive(buffer(in), used, in.length - used), "takes 4 more, then stops");
    }

    @Test
    void peerCloseAnswersQueuedRequestsAndDropsAPartialOne() {
        HttpServerSession s = new HttpServerSession(CONFIG);
        SessionDriver d = new SessionDriver(s, null, 100);
        d.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /bytes/9 HTTP/1.1\r\nHost: a\r\n\r\nGET / HT");
        s.onPeerClosed();
        assertFalse(s.isFinished());
        d.drain();
        assertTrue(s.isFinished());
        assertEquals(List.of(200, 200), ResponseList.parse(d.output(), null, true).stream().map(Resp::status).toList());
    }

    @Test
    void largeBodyStreamsThroughSmallWindows() {
        long n = 8L * 1024 * 1024 + 13;
        byte[] out = SessionDriver.run(CONFIG, ascii("GET /bytes/" + n + " HTTP/1.1\r\nHost: a\r\n\r\n"), null, 1460);
        List<Resp> r = ResponseList.parse(out, null, true);
        assertEquals(List.of(new Resp(200, n, true, true)), r);
    }

    @Test
    void largestAllowedResponseHeadAndOneMore() {
        long max = CONFIG.maxResponseBytes();
        assertTrue(text(run("HEAD /bytes/" + max + " HTTP/1.1\r\nHost: a\r\n\r\n")).contains("Content-Length: " + max + "\r\n"));
        assertTrue(text(run("HEAD /bytes/" + (max + 1) + " HTTP/1.1\r\nHost: a\r\n\r\n")).startsWith("HTTP/1.1 400 "));
    }

    @Test
    void idleOnlyBetweenRequests() {
        HttpServerSession s = new HttpServerSession(CONFIG);
        assertTrue(s.isIdle());
        byte[] in = ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HT");
        s.onReceive(buffer(in), 0, 10);
        assertFalse(s.isIdle(), "partial head");
        s.onReceive(buffer(in), 10, 17);
        assertFalse(s.isIdle(), "request queued");
        s.serveAll();
        s.produce(new UnsafeBuffer(new byte[4096]), 0, 4096);
        assertTrue(s.isIdle());
        s.onReceive(buffer(in), 27, in.length - 27);
        assertFalse(s.isIdle());
        assertTrue(s.snapshotSize() > new HttpServerSession(CONFIG).snapshotSize());
    }
}
