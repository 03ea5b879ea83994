package io.capybara.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.app.BytesContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Parsing wrk's summary line and checking curl's bodies (no root needed). */
class WrkReportTest {
    @Test
    void parsesTheDoneHookLineAndSumsEveryErrorKind() {
        String out = "Running 1s test\n  2 threads and 8 connections\n"
                + "CAPYBARA-LAB requests=1000 connect=1 read=2 write=3 timeout=4 status=5 bad_body=6 checked=994 "
                + "duration_us=1000000 bytes=81000 p50_us=120 p99_us=900 max_us=5000\n";
        WrkReport r = WrkReport.parse(out);
        assertEquals(1000, r.requests());
        assertEquals(1 + 2 + 3 + 4 + 5 + 6, r.errors());
        assertEquals(120, r.p50Micros());
        assertEquals(900, r.p99Micros());
        assertEquals(994, r.checkedBodies());
    }

    @Test
    void missingSummaryIsAnError() {
        assertThrows(IllegalStateException.class, () -> WrkReport.parse("unable to connect to 10.0.0.1:80\n"));
    }

    @Test
    void scriptCountsWrongBodiesAndNon2xx() {
        assertTrue(WrkReport.LUA_SCRIPT.contains("e.status"));
        assertTrue(WrkReport.LUA_SCRIPT.contains("Hello from Capybara-J\\n"));
    }

    @Test
    void curlBodiesAreCheckedByteByByte() {
        byte[] big = new byte[Lab.CURL_BODY_BYTES];
        for (int i = 0; i < big.length; i++) {
            big[i] = BytesContent.byteAt(i);
        }
        assertTrue(Lab.bodyMatches(0, big));
        big[77_777] ^= 1;
        assertFalse(Lab.bodyMatches(0, big));
        assertFalse(Lab.bodyMatches(0, new byte[10]));
        assertTrue(Lab.bodyMatches(1, "Hello from Capybara-J\n".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(Lab.bodyMatches(1, "Hello from Capybara-J".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("/bytes/" + Lab.CURL_BODY_BYTES, Lab.curlPath(0));
        assertEquals("/", Lab.curlPath(1));
    }
}
