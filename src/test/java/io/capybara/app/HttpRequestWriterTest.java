package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class HttpRequestWriterTest {

    @Test
    void writesTheDocumentedRequest() {
        HttpRequestWriter w = new HttpRequestWriter("10.0.0.1:80");
        UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        int n = w.writeGetBytes(b, 3, 1024);
        assertEquals("GET /bytes/1024 HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n", b.getStringWithoutLengthAscii(3, n));
    }

    @Test
    void everyVariantRoundTripsThroughTheServerParser() {
        HttpRequestWriter w = new HttpRequestWriter("h");
        UnsafeBuffer b = new UnsafeBuffer(new byte[w.maxLength()]);
        long[] counts = {HttpRequestWriter.ROOT, 0, 1, 9, 10, 123456789, Long.MAX_VALUE};
        for (long count : counts) {
            for (boolean head : new boolean[] {false, true}) {
                for (boolean close : new boolean[] {false, true}) {
                    int n = w.write(b, 0, head, count, close);
                    assertTrue(n <= w.maxLength());
                    HttpRequestParser p = new HttpRequestParser(HttpServerConfig.defaults());
                    assertEquals(n, p.parse(b, 0, n));
                    assertTrue(p.hasRequest());
                    assertEquals(head, p.isHead());
                    assertEquals(close, p.closesConnection());
                    if (count == HttpRequestWriter.ROOT) {
                        assertEquals(HttpRequestParser.ROUTE_ROOT, p.route());
                    } else if (count <= HttpServerConfig.DEFAULT_MAX_RESPONSE_BYTES) {
                        assertEquals(HttpRequestParser.ROUTE_BYTES, p.route());
                        assertEquals(count, p.bytesCount());
                    } else {
                        assertEquals(RequestError.BAD_BYTES_COUNT, p.error());
                    }
                }
            }
        }
    }

    @Test
    void rejectsHostsThatWouldBreakTheRequest() {
        assertThrows(IllegalArgumentException.class, () -> new HttpRequestWriter("a b"));
        assertThrows(IllegalArgumentException.class, () -> new HttpRequestWriter("a\r\nX: y"));
        assertThrows(IllegalArgumentException.class,
                () -> new HttpRequestWriter("h").writeGetBytes(new UnsafeBuffer(new byte[64]), 0, -1));
    }
}
