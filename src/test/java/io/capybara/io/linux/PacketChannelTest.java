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

    /**
     * An offload channel reads frames from its mmap'ed receive ring: MTU-sized frames there,
     * byte for byte and in order, and a GSO super-frame longer than a ring slot (the sending end
     * with TSO on, so the veth passes it whole) from the socket's queue, its partial checksum
     * finished. The sender's payload goes out from native memory (a gathered send).
     */
    @Test
    void offloadChannelReadsTheRingAndLongFramesFromTheQueue() {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            Topology.VethLink link = topo.veth(null, null); // both ends in the root namespace
            try (PacketChannel a = PacketChannel.open(link.nameA(), -1L, false, PacketChannel.DEFAULT_BUFFER_BYTES, true);
                 PacketChannel b = PacketChannel.open(link.nameB(), -1L, false, PacketChannel.DEFAULT_BUFFER_BYTES, true)) {
                assertTrue(b.receiveRing(), "offload channel without a receive ring");
                org.agrona.concurrent.UnsafeBuffer frame = new org.agrona.concurrent.UnsafeBuffer(new byte[1000]);
                TestFrames.putMac(frame, 0, b.ourMac());
                TestFrames.putMac(frame, 6, a.ourMac());
                frame.putShort(12, (short) 0x88B5, java.nio.ByteOrder.BIG_ENDIAN); // local experimental
                int frames = 3 * PacketChannel.RxRing.FRAMES / 2; // round the ring once and a half
                int[] next = {0};
                boolean[] intact = {true};
                io.capybara.io.FrameHandler check = (buf, off, len) -> {
                    intact[0] &= len == frame.capacity() && buf.getInt(off + 20) == next[0]++;
                };
                for (int i = 0; i < frames; i++) {
                    frame.putInt(20, i);
                    assertTrue(a.send(frame, 0, frame.capacity()));
                    if (i % 64 == 63) {
                        drain(b, check, i + 1, next);
                    }
                }
                drain(b, check, frames, next);
                assertTrue(intact[0], "a frame arrived changed or out of order");

                topo.run(null, "ethtool", "-K", link.nameA(), "tx", "on", "sg", "on", "tso", "on", "gso", "on");
                io.capybara.wire.TcpSegment seg = new io.capybara.wire.TcpSegment()
                        .between(link.addressA(), 40000, link.addressB(), 80);
                seg.seq = 1;
                seg.ack = 1;
                seg.flags = io.capybara.wire.TcpSegment.ACK;
                seg.window = 1000;
                java.nio.ByteBuffer nativePayload = java.nio.ByteBuffer.allocateDirect(20 * 1448);
                org.agrona.concurrent.UnsafeBuffer payload = new org.agrona.concurrent.UnsafeBuffer(nativePayload);
                for (int i = 0; i < payload.capacity(); i++) {
                    payload.putByte(i, (byte) (i * 7));
                }
                seg.payload = payload;
                seg.payloadLength = payload.capacity();
                org.agrona.concurrent.UnsafeBuffer headers = new org.agrona.concurrent.UnsafeBuffer(new byte[128]);
                int headersLength = io.capybara.wire.FrameEncoder.encodeTcpHeaders(headers, 0, b.ourMac(), a.ourMac(), 1,
                        seg) - seg.payloadLength;
                assertTrue(a.sendTcpOffloaded(headers, 0, headersLength, payload, 0, payload.capacity(),
                        io.capybara.wire.FrameEncoder.IPV4_HEADERS_LENGTH, 1448));
                assertEquals(1, a.gatheredSent(), "payload in native memory goes out where it lies");
                int[] longest = {0};
                boolean[] valid = {false};
                long deadline = System.nanoTime() + 20_000_000_000L; // a deadline for a slow host, not a speed claim
                while (longest[0] == 0 && System.nanoTime() < deadline) {
                    b.poll((buf, off, len) -> {
                        if (TestFrames.isTcp(buf, off, len)) {
                            longest[0] = Math.max(longest[0], len);
                            valid[0] = TestFrames.isTcpWithValidChecksums(buf, off, len)
                                    && buf.getByte(off + len - 1) == payload.getByte(payload.capacity() - 1);
                        }
                    }, 16);
                }
                assertEquals(headersLength + payload.capacity(), longest[0], "the super-frame arrived whole");
                assertTrue(valid[0], "super-frame with a bad checksum or payload");
                assertTrue(b.checksumsFinished() > 0, "its partial checksum was finished here");
            }
        }
    }

    private static void drain(PacketChannel b, io.capybara.io.FrameHandler check, int upTo, int[] next) {
        long deadline = System.nanoTime() + 20_000_000_000L; // a deadline for a slow host, not a speed claim
        while (next[0] < upTo && System.nanoTime() < deadline) {
            b.poll(check, 64);
        }
        assertEquals(upTo, next[0], "frames read back from the ring");
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
