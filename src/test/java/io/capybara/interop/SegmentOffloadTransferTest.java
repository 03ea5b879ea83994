package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.linux.NetAdmin;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.Topology;
import io.capybara.tcp.TcpConfig;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java stack sends a non-repeating byte stream (SHA-256 checked by the receiver) to a Linux
 * kernel over a veth, read and written through AF_PACKET with PACKET_VNET_HDR: segments of up
 * to 64 KiB go down as one frame each with GSO and checksum offload, and the kernel cuts them
 * at the veth (its TSO is off) into the MSS-sized packets the receiver sees. Clean, and with an
 * nftables rule in the receiver's namespace dropping 1% of the segments, so that single pieces
 * of large segments are lost and repaired. The payload goes to the kernel straight from the
 * connection's off-heap send ring (sendmsg with two iovecs), so the checksum covers that path.
 */
class SegmentOffloadTransferTest {
    private static final int PORT = 9101;
    private static final long BYTES = 32L << 20;

    @ParameterizedTest(name = "loss {0}%")
    @ValueSource(ints = {0, 1})
    void byteExactStreamToLinuxWithOffloadedSegments(int lossPercent) throws Exception {
        NetAdmin.assumeNetAdminAnd("python3");
        if (lossPercent > 0) {
            NetAdmin.assumeTool("nft", "nftables");
        }
        TcpConfig tcp = TcpConfig.defaults().withTimeWait(100_000_000L);
        try (Topology topo = Topology.create()) {
            JavaOnLink j = JavaOnLink.create(topo, JavaOnLink.Kind.PACKET, null, tcp, UnaryOperator.identity(),
                    HostConfig.MAX_SEGMENT_OFFLOAD_BYTES);
            try (j) {
                PacketChannel pc = j.packet;
                assertTrue(pc.offload() && j.host.segmentOffloadBytes() > 0, "offload on");
                if (lossPercent > 0) {
                    topo.run(j.namespace, "nft", "add", "table", "inet", "capybara_gso");
                    topo.run(j.namespace, "nft", "add", "chain", "inet", "capybara_gso", "input",
                            "{ type filter hook input priority 0; }");
                    topo.run(j.namespace, "nft", "add", "rule", "inet", "capybara_gso", "input", "tcp", "dport",
                            Integer.toString(PORT), "tcp", "flags", "&", "syn", "==", "0", "numgen", "random", "mod",
                            "100", "<", Integer.toString(lossPercent), "drop");
                }
                long rx0 = kernelRxPackets(topo, j);
                PythonPeer peer = new PythonPeer(topo, j.namespace, PORT);
                Host host = j.host;
                StreamClient c = new StreamClient(host, "SINK\n", BYTES, StreamClient.Close.AFTER_SEND);
                j.loop.run(() -> c.conn = host.connect(j.kernelIp, PORT, c));
                String[] r = peer.result(120);
                assertTrue(j.loop.await(() -> c.closed, 20_000), () -> "not closed: " + j.loop.call(() -> c.conn
                        + " " + host.stats()));
                String stats = j.loop.call(() -> c.conn.stats() + " " + host.stats() + " frames sent "
                        + pc.framesSent() + ", offloaded " + pc.offloadedSent() + ", cut by the kernel "
                        + pc.segmentedSent() + ", from the send ring where it lay " + pc.gatheredSent() + ", dropped "
                        + pc.sendsDropped());
                assertEquals(Long.toString(BYTES), r[1], "bytes the kernel read: " + stats);
                assertEquals(j.loop.call(c::txSha), r[2], "SHA-256 sent vs. received: " + stats);
                assertFalse(j.loop.call(() -> c.reset), stats);
                long segments = j.loop.call(() -> c.conn.stats().segmentsOut());
                long frames = j.loop.call(pc::framesSent);
                // large segments went down: several segments per frame, the kernel cut them
                assertTrue(j.loop.call(pc::segmentedSent) > 0, stats);
                // the host kept its rings off the heap and the channel sent payload from them
                assertTrue(j.loop.call(pc::gatheredSent) > frames / 2, stats);
                assertTrue(segments > 2 * frames, stats);
                long received = kernelRxPackets(topo, j) - rx0;
                assertTrue(received > 2 * frames, "the receiver's interface got " + received + " packets: " + stats);
                if (lossPercent > 0) {
                    assertTrue(j.loop.call(() -> c.conn.stats().retransmits()) > 0, stats);
                }
            }
        }
    }

    private static long kernelRxPackets(Topology topo, JavaOnLink j) {
        return Long.parseLong(topo.run(j.namespace, "cat", "/sys/class/net/" + j.kernelDev
                + "/statistics/rx_packets").strip());
    }
}
