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
                long deadline = System.nanoTime() + 3_000_000_000L;
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
}
