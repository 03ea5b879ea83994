package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.Host;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Java stack as a client of a Linux server (python3 sockets) in a namespace: handshake,
 * data both ways, and both orders of close, with no RST anywhere (host counters, the
 * connection's close reason, and tshark on a capture of the run).
 */
class JavaClientTest {
    private static final int PORT = 9000;
    private static final long BYTES = 300_000;
    /** Short TIME_WAIT so the client's connection leaves the table within the test. */
    private static final TcpConfig TCP = TcpConfig.defaults().withTimeWait(300_000_000L);

    @TempDir
    Path tmp;

    /** What one run against the python server saw: the server's result line, the client, its states. */
    private record Run(String[] server, StreamClient client, List<TcpState> states, String stats) {
    }

    /**
     * Connects a {@link StreamClient} that sends {@code command} (then {@code sendBytes}) to the
     * python server, runs until the client has closed, and checks what both orders of close
     * share: no RST sent or received, no connection left in the host.
     */
    private Run run(JavaOnLink.Kind kind, String name, String command, long sendBytes, StreamClient.Close close)
            throws Exception {
        Run[] out = new Run[1];
        JavaOnLink.runCaptured(kind, TCP, tmp.resolve(name + "-" + kind + ".pcap"), "python3", (topo, j) -> {
            PythonPeer peer = new PythonPeer(topo, j.namespace, PORT);
            Host host = j.host;
            StreamClient c = new StreamClient(host, command, sendBytes, close);
            List<TcpState> seen = new ArrayList<>();
            j.loop.run(() -> c.conn = host.connect(j.kernelIp, PORT, c));
            String[] r = peer.result(20);
            assertTrue(j.loop.await(() -> {
                if (c.conn != null && (seen.isEmpty() || seen.getLast() != c.conn.state())) {
                    seen.add(c.conn.state());
                }
                return c.closed;
            }, 10_000), () -> "not closed: " + j.loop.call(() -> c.conn + " " + host.stats()));
            String stats = j.loop.call(() -> host.stats().toString());
            assertFalse(j.loop.call(() -> c.reset), "closed by RST: " + stats);
            assertEquals(0, j.loop.call(() -> host.stats().tcpRstSent()), stats);
            assertEquals(0, j.loop.call(host::connectionCount), stats);
            out[0] = new Run(r, c, seen, stats);
        });
        return out[0];
    }

    @ParameterizedTest
    @EnumSource(JavaOnLink.Kind.class)
    void serverClosesFirst(JavaOnLink.Kind kind) throws Exception {
        Run r = run(kind, "server-first", "SEND " + BYTES + "\n", 0, StreamClient.Close.AFTER_PEER);
        assertEquals(BYTES, r.client().received, r.stats());
        assertEquals(r.server()[2], r.client().rxSha(), "SHA-256 of received bytes vs. the server's");
        // passive close: CLOSE_WAIT / LAST_ACK, never TIME_WAIT on this side
        assertFalse(r.states().contains(TcpState.TIME_WAIT), r.states().toString());
    }

    @ParameterizedTest
    @EnumSource(JavaOnLink.Kind.class)
    void clientClosesFirst(JavaOnLink.Kind kind) throws Exception {
        Run r = run(kind, "client-first", "SINK\n", BYTES, StreamClient.Close.AFTER_SEND);
        assertEquals(Long.toString(BYTES), r.server()[1], "bytes the server read");
        assertEquals(r.client().txSha(), r.server()[2], "SHA-256 of sent bytes vs. the server's");
        // active close: through TIME_WAIT, then gone
        assertTrue(r.states().contains(TcpState.TIME_WAIT), r.states().toString());
    }
}
