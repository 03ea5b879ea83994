package io.capybara.io.linux;

import io.capybara.io.FrameChannel;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Talks to a Linux kernel at the far end of a channel: ARP for it, then ping it. */
final class KernelPeer {
    /** A deadline, not a speed claim: the kernel answers in microseconds, a loaded CI host may stall us for seconds. */
    private static final long TIMEOUT_MILLIS = 20_000;

    interface FrameTest {
        boolean test(DirectBuffer buffer, int offset, int length);
    }

    private KernelPeer() {
    }

    /** Polls until a frame passes {@code test}; false on timeout. Other frames are ignored. */
    static boolean awaitFrame(FrameChannel channel, FrameTest test) {
        boolean[] found = {false};
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        while (!found[0] && System.nanoTime() < deadline) {
            int n = channel.poll((b, o, l) -> {
                if (!found[0] && test.test(b, o, l)) {
                    found[0] = true;
                }
            }, 16);
            if (n == 0) {
                sleepMillis(1);
            }
        }
        return found[0];
    }

    /** Resolves {@code kernelIp} by ARP over {@code channel}; returns the kernel's MAC. */
    static long arp(FrameChannel channel, long ourMac, int ourIp, int kernelIp) {
        UnsafeBuffer request = TestFrames.arpRequest(ourMac, ourIp, kernelIp);
        assertTrue(channel.send(request, 0, request.capacity()), "ARP request not sent on " + channel.name());
        long[] kernelMac = {-1};
        boolean answered = awaitFrame(channel, (b, o, l) -> {
            kernelMac[0] = TestFrames.arpReplySender(b, o, l, kernelIp, ourMac);
            return kernelMac[0] >= 0;
        });
        assertTrue(answered, "no ARP reply from " + Topology.ipv4(kernelIp) + " on " + channel.name());
        assertNotEquals(0L, kernelMac[0]);
        return kernelMac[0];
    }

    /** Sends one echo request and asserts the kernel's reply (ids, payload, checksums) arrives. */
    static void ping(FrameChannel channel, long ourMac, long kernelMac, int ourIp, int kernelIp, int seq) {
        byte[] payload = ("capybara ping " + seq).getBytes(StandardCharsets.US_ASCII);
        int id = 0x4A43;
        UnsafeBuffer echo = TestFrames.icmpEchoRequest(ourMac, kernelMac, ourIp, kernelIp, id, seq, payload);
        assertTrue(channel.send(echo, 0, echo.capacity()), "echo request not sent on " + channel.name());
        boolean replied = awaitFrame(channel,
                (b, o, l) -> TestFrames.isEchoReply(b, o, l, ourMac, kernelIp, ourIp, id, seq, payload));
        assertTrue(replied, "no valid echo reply from " + Topology.ipv4(kernelIp) + " seq " + seq
                + " on " + channel.name());
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
