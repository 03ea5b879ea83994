package io.capybara.io.linux;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A TAP whose kernel side sits in a namespace answers ARP and ping sent from Java. */
class TapChannelTest {
    private static final long OUR_MAC = 0x02_43_4A_00_00_01L;

    @Test
    void kernelAnswersArpAndPingOverTap() {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            Topology.TapLink tap = topo.tap(ns);
            TapChannel channel = tap.channel();
            assertEquals(tap.name(), channel.name());

            long kernelMac = KernelPeer.arp(channel, OUR_MAC, tap.hostAddress(), tap.kernelAddress());
            for (int seq = 1; seq <= 3; seq++) {
                KernelPeer.ping(channel, OUR_MAC, kernelMac, tap.hostAddress(), tap.kernelAddress(), seq);
            }
            assertTrue(channel.framesReceived() >= 4, "received " + channel.framesReceived());
            assertEquals(4, channel.framesSent());
            assertEquals(0, channel.sendsDropped());
            assertEquals(0, channel.readErrors(), "errno " + channel.lastErrno());
        }
    }

    @Test
    void pollOnEmptyTapReturnsAtOnce() {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            TapChannel channel = topo.tap(topo.namespace()).channel();
            // Drain whatever the kernel sent while the link came up, then nothing is pending.
            while (channel.poll((b, o, l) -> { }, 64) > 0) {
                KernelPeer.sleepMillis(1);
            }
            long start = System.nanoTime();
            assertEquals(0, channel.poll((b, o, l) -> { }, 64));
            assertTrue(System.nanoTime() - start < 50_000_000L, "poll blocked");
        }
    }
}
