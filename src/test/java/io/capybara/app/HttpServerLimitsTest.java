package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.MemoryLink;
import io.capybara.tcp.TcpConnection;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The HTTP server's request-head time limit (slowloris) and its connection limit, in virtual time. */
class HttpServerLimitsTest {
    static final int CLIENT_IP = 0x0A4E_0001;
    static final int SERVER_IP = 0x0A4E_0002;
    static final long MS = 1_000_000L;
    static final long S = 1_000 * MS;

    final MemoryLink link = MemoryLink.pair("limits", 4096);
    final Host client = new Host(HostConfig.of("c", 0x02_00_00_00_00_01L, CLIENT_IP, 24).withIsnSeed(1), link.a());
    final Host server = new Host(HostConfig.of("s", 0x02_00_00_00_00_02L, SERVER_IP, 24).withIsnSeed(2), link.b());
    long now = 1_000_000_000L;
    HttpServerApp app;

    void start(HttpServerConfig config) {
        app = new HttpServerApp(server, config);
        server.listen(80, app);
    }

    /** Runs the two hosts and the app's clock (1 ms steps) until {@code done} or {@code span}. */
    boolean run(long span, BooleanSupplier done) {
        long end = now + span;
        while (now < end) {
            if (done.getAsBoolean()) {
                return true;
            }
            client.poll(now);
            server.poll(now);
            app.poll(now);
            now += MS;
        }
        return done.getAsBoolean();
    }

    static final class Client implements ConnectionHandler {
        final StringBuilder got = new StringBuilder();
        final UnsafeBuffer buf = new UnsafeBuffer(new byte[65536]);
        boolean closed;
        boolean reset;
        final Host host;
        TcpConnection conn;

        Client(Host host) {
            this.host = host;
        }

        @Override
        public void onData(TcpConnection c) {
            int n;
            while ((n = c.receive(buf, 0, buf.capacity(), host.now())) > 0) {
                got.append(buf.getStringWithoutLengthAscii(0, n));
            }
            if (c.isPeerClosed()) {
                c.close(host.now());
            }
        }

        @Override
        public void onClosed(TcpConnection c, boolean wasReset) {
            closed = true;
            reset = wasReset;
        }

        void send(String s) {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            conn.send(new UnsafeBuffer(b), 0, b.length, host.now());
        }
    }

    Client connect() {
        Client c = new Client(client);
        c.conn = client.connect(SERVER_IP, 80, c);
        return c;
    }

    @Test
    void aHeadDrippingInLineByLineGets408AndTheConnectionCloses() {
        start(HttpServerConfig.defaults().withHeaderTimeoutNanos(2 * S));
        Client c = connect();
        assertTrue(run(S, () -> c.conn.state() == io.capybara.tcp.TcpState.ESTABLISHED));
        c.send("GET / HTTP/1.1\r\n");
        long started = now;
        // a header line every 500 ms, never the empty line that ends the head
        while (!c.closed && now - started < 10 * S) {
            run(500 * MS, () -> c.closed);
            if (!c.closed && c.conn.state() == io.capybara.tcp.TcpState.ESTABLISHED) {
                c.send("X-Slow: 1\r\n");
            }
        }
        assertTrue(c.closed, "closed by the server");
        assertTrue(c.got.toString().startsWith("HTTP/1.1 408 Request Timeout"), c.got.toString());
        assertEquals(1, app.headerTimeouts());
        assertTrue(now - started < 3 * S, "within the limit plus a step: " + (now - started) / MS + " ms");
    }

    @Test
    void aConnectionThatSendsNothingTimesOutToo() {
        start(HttpServerConfig.defaults().withHeaderTimeoutNanos(S));
        Client c = connect();
        assertTrue(run(3 * S, () -> c.closed));
        assertTrue(c.got.toString().contains("408"));
        assertEquals(1, app.headerTimeouts());
    }

    @Test
    void anIdleKeepAliveConnectionBetweenWholeRequestsIsNotTimedOut() {
        start(HttpServerConfig.defaults().withHeaderTimeoutNanos(S));
        Client c = connect();
        c.conn.send(new UnsafeBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), 0, 27,
                now);
        assertTrue(run(S / 2, () -> c.got.indexOf("200 OK") >= 0));
        run(5 * S, () -> c.closed); // five times the limit, idle between requests
        assertFalse(c.closed);
        c.send("GET /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(run(S / 2, () -> c.got.toString().endsWith("\r\n\r\n" + new String(new byte[0]))
                || c.got.lastIndexOf("200 OK") > c.got.indexOf("200 OK")));
        assertEquals(0, app.headerTimeouts());
    }

    @Test
    void beyondTheConnectionLimitNewConnectionsAreResetAndCounted() {
        start(HttpServerConfig.defaults().withMaxConnections(2));
        Client a = connect();
        Client b = connect();
        assertTrue(run(S, () -> app.sessions() == 2));
        Client third = connect();
        assertTrue(run(S, () -> third.closed));
        assertTrue(third.reset);
        assertEquals(1, app.refusedAtLimit());
        assertEquals(2, app.sessions());
        a.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(run(S, () -> a.closed && a.got.indexOf("200 OK") >= 0));
        // a slot is free again
        Client fourth = connect();
        run(S, () -> fourth.closed);
        assertFalse(fourth.closed, "a closing connection (TIME_WAIT here) does not count against the limit");
        assertEquals(io.capybara.tcp.TcpState.ESTABLISHED, fourth.conn.state());
        assertEquals(1, app.refusedAtLimit());
        assertFalse(b.closed);
    }

    @Test
    void withAServingHookRequestsWaitUntilServedOneByOneAcrossConnectionsInArrivalOrder() {
        java.util.ArrayDeque<TcpConnection> waiting = new java.util.ArrayDeque<>();
        app = new HttpServerApp(server, HttpServerConfig.defaults().withServiceTimeMicros(7))
                .serving((conn, n) -> {
                    for (int i = 0; i < n; i++) {
                        waiting.add(conn);
                    }
                });
        server.listen(80, app);
        Client a = connect();
        Client b = connect();
        assertTrue(run(S, () -> app.sessions() == 2));
        a.send("GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n");
        run(10 * MS, () -> waiting.size() == 2);
        b.send("GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n");
        run(100 * MS, () -> false);
        assertEquals(3, waiting.size(), "each parsed request announced once");
        assertEquals(0, app.responses(), "nothing answered before it is served");
        assertEquals("", a.got.toString() + b.got);
        TcpConnection first = waiting.poll();
        assertEquals(7_000, app.serveNext(first), "the request's service demand");
        app.resume(first);
        assertTrue(run(100 * MS, () -> a.got.indexOf("200 OK") >= 0));
        assertEquals(1, app.responses(), "only the served request is answered");
        TcpConnection second = waiting.poll();
        TcpConnection third = waiting.poll();
        assertEquals(first, second, "a's second request comes before b's, which arrived later");
        assertTrue(third != first);
        assertEquals(7_000, app.serveNext(second));
        assertEquals(7_000, app.serveNext(third));
        assertEquals(-1, app.serveNext(third), "nothing left to serve");
        app.resume(second);
        app.resume(third);
        assertTrue(run(100 * MS, () -> app.responses() == 3 && b.got.indexOf("200 OK") >= 0));
        assertEquals(2, a.got.toString().split("200 OK", -1).length - 1);
    }
}
