package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.app.HttpRequestWriter;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.ConnectionHandler;
import io.capybara.rack.MigratableHttpServer;
import io.capybara.rack.RackSimulation;
import io.capybara.tcp.TcpConnection;
import java.io.ByteArrayOutputStream;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** HTTP sessions move with their connections, between requests and in the middle of responses. */
class MigratableHttpServerTest {
    static final int BODY = 200_000;

    static final class Client implements ConnectionHandler {
        final UnsafeBuffer buf = new UnsafeBuffer(new byte[64 * 1024]);
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        TcpConnection conn;
        boolean connected;
        boolean reset;

        @Override
        public void onConnected(TcpConnection c) {
            connected = true;
        }

        @Override
        public void onData(TcpConnection c) {
            int n;
            while ((n = c.receive(buf, 0, buf.capacity(), 0)) > 0) {
                byte[] b = new byte[n];
                buf.getBytes(0, b);
                received.writeBytes(b);
            }
        }

        @Override
        public void onClosed(TcpConnection c, boolean wasReset) {
            reset = wasReset;
        }
    }

    @Test
    void responsesAreIdenticalWhileTheConnectionMovesAround() {
        HttpServerConfig config = HttpServerConfig.defaults();
        MiniRack r = new MiniRack(41, 3, 0, MiniRack.link(), s -> s, m -> m, h -> new MigratableHttpServer(h, config))
                .warm();
        Client c = new Client();
        c.conn = r.client.connect(RackSimulation.ip(0), MiniRack.PORT, c);
        assertTrue(r.run(10_000_000, () -> c.connected));
        HttpRequestWriter writer = new HttpRequestWriter("10.0.0.1:80");
        UnsafeBuffer req = new UnsafeBuffer(new byte[writer.maxLength()]);
        // the reference: one response, no migration
        c.conn.send(req, 0, writer.writeGetBytes(req, 0, BODY), r.client.now());
        assertTrue(r.run(100_000_000, () -> c.received.size() > BODY));
        r.runFor(2_000_000);
        byte[] reference = c.received.toByteArray();
        int requests = 12;
        for (int k = 0; k < requests; k++) {
            c.conn.send(req, 0, writer.writeGetBytes(req, 0, BODY), r.client.now());
            r.runFor(50_000 + 30_000L * k); // sometimes mid-request, mostly mid-response
            int h = r.holder(c.conn.localIp(), c.conn.localPort());
            assertTrue(h >= 0);
            r.engines[h].migrate(r.servers[h].connection(c.conn.localIp(), c.conn.localPort(), MiniRack.PORT));
            assertTrue(r.run(100_000_000, r::quiet));
        }
        long expected = (long) reference.length * (requests + 1);
        assertTrue(r.run(1_000_000_000L, () -> c.received.size() >= expected), c.received.size() + " of " + expected);
        byte[] all = c.received.toByteArray();
        assertEquals(expected, all.length);
        for (int k = 1; k <= requests; k++) {
            byte[] one = java.util.Arrays.copyOfRange(all, k * reference.length, (k + 1) * reference.length);
            assertArrayEquals(reference, one, "response " + k);
        }
        assertTrue(r.sum(MigCounter.COMPLETED) >= requests - 1);
        long restored = 0;
        for (MigratableApp a : r.migratable) {
            restored += ((MigratableHttpServer) a).restores();
        }
        assertEquals(r.sum(MigCounter.RESTORED), restored, "every restored connection got its session back");
        assertTrue(!c.reset);
    }
}
