package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.MemoryLink;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.tls.KeyLog;
import io.capybara.tls.LoopbackClient;
import io.capybara.tls.TlsIdentity;
import io.capybara.tls.TlsServerContext;
import io.capybara.tls.TlsSuite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * HTTPS handshake pacing ({@link HttpServerApp#handshakesPerPoll}): a burst of ClientHellos that
 * arrives in one loop pass is run one per pass, in arrival order, while the connections already
 * through their handshake are served in between; every client gets its answer in the end.
 */
class HttpsHandshakePacingTest {
    static final int CLIENT_IP = 0x0A4F_0001;
    static final int SERVER_IP = 0x0A4F_0002;
    static final long MS = 1_000_000L;
    static final int CLIENTS = 5;

    final MemoryLink link = MemoryLink.pair("pacing", 4096);
    final Host client = new Host(HostConfig.of("c", 0x02_00_00_00_00_01L, CLIENT_IP, 24).withIsnSeed(1), link.a());
    final Host server = new Host(HostConfig.of("s", 0x02_00_00_00_00_02L, SERVER_IP, 24).withIsnSeed(2), link.b());
    final SecureRandom random = new SecureRandom(new byte[] {7});
    final TlsServerContext tls = new TlsServerContext(TlsIdentity.selfSigned("pacing", Instant.now(), random),
            EnumSet.allOf(TlsSuite.class), random, KeyLog.NONE);
    final org.bouncycastle.tls.crypto.TlsCrypto clientCrypto = LoopbackClient.crypto(random);
    long now = 1_000_000_000L;

    /** A TLS client (BouncyCastle's, in memory) over one of the client host's connections. */
    final class Client implements ConnectionHandler {
        final LoopbackClient tls = new LoopbackClient(TlsSuite.TLS_AES_128_GCM_SHA256, clientCrypto);
        final StringBuilder got = new StringBuilder();
        final UnsafeBuffer buf = new UnsafeBuffer(new byte[65536]);
        TcpConnection conn;
        boolean requested;

        void flush() {
            byte[] out = tls.output();
            if (out.length > 0) {
                assertEquals(out.length, conn.send(new UnsafeBuffer(out), 0, out.length, now));
            }
        }

        @Override
        public void onData(TcpConnection c) {
            int n;
            try {
                while ((n = c.receive(buf, 0, buf.capacity(), now)) > 0) {
                    tls.input(buf.byteArray(), 0, n);
                }
                if (tls.isConnected() && !requested) {
                    requested = true;
                    byte[] get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                    tls.write(get, 0, get.length);
                }
                got.append(new String(tls.read(), StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            flush();
        }

        boolean answered() {
            return got.indexOf("HTTP/1.1 200") == 0 && got.indexOf("Hello from Capybara-J") > 0;
        }
    }

    private List<Client> connectAll(HttpServerApp app) {
        server.listen(443, app);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Client c = new Client();
            c.conn = client.connect(SERVER_IP, 443, c);
            clients.add(c);
        }
        for (int i = 0; i < 50 && !clients.stream().allMatch(c -> c.conn.state() == TcpState.ESTABLISHED); i++) {
            step(app);
        }
        assertTrue(clients.stream().allMatch(c -> c.conn.state() == TcpState.ESTABLISHED));
        for (Client c : clients) {
            c.flush(); // every ClientHello at once: they reach the server in one pass
        }
        client.poll(now);
        return clients;
    }

    private void step(HttpServerApp app) {
        client.poll(now);
        server.poll(now);
        app.poll(now);
        now += MS;
    }

    @Test
    void aBurstOfClientHellosRunsOnePerPassAndEveryClientIsServed() {
        HttpServerApp app = new HttpServerApp(server, HttpServerConfig.defaults(), tls).handshakesPerPoll(1);
        List<Client> clients = connectAll(app);
        server.poll(now); // the burst arrives: one ClientHello runs, the others wait
        assertEquals(CLIENTS - 1, app.handshakesDeferred());
        assertEquals(Long.MIN_VALUE, app.nextDeadline(), "held-back ClientHellos: the loop must not sleep");
        // the first client finishes its handshake and gets its answer before the last ClientHello runs
        boolean firstServedWhileOthersWait = false;
        for (int i = 0; i < 200 && !clients.stream().allMatch(Client::answered); i++) {
            step(app);
            if (clients.get(0).answered() && tls.handshakes() < CLIENTS) {
                firstServedWhileOthersWait = true;
            }
        }
        assertTrue(clients.stream().allMatch(Client::answered), "every client answered");
        assertTrue(firstServedWhileOthersWait, "the first connection was served while later handshakes waited");
        assertEquals(CLIENTS, tls.handshakes());
        assertEquals(CLIENTS - 1, app.handshakesDeferred(), "each held back once, in arrival order");
        assertTrue(app.nextDeadline() > now, "nothing held back any more");
    }

    @Test
    void withoutPacingTheWholeBurstRunsInOnePass() {
        HttpServerApp app = new HttpServerApp(server, HttpServerConfig.defaults(), tls);
        List<Client> clients = connectAll(app);
        server.poll(now);
        assertEquals(0, app.handshakesDeferred());
        for (int i = 0; i < 200 && !clients.stream().allMatch(Client::answered); i++) {
            step(app);
        }
        assertTrue(clients.stream().allMatch(Client::answered));
        assertEquals(0, app.handshakesDeferred());
    }
}
