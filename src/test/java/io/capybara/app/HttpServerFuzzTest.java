package io.capybara.app;

import static io.capybara.app.TestBytes.ascii;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.app.ResponseList.Resp;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the server session: mutated pipelined requests and raw garbage. The session
 * must never throw, answer every request it completed exactly once with a well-framed response,
 * stop after a closing one, and send the same bytes however the input is chunked.
 */
class HttpServerFuzzTest {
    private static final HttpServerConfig CONFIG = HttpServerConfig.defaults().withMaxHeaderBytes(512)
            .withMaxPipelined(16).withMaxResponseBytes(5000);
    private static final Set<Integer> STATUSES = Set.of(200, 400, 404, 405, 413, 414, 501, 505);
    private static final String[] FRAGMENTS = {
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /bytes/123 HTTP/1.1\r\nHost: a\r\n\r\n",
        "HEAD /bytes/99 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /bytes/4999 HTTP/1.1\nHost: a\n\n",
        "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "\r\n",
        "GET /bytes/99999999999999999999 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    };

    private static final String GRAMMAR = "GET /\r\n: HTTP/1.1";

    private static byte[] mutatedInput(SplittableRandom r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int parts = 1 + r.nextInt(30);
        for (int i = 0; i < parts; i++) {
            byte[] f = ascii(FRAGMENTS[r.nextInt(FRAGMENTS.length)]);
            if (r.nextInt(4) == 0) {
                f = mutate(f, r);
            }
            out.write(f, 0, f.length);
        }
        return out.toByteArray();
    }

    private static byte[] mutate(byte[] f, SplittableRandom r) {
        byte[] m = f.clone();
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits && m.length > 0; e++) {
            int at = r.nextInt(m.length);
            switch (r.nextInt(4)) {
                case 0 -> m[at] = (byte) r.nextInt(256);
                case 1 -> m[at] = 0;
                case 2 -> m = splice(m, at, new byte[] {(byte) charAt(r)});
                default -> m = splice(m, at, new byte[r.nextInt(600)]); // long run of NULs
            }
        }
        return m;
    }

    private static char charAt(SplittableRandom r) {
        return "\r\n: /".charAt(r.nextInt(5));
    }

    private static byte[] splice(byte[] a, int at, byte[] insert) {
        byte[] m = new byte[a.length + insert.length];
        System.arraycopy(a, 0, m, 0, at);
        System.arraycopy(insert, 0, m, at, insert.length);
        System.arraycopy(a, at, m, at + insert.length, a.length - at);
        return m;
    }

    /** HEAD flags of the requests a standalone parser completes, for framing the output. */
    private static boolean[] headFlags(byte[] input) {
        HttpRequestParser p = new HttpRequestParser(CONFIG);
        List<Boolean> heads = new ArrayList<>();
        UnsafeBuffer b = new UnsafeBuffer(input);
        for (int off = 0; off < input.length; ) {
            off += p.parse(b, off, input.length - off);
            if (p.hasRequest()) {
                heads.add(p.isHead());
            }
        }
        boolean[] h = new boolean[heads.size()];
        for (int i = 0; i < h.length; i++) {
            h[i] = heads.get(i);
        }
        return h;
    }

    private static List<Resp> check(byte[] input, long seed, String method) {
        String replay = TestBytes.replay("HttpServerFuzzTest#" + method, seed);
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        byte[] whole;
        HttpServerSession s = new HttpServerSession(CONFIG);
        try {
            SessionDriver d = new SessionDriver(s, null, 1 << 16);
            d.feed(input, 0, input.length);
            d.drain();
            whole = d.output();
            byte[] chunked = SessionDriver.run(CONFIG, input, r, 1 + r.nextInt(64));
            assertArrayEquals(whole, chunked, "chunking changed the output; " + replay);
        } catch (RuntimeException e) {
            throw new AssertionError("threw; " + replay, e);
        }
        boolean[] heads = headFlags(input);
        List<Resp> resp;
        try {
            resp = ResponseList.parse(whole, heads, false);
        } catch (AssertionError e) {
            throw new AssertionError("bad framing; " + replay, e);
        }
        assertEquals(s.parser().requests(), resp.size(), "every completed request answered once; " + replay);
        for (int i = 0; i < resp.size(); i++) {
            Resp x = resp.get(i);
            assertTrue(STATUSES.contains(x.status()), "status " + x.status() + "; " + replay);
            if (i < resp.size() - 1) {
                assertTrue(x.keepAlive(), "only the last response may close; " + replay);
            } else {
                assertEquals(!x.keepAlive(), s.isFinished(), "close iff finished; " + replay);
            }
            if (x.status() >= 400 && x.status() != 404 && x.status() != 405 && !x.keepAlive()) {
                assertEquals(resp.size() - 1, i, "a 4xx/5xx close ends the stream; " + replay);
            }
        }
        return resp;
    }

    @Test
    void mutatedPipelinesAreAnsweredOrClosedNeverThrow() {
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        for (long seed : TestBytes.seeds(500)) {
            check(mutatedInput(new SplittableRandom(seed)), seed, "mutatedPipelinesAreAnsweredOrClosedNeverThrow")
                    .forEach(x -> seen.add(x.status()));
        }
        if (System.getProperty("capybara.seed") == null) {
            assertTrue(seen.containsAll(Set.of(200, 400, 404, 405, 413, 501)), "fuzz reached too few outcomes: " + seen);
        }
    }

    @Test
    void randomBytesAreAnsweredOrClosedNeverThrow() {
        for (long seed : TestBytes.seeds(500)) {
            SplittableRandom r = new SplittableRandom(seed);
            byte[] junk = new byte[r.nextInt(2000)];
            for (int i = 0; i < junk.length; i++) {
                // biased toward bytes that matter to the grammar
                junk[i] = r.nextInt(3) == 0 ? (byte) GRAMMAR.charAt(r.nextInt(GRAMMAR.length())) : (byte) r.nextInt(256);
            }
            check(junk, seed, "randomBytesAreAnsweredOrClosedNeverThrow");
        }
    }
}
