package io.capybara.io.linux;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AF_PACKET on the root end of a veth whose other end is in a namespace. */
class PacketChannelTest {
    private static final long OUR_MAC = 0x02_43_4A_00_00_02L;
    private static final long OTHER_MAC = 0x02_43_4A_00_00_03L;

    @Test
    void kernelAnswersArpAndPingOverVeth() {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            Topology.VethLink link = topo.veth(null, ns);
            assertEquals(link.nameA(), link.rootEnd());
            try (PacketChannel channel = PacketChannel.open(link.rootEnd(), OUR_MAC, false)) {
                long kernelMac = KernelPeer.arp(channel, OUR_MAC, link.addressA(), link.addressB());
                for (int seq = 1; seq <= 3; seq++) {
                    KernelPeer.ping(channel, OUR_MAC, kernelMac, link.addressA(), link.addressB(), seq);
                }
                assertEquals(4, channel.framesSent());
                assertEquals(0, channel.readErrors(), "errno " + channel.lastErrno());
            }
        }
    }

    @Test
    void framesForAnotherMacAreDroppedAndCounted() {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            Topology.VethLink link = topo.veth(null, ns);
            try (PacketChannel channel = PacketChannel.open(link.rootEnd(), OUR_MAC, true)) {
                long kernelMac = KernelPeer.arp(channel, OUR_MAC, link.addressA(), link.addressB());
                // Another station on the wire announces itself and pings: the kernel answers it
                // (ARP reply, echo reply) unicast to OTHER_MAC. The veth hands those frames to
                // our socket too; the channel must drop and count them.
                int otherIp = link.addressA() + 4;
                var arp = TestFrames.arpRequest(OTHER_MAC, otherIp, link.addressB());
                assertTrue(channel.send(arp, 0, arp.capacity()));
                var echo = TestFrames.icmpEchoRequest(OTHER_MAC, kernelMac, otherIp, link.addressB(), 7, 1,
                        new byte[] {1, 2, 3, 4});
                assertTrue(channel.send(echo, 0, echo.capacity()));
                boolean[] delivered = {false};
                long deadline = System.nanoTime() + 20_000_000_000L; // a deadline for a slow host, not a speed claim
                while (channel.framesNotForUs() < 2 && System.nanoTime() < deadline) {
                    if (channel.poll((b, o, l) -> delivered[0] |= TestFrames.getMac(b, o) == OTHER_MAC, 16) == 0) {
                        KernelPeer.sleepMillis(1);
                    }
                }
                assertFalse(delivered[0], "a frame unicast to another MAC was delivered");
                assertTrue(channel.framesNotForUs() >= 2, "not-for-us count " + channel.framesNotForUs());
            }
        }
    }

    /**
     * The offload choice: with offloads off on the veth, a TCP segment from the namespace's
     * kernel reaches the packet socket with a complete checksum (with them on it would carry
     * only the pseudo-header sum, CHECKSUM_PARTIAL).
     */
    @Test
    void kernelTcpSegmentsArriveWithCompleteChecksums() {
        NetAdmin.assumeNetAdminAnd("bash");
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            Topology.VethLink link = topo.veth(null, ns);
            try (PacketChannel channel = PacketChannel.open(link.rootEnd(), OUR_MAC, false)) {
                int ourIp = link.addressA();
                // The namespace's kernel opens a TCP connection to our (user-space) address.
                topo.start(ns, "bash", "-c", "exec 3<>/dev/tcp/" + Topology.ipv4(ourIp) + "/7");
                long[] asker = {-1};
                int[] askerIp = {0};
                assertTrue(KernelPeer.awaitFrame(channel, (b, o, l) -> {
                    askerIp[0] = TestFrames.arpRequestFor(b, o, l, ourIp);
                    asker[0] = TestFrames.getMac(b, o + 6);
                    return askerIp[0] != 0;
                }), "the kernel never asked for " + Topology.ipv4(ourIp));
                var reply = TestFrames.arpReply(OUR_MAC, ourIp, asker[0], askerIp[0]);
                assertTrue(channel.send(reply, 0, reply.capacity()));
                boolean[] valid = {false};
                assertTrue(KernelPeer.awaitFrame(channel, (b, o, l) -> {
                    if (TestFrames.isTcp(b, o, l)) {
                        valid[0] = TestFrames.isTcpWithValidChecksums(b, o, l);
                        return true;
                    }
                    return false;
                }), "no TCP segment from the kernel");
                assertTrue(valid[0], "TCP segment with a wrong checksum: offloads still on?");
            }
        }
    }

    @Test
    void defaultMacIsTheInterfaceMac() throws Exception {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            Topology.VethLink link = topo.veth(null, topo.namespace());
            String text = java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", link.rootEnd(), "address")).strip();
            long expected = Long.parseLong(text.replace(":", ""), 16);
            try (PacketChannel channel = PacketChannel.open(link.rootEnd())) {
                assertEquals(expected, channel.ourMac());
                assertEquals(Integer.parseInt(java.nio.file.Files.readString(
                        java.nio.file.Path.of("/sys/class/net", link.rootEnd(), "ifindex")).strip()), channel.interfaceIndex());
            }
        }
    }

    @Test
    void sendAndPollAllocateNothingPerFrame() {
        NetAdmin.assumeNetAdmin();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Topology topo = Topology.create()) {
            Topology.VethLink link = topo.veth(null, null); // both ends in the root namespace
            try (PacketChannel a = PacketChannel.open(link.nameA());
                 PacketChannel b = PacketChannel.open(link.nameB())) {
                org.agrona.concurrent.UnsafeBuffer frame = new org.agrona.concurrent.UnsafeBuffer(new byte[60]);
                TestFrames.putMac(frame, 0, b.ourMac());
                TestFrames.putMac(frame, 6, a.ourMac());
                frame.putShort(12, (short) 0x88B5, java.nio.ByteOrder.BIG_ENDIAN); // local experimental
                long[] received = {0};
                io.capybara.io.FrameHandler count = (buf, off, len) -> received[0] += len == 60 ? 1 : 0;
                int rounds = 20_000;
                // Warm up until C2 has compiled the loops (the interpreter and C1 allocate in
                // the downcall path); then one more round is measured.
                for (int w = 0; w < 20; w++) {
                    long t = threads.getCurrentThreadAllocatedBytes();
                    exchange(a, b, frame, count, rounds);
                    if (threads.getCurrentThreadAllocatedBytes() - t < rounds) {
                        break;
                    }
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                received[0] = 0;
                exchange(a, b, frame, count, rounds);
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertTrue(received[0] > rounds / 2, "received only " + received[0] + " of " + rounds);
                assertTrue(allocated < rounds, allocated + " bytes allocated for " + rounds + " frames");
            }
        }
    }

    private static void exchange(PacketChannel a, PacketChannel b, org.agrona.concurrent.UnsafeBuffer frame,
                                 io.capybara.io.FrameHandler handler, int rounds) {
        for (int i = 0; i < rounds; i++) {
            a.send(frame, 0, frame.capacity());
            b.poll(handler, 4);
        }
        while (b.poll(handler, 64) > 0) {
            // drain
        }
    }
}
