package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.FrameHandler;
import io.capybara.io.MemoryLink;
import io.capybara.wire.ArpPacket;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.wire.TcpSegment;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The host's per-frame paths (decode, demux, RST, ARP reply, framing) allocate nothing. */
class HostAllocationTest {
    static final long HOST_MAC = 0x02_00_00_00_00_01L;
    static final long PEER_MAC = 0x02_00_00_00_00_02L;
    static final int HOST_IP = Ipv4Address.parse("10.0.0.1");
    static final int PEER_IP = Ipv4Address.parse("10.0.0.2");

    @Test
    void steadyStateFramePathsAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        MemoryLink link = MemoryLink.pair("t", 256);
        RawPeer peer = new RawPeer(link.b(), PEER_MAC, PEER_IP);
        Host h = new Host(HostConfig.of("h", HOST_MAC, HOST_IP, 24).withStaticArp(Map.of(PEER_IP, PEER_MAC)), link.a());
        // pre-built frames: a SYN to a closed port (-> RST), an ACK (-> RST), an ARP request (-> reply)
        byte[][] frames = new byte[3][];
        int len = peer.encodeTcp(HOST_MAC, HOST_IP, 40000, 80, 1, 0, TcpSegment.SYN);
        frames[0] = new byte[len];
        peer.tx.getBytes(0, frames[0]);
        len = peer.encodeTcp(HOST_MAC, HOST_IP, 40001, 80, 1, 99, TcpSegment.ACK);
        frames[1] = new byte[len];
        peer.tx.getBytes(0, frames[1]);
        peer.sendArp(MacAddress.BROADCAST, ArpPacket.OP_REQUEST, PEER_MAC, PEER_IP, 0, HOST_IP);
        link.a().poll((b, o, l) -> { }, 1); // drop it, we only wanted its bytes in peer.tx
        frames[2] = new byte[60];
        peer.tx.getBytes(0, frames[2], 0, 42);
        org.agrona.concurrent.UnsafeBuffer[] bufs = new org.agrona.concurrent.UnsafeBuffer[3];
        for (int i = 0; i < 3; i++) {
            bufs[i] = new org.agrona.concurrent.UnsafeBuffer(frames[i]);
        }
        long[] replies = {0};
        FrameHandler drain = (b, o, l) -> replies[0]++;
        int rounds = 200_000;
        long before = 0;
        for (int i = 0; i < 2 * rounds; i++) {
            if (i == rounds) { // the first half warms the JIT up
                replies[0] = 0;
                before = mx.getCurrentThreadAllocatedBytes();
            }
            org.agrona.concurrent.UnsafeBuffer f = bufs[i % 3];
            peer.channel.send(f, 0, f.capacity());
            h.poll(i);
            peer.channel.poll(drain, 16);
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertEquals(rounds, replies[0], "every frame answered");
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes over " + rounds + " frames");
    }
}
