package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.Host;
import io.capybara.io.FrameChannel;
import java.util.function.UnaryOperator;
import io.capybara.io.linux.NetAdmin;
import io.capybara.io.linux.Topology;
import io.capybara.tcp.TcpConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * 100 MiB each way between the Java stack (on a TAP) and a Linux kernel peer, byte-exact by
 * SHA-256, on a clean link and with {@code netem loss 1% reorder 5% delay 1ms} on the kernel
 * side's egress (so kernel-to-Java data and Java-bound ACKs are lost and reordered).
 */
class BulkTransferTest {
    private static final int PORT = 9100;
    private static final long BYTES = Long.getLong("capybara.bulk.mib", 100) << 20;
    /** TAP by default; -Dcapybara.bulk.kind=PACKET runs the same over a veth and AF_PACKET. */
    private static final JavaOnLink.Kind KIND = JavaOnLink.Kind.valueOf(System.getProperty("capybara.bulk.kind", "TAP"));
    /**
     * SACK as the stack's default (on: SACK-permitted offered, SACK and D-SACK blocks sent);
     * -Dcapybara.sack=false turns it off for comparison.
     */
    private static final TcpConfig TCP = sack(TcpConfig.defaults().withTimeWait(100_000_000L),
            Boolean.parseBoolean(System.getProperty("capybara.sack",
                    Boolean.toString(TcpConfig.defaults().sackPermitted()))));

    static TcpConfig sack(TcpConfig c, boolean on) {
        return new TcpConfig(c.mss(), c.sendBufferBytes(), c.receiveBufferBytes(), c.windowScale(), on, c.timestamps(),
                c.nagle(), c.delayedAckNanos(), c.initialRtoNanos(), c.minRtoNanos(), c.maxRtoNanos(),
                c.maxRetransmissions(), c.timeWaitNanos(), c.maxOutOfOrderSegments());
    }

    /**
     * {@code clean}; {@code netem} on the kernel side's egress (skipped where the kernel has no
     * sch_netem, e.g. this machine's 6.18 build); {@code java}: the same impairment applied in
     * both directions by {@link ImpairedChannel} under the Java host, so the lossy case runs
     * everywhere.
     */
    @ParameterizedTest(name = "{0} impairment={1}")
    @CsvSource({"kernel-to-java,clean", "java-to-kernel,clean", "kernel-to-java,netem", "java-to-kernel,netem",
            "kernel-to-java,java", "java-to-kernel,java"})
    void hundredMebibytes(String direction, String impairment) throws Exception {
        NetAdmin.assumeNetAdminAnd("python3");
        boolean netem = impairment.equals("netem");
        if (netem) {
            NetAdmin.assumeTool("tc", "iproute2");
        }
        long seed = Long.getLong("capybara.seed", 0x5EEDL);
        ImpairedChannel[] impaired = {null};
        UnaryOperator<FrameChannel> wrap = impairment.equals("java")
                ? ch -> impaired[0] = new ImpairedChannel(ch, 0.01, 0.05, 1_000_000L, seed)
                : UnaryOperator.identity();
        try (Topology topo = Topology.create()) {
            JavaOnLink j = JavaOnLink.create(topo, KIND, null, TCP, wrap);
            try (j) {
                if (netem) {
                    try {
                        topo.run(j.namespace, "tc", "qdisc", "add", "dev", j.kernelDev, "root", "netem",
                                "loss", "1%", "reorder", "5%", "delay", "1ms");
                    } catch (IllegalStateException e) {
                        io.capybara.testing.Require.kernelLimit("sch_netem", "kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): "
                                + e.getMessage() + "; the 'java' impairment covers this case");
                    }
                }
                PythonPeer peer = new PythonPeer(topo, j.namespace, PORT);
                Host host = j.host;
                boolean toJava = direction.equals("kernel-to-java");
                StreamClient c = toJava
                        ? new StreamClient(host, "SEND " + BYTES + "\n", 0, StreamClient.Close.AFTER_PEER)
                        : new StreamClient(host, "SINK\n", BYTES, StreamClient.Close.AFTER_SEND);
                long t0 = System.nanoTime();
                j.loop.run(() -> c.conn = host.connect(j.kernelIp, PORT, c));
                String[] r;
                try {
                    r = peer.result(Long.getLong("capybara.bulk.timeout", 120));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + " after " + (System.nanoTime() - t0) / 1e9 + " s: "
                            + j.loop.call(() -> c.received + " received, " + c.sent + " sent, " + c.conn + " "
                            + c.conn.stats() + " " + host.stats() + (impaired[0] == null ? "" : " " + impaired[0])));
                }
                assertTrue(j.loop.await(() -> c.closed, 20_000),
                        () -> "not closed: " + j.loop.call(() -> c.conn + " " + host.stats()));
                double seconds = (System.nanoTime() - t0) / 1e9;
                String stats = j.loop.call(() -> c.conn.stats() + " " + host.stats());
                String replay = " replay: ./capybara test -Dtest=BulkTransferTest -Dcapybara.seed=" + seed;
                stats += " " + (impaired[0] == null ? "" : j.loop.call(impaired[0]::toString)) + replay;
                System.out.printf("bulk " + KIND + " %s %s: %d bytes in %.2f s (%.1f MB/s) %s%n", direction, impairment, BYTES,
                        seconds, BYTES / seconds / 1e6, stats);
                if (toJava) {
                    assertEquals(BYTES, j.loop.call(() -> c.received), stats);
                    assertEquals(r[2], j.loop.call(c::rxSha), "SHA-256 received vs. sent by the kernel peer");
                } else {
                    assertEquals(Long.toString(BYTES), r[1], "bytes the kernel peer read");
                    assertEquals(j.loop.call(c::txSha), r[2], "SHA-256 sent vs. received by the kernel peer");
                }
                assertFalse(j.loop.call(() -> c.reset), "closed by RST: " + stats);
                // The connection itself never sent a RST. (The host may answer a reordered duplicate
                // that arrives after a LAST_ACK close with one, as RFC 9293 and Linux do: the
                // connection is gone by then and the peer has already finished.)
                assertEquals(0, j.loop.call(() -> c.conn.stats().resetsOut()), stats);
            }
        }
    }
}
