package io.capybara.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * The JDK's own TLS 1.3 client (SSLEngine) against the session: it starts KeyUpdates itself
 * ({@code beginHandshake()} on an established TLS 1.3 engine), before and after migrations.
 */
class JdkClientKeyUpdateTest {
    private final ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer appIn = ByteBuffer.allocate(1 << 17);
    private SSLEngine engine;
    private TlsServerSessionTest.Server server;

    private void wrap(ByteBuffer app) throws Exception {
        toServer.clear();
        SSLEngineResult r;
        do {
            r = engine.wrap(app, toServer);
            runTasks();
        } while (r.getStatus() == SSLEngineResult.Status.OK && r.bytesProduced() > 0 && app.hasRemaining()
                || r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP);
        toServer.flip();
        byte[] b = new byte[toServer.remaining()];
        toServer.get(b);
        server.input(b);
    }

    private final ByteBuffer fromServer = ByteBuffer.allocate(1 << 17).flip();

    private void unwrap(byte[] bytes) throws Exception {
        fromServer.compact().put(bytes).flip();
        while (fromServer.hasRemaining()) {
            SSLEngineResult r = engine.unwrap(fromServer, appIn);
            runTasks();
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                throw new IllegalStateException("unwrap " + r);
            }
            if (r.bytesConsumed() == 0) {
                break; // the engine wants to write first
            }
        }
    }

    private void runTasks() {
        for (Runnable t; (t = engine.getDelegatedTask()) != null; ) {
            t.run();
        }
    }

    @Test
    void clientStartedKeyUpdatesAcrossMigrations() throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLSv1.3");
        ssl.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] c, String a) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, TlsServerSessionTest.seeded(21));
        engine = ssl.createSSLEngine("capybara.test", 443);
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[] {"TLSv1.3"});
        server = new TlsServerSessionTest.Server(TlsServerSessionTest.context(null));
        engine.beginHandshake();
        ByteBuffer empty = ByteBuffer.allocate(0);
        for (int i = 0; i < 50 && engine.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING; i++) {
            switch (engine.getHandshakeStatus()) {
                case NEED_WRAP -> wrap(empty);
                case NEED_TASK -> runTasks();
                default -> unwrap(server.output());
            }
        }
        assertTrue(server.session.isEstablished(), server.session.failure());
        for (int round = 1; round <= 3; round++) {
            engine.beginHandshake(); // TLS 1.3: KeyUpdate with update_requested
            wrap(ByteBuffer.wrap(("request " + round).getBytes(StandardCharsets.US_ASCII)));
            assertEquals(round, server.session.readGeneration(), "the server followed the client's key");
            assertEquals(round, server.session.writeGeneration(), "and answered with its own update");
            assertTrue(server.received.toString(StandardCharsets.US_ASCII).endsWith("request " + round));
            server.migrate();
            appIn.clear();
            unwrap(server.write(("answer " + round).getBytes(StandardCharsets.US_ASCII)));
            appIn.flip();
            assertEquals("answer " + round, StandardCharsets.US_ASCII.decode(appIn).toString());
        }
        assertEquals(-1, server.session.alertSent());
    }
}
