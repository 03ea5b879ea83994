package io.capybara.app;

import static io.capybara.app.TestBytes.ascii;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The per-request paths allocate nothing: parsing, serving, producing, writing requests,
 * parsing responses, scheduling and recording. Measured with the JVM's per-thread allocation
 * counter over many requests after a warm-up; a per-request allocation of even 16 bytes would
 * add up to far more than the slack allowed.
 */
class AllocationFreeTest {
    private static final int REQUESTS = 20_000;

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void requestResponseLoopAllocatesNothing() {
        io.capybara.testing.Require.that(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                () -> "needs com.sun.management.ThreadMXBean");
        HttpServerSession server = new HttpServerSession(HttpServerConfig.defaults().withServiceTimeMicros(1));
        HttpRequestWriter writer = new HttpRequestWriter("10.0.0.1:80");
        HttpResponseParser client = new HttpResponseParser(8192);
        client.verifyBytesContent(true);
        OpenLoopSchedule schedule = new OpenLoopSchedule(0, 1e6, new ZipfSkew(150, 0.99), 1);
        LatencyRecorder recorder = new LatencyRecorder();
        UnsafeBuffer wire = new UnsafeBuffer(new byte[1 << 16]);
        UnsafeBuffer out = new UnsafeBuffer(new byte[1460]);
        UnsafeBuffer junk = new UnsafeBuffer(ascii("GET /nope HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n"));

        loop(server, writer, client, schedule, recorder, wire, out, junk, 2_000); // warm-up
        long before = allocated();
        loop(server, writer, client, schedule, recorder, wire, out, junk, REQUESTS);
        long used = allocated() - before;
        assertTrue(used < 4096, used + " bytes allocated for " + REQUESTS + " requests");
        assertEquals(0, recorder.errors());
    }

    private static void loop(HttpServerSession server, HttpRequestWriter writer, HttpResponseParser client,
                             OpenLoopSchedule schedule, LatencyRecorder recorder, UnsafeBuffer wire,
                             UnsafeBuffer out, UnsafeBuffer junk, int requests) {
        for (int i = 0; i < requests; i++) {
            long intended = schedule.nextSendTimeNanos();
            schedule.nextConnection();
            schedule.advance();
            int n = writer.writeGetBytes(wire, 0, i % 3000);
            server.onReceive(wire, 0, n);
            if (i % 7 == 0) {
                server.onReceive(junk, 0, junk.capacity()); // a 404 now and then
            }
            server.serveAll();
            while (server.hasOutput()) {
                int m = server.produce(out, 0, out.capacity());
                for (int off = 0; off < m; ) {
                    off += client.parse(out, off, m - off);
                    if (client.hasResponse()) {
                        if (client.status() == 200 && !client.contentOk()) {
                            recorder.recordError();
                        }
                        recorder.recordResponse(intended, intended + 1000 + i);
                    }
                }
            }
        }
    }
}
