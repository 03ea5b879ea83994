package io.capybara.io.linux;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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
            // a blocking read would hang here until the test's timeout: returning at all with 0
            // is the check (no wall-clock bound: that belongs in a benchmark, not a unit test)
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                    () -> assertEquals(0, channel.poll((b, o, l) -> { }, 64)), "poll blocked on an empty TAP");
        }
    }

    @Test
    void sendAndPollAllocateNothingPerFrame() {
        NetAdmin.assumeNetAdmin();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Topology topo = Topology.create()) {
            Topology.TapLink tap = topo.tap(topo.namespace());
            TapChannel channel = tap.channel();
            long kernelMac = KernelPeer.arp(channel, OUR_MAC, tap.hostAddress(), tap.kernelAddress());
            // One echo request, sent again and again: the kernel answers each with a reply.
            var echo = TestFrames.icmpEchoRequest(OUR_MAC, kernelMac, tap.hostAddress(), tap.kernelAddress(),
                    0x4A43, 9, new byte[32]);
            long[] frames = {0};
            io.capybara.io.FrameHandler count = (b, o, l) -> frames[0]++;
            int rounds = 10_000;
            for (int w = 0; w < 20; w++) { // warm up until C2 compiled the loop
                long t = threads.getCurrentThreadAllocatedBytes();
                pingLoop(channel, echo, count, rounds);
                if (threads.getCurrentThreadAllocatedBytes() - t < rounds) {
                    break;
                }
            }
            frames[0] = 0;
            long before = threads.getCurrentThreadAllocatedBytes();
            pingLoop(channel, echo, count, rounds);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(frames[0] > rounds / 2, "received only " + frames[0] + " of " + rounds);
            assertTrue(allocated < rounds, allocated + " bytes allocated for " + rounds + " round trips");
        }
    }

    private static void pingLoop(TapChannel channel, org.agrona.concurrent.UnsafeBuffer echo,
                                 io.capybara.io.FrameHandler handler, int rounds) {
        for (int i = 0; i < rounds; i++) {
            channel.send(echo, 0, echo.capacity());
            channel.poll(handler, 4);
        }
        for (int i = 0; i < 1000 && channel.poll(handler, 64) >= 0; i++) {
            // drain replies still in flight
        }
    }
}
