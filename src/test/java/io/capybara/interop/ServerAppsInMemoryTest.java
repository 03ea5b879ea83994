package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.app.EchoServerApp;
import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.MemoryLink;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpConfig;
import java.util.function.BooleanSupplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server apps on two Java hosts over an in-memory link with a virtual clock (no root
 * needed): HTTP keep-alive and close, echo, and the HTTP app's per-connection state moving
 * through snapshotSession / restoreSession mid-response without changing a byte the client
 * receives.
 */
class ServerAppsInMemoryTest {
    private static final int CLIENT_IP = 0x0A4D_0001;
    private static final int SERVER_IP = 0x0A4D_0002;
    private static final String REQUESTS = "GET /bytes/300000 HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    private final MemoryLink link = MemoryLink.pair("mem", 4096);
    private final TcpConfig tcp = TcpConfig.defaults().withTimeWait(10_000_000L);
    private final Host client = new Host(HostConfig.of("c", 0x02_00_00_00_00_01L, CLIENT_IP, 24).withTcp(tcp)
            .withIsnSeed(1), link.a());
    private final Host server = new Host(HostConfig.of("s", 0x02_00_00_00_00_02L, SERVER_IP, 24).withTcp(tcp)
            .withIsnSeed(2), link.b());
    private long now = 1_000_000_000L;

    private boolean runUntil(BooleanSupplier done, int maxSteps) {
        for (int i = 0; i < maxSteps; i++) {
            if (done.getAsBoolean()) {
                return true;
            }
            int work = client.poll(now) + server.poll(now);
            now += work == 0 ? 1_000_000L : 10_000L;
        }
        return done.getAsBoolean();
    }

    /** Client's received bytes and SHA-256 for the two requests, migrating the session after {@code migrateAfter} bytes (-1: never). */
    private StreamClient fetch(long migrateAfter) throws Exception {
        HttpServerApp[] app = {new HttpServerApp(server, HttpServerConfig.defaults())};
        long[] before = {0};
        server.listen(80, app[0]);
        StreamClient c = new StreamClient(client, REQUESTS, 0, StreamClient.Close.AFTER_PEER);
        c.conn = client.connect(SERVER_IP, 80, c);
        if (migrateAfter >= 0) {
            assertTrue(runUntil(() -> c.received >= migrateAfter, 1_000_000), "stalled before migration");
            TcpConnection conn = null;
            for (int port = 49152; port < 65536 && conn == null; port++) {
                conn = server.connection(CLIENT_IP, port, 80);
            }
            assertTrue(conn != null);
            // what a migration does, on one host: detach, snapshot both layers, restore both, attach
            UnsafeBuffer tcpBytes = new UnsafeBuffer(new byte[conn.snapshotSize()]);
            UnsafeBuffer appBytes = new UnsafeBuffer(new byte[app[0].sessionSnapshotSize(conn)]);
            assertTrue(server.detach(conn));
            int tn = conn.snapshot(tcpBytes, 0, now);
            int an = app[0].snapshotSession(conn, appBytes, 0);
            app[0].forget(conn);
            before[0] = app[0].responses();
            HttpServerApp target = new HttpServerApp(server, HttpServerConfig.defaults());
            TcpConnection restored = TcpConnection.restore(tcpBytes, 0, tn, now, server.sink());
            target.restoreSession(restored, appBytes, 0, an);
            server.attach(restored, target);
            target.resume(restored);
            app[0] = target;
        }
        assertTrue(runUntil(() -> c.closed, 2_000_000), () -> "not closed: " + c.conn + " " + app[0]);
        assertFalse(c.reset);
        assertEquals(2, before[0] + app[0].responses(), before[0] + " before, then " + app[0]);
        return c;
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 1, 50_000, 299_000})
    void httpKeepAliveThenCloseSameBytesWithOrWithoutMigratingTheSession(long migrateAfter) throws Exception {
        StreamClient c = fetch(migrateAfter);
        // reference: the same exchange on a fresh pair of hosts without migration
        ServerAppsInMemoryTest ref = new ServerAppsInMemoryTest();
        StreamClient r = ref.fetch(-1);
        assertTrue(c.received > 300_000 + 22, "received " + c.received);
        assertEquals(r.received, c.received);
        assertEquals(r.rxSha(), c.rxSha(), "client saw different bytes after migrating at " + migrateAfter);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 100_000, 1_000_000})
    void echoReturnsEveryByteThenClosesAfterThePeer(int bytes) {
        EchoServerApp echo = new EchoServerApp(server);
        server.listen(7, echo);
        StreamClient c = new StreamClient(client, "", bytes, StreamClient.Close.AFTER_SEND);
        c.conn = client.connect(SERVER_IP, 7, c);
        assertTrue(runUntil(() -> c.closed, 2_000_000), () -> c.conn + " " + echo);
        assertFalse(c.reset);
        assertEquals(bytes, c.received);
        assertEquals(c.txSha(), c.rxSha());
        assertTrue(runUntil(() -> echo.closed() == 1, 100_000), echo.toString());
        assertEquals(bytes, echo.bytesEchoed());
        assertEquals(0, echo.resets());
    }
}
