package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.Host;
import io.capybara.io.linux.NetAdmin;
import io.capybara.io.linux.Topology;
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

    @ParameterizedTest
    @EnumSource(JavaOnLink.Kind.class)
    void serverClosesFirst(JavaOnLink.Kind kind) throws Exception {
        NetAdmin.assumeNetAdmin();
        NetAdmin.assumeTool("python3", "python3");
        NetAdmin.assumeTool("tshark", "tshark");
        Path pcap = tmp.resolve("server-first-" + kind + ".pcap");
        try (Topology topo = Topology.create()) {
            JavaOnLink j = JavaOnLink.create(topo, kind, pcap, TCP);
            try (j) {
                PythonPeer peer = new PythonPeer(topo, j.namespace, PORT);
                Host host = j.host;
                StreamClient c = new StreamClient(host, "SEND " + BYTES + "\n", 0, StreamClient.Close.AFTER_PEER);
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
                assertEquals(BYTES, j.loop.call(() -> c.received), stats);
                assertEquals(r[2], j.loop.call(c::rxSha), "SHA-256 of received bytes vs. the server's");
                assertFalse(j.loop.call(() -> c.reset), "closed by RST: " + stats);
                // passive close: CLOSE_WAIT / LAST_ACK, never TIME_WAIT on this side
                assertFalse(seen.contains(TcpState.TIME_WAIT), seen.toString());
                assertEquals(0, j.loop.call(() -> host.stats().tcpRstSent()), stats);
                assertEquals(0, j.loop.call(host::connectionCount), stats);
            }
            KernelClientsTest.assertCleanCapture(pcap, j.hostAddress());
        }
    }

    @ParameterizedTest
    @EnumSource(JavaOnLink.Kind.class)
    void clientClosesFirst(JavaOnLink.Kind kind) throws Exception {
        NetAdmin.assumeNetAdmin();
        NetAdmin.assumeTool("python3", "python3");
        NetAdmin.assumeTool("tshark", "tshark");
        Path pcap = tmp.resolve("client-first-" + kind + ".pcap");
        try (Topology topo = Topology.create()) {
            JavaOnLink j = JavaOnLink.create(topo, kind, pcap, TCP);
            try (j) {
                PythonPeer peer = new PythonPeer(topo, j.namespace, PORT);
                Host host = j.host;
                StreamClient c = new StreamClient(host, "SINK\n", BYTES, StreamClient.Close.AFTER_SEND);
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
                assertEquals(Long.toString(BYTES), r[1], "bytes the server read");
                assertEquals(j.loop.call(c::txSha), r[2], "SHA-256 of sent bytes vs. the server's");
                assertFalse(j.loop.call(() -> c.reset), "closed by RST: " + stats);
                // active close: through TIME_WAIT, then gone
                assertTrue(seen.contains(TcpState.TIME_WAIT), seen.toString());
                assertEquals(0, j.loop.call(() -> host.stats().tcpRstSent()), stats);
                assertEquals(0, j.loop.call(host::connectionCount), stats);
            }
            KernelClientsTest.assertCleanCapture(pcap, j.hostAddress());
        }
    }
}
