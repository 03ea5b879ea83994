package io.capybara.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.FrameChannel;
import io.capybara.io.Node;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class SimulatorTest {
    /** Sends {@code count} numbered frames, one every {@code interval}, and records what it receives. */
    static final class Talker implements Node {
        final FrameChannel channel;
        final int count;
        final long interval;
        final int length;
        final UnsafeBuffer tx = new UnsafeBuffer(new byte[1514]);
        final List<long[]> received = new ArrayList<>(); // {seq, time, length}
        final List<byte[]> receivedBytes = new ArrayList<>();
        int sent;
        long nextSend;
        long now;

        Talker(FrameChannel channel, int count, long interval, int length) {
            this.channel = channel;
            this.count = count;
            this.interval = interval;
            this.length = length;
        }

        @Override
        public int poll(long nowNanos) {
            now = nowNanos;
            int work = channel.poll((buf, off, len) -> {
                received.add(new long[] {buf.getInt(off, ByteOrder.BIG_ENDIAN), now, len});
                byte[] copy = new byte[len];
                buf.getBytes(off, copy);
                receivedBytes.add(copy);
            }, 64);
            while (sent < count && nextSend <= nowNanos) {
                for (int i = 0; i < length; i++) {
                    tx.putByte(i, (byte) (i * 7 + sent));
                }
                tx.putInt(0, sent, ByteOrder.BIG_ENDIAN);
                channel.send(tx, 0, length);
                sent++;
                nextSend += interval;
                work++;
            }
            return work;
        }

        @Override
        public long nextDeadline() {
            return sent < count ? nextSend : Long.MAX_VALUE;
        }
    }

    private static Talker[] pair(Simulator sim, LinkProfile p, int count, long interval) {
        SimLink link = sim.link("l", p, p, 4096);
        Talker a = sim.add(new Talker(link.a(), count, interval, 200));
        Talker b = sim.add(new Talker(link.b(), count, interval, 200));
        return new Talker[] {a, b};
    }

    @Test
    void idealLinkDeliversAfterTheDelayInOrder() {
        Simulator sim = new Simulator(1);
        Talker[] t = pair(sim, LinkProfile.ideal(5_000), 10, 1_000);
        sim.runUntil(Long.MAX_VALUE, () -> false);
        assertEquals(10, t[1].received.size());
        for (int i = 0; i < 10; i++) {
            assertEquals(i, t[1].received.get(i)[0]);
            assertEquals(i * 1_000L + 5_000, t[1].received.get(i)[1]);
        }
        assertEquals(9_000 + 5_000, sim.now());
    }

    @Test
    void bandwidthSerializesFrames() {
        Simulator sim = new Simulator(1);
        // 200-byte frames at 1.6 Mbit/s take 1 ms each; all sent at t=0.
        Talker[] t = pair(sim, LinkProfile.ideal(0).withBandwidth(1_600_000), 5, 0);
        sim.runUntil(Long.MAX_VALUE, () -> false);
        for (int i = 0; i < 5; i++) {
            assertEquals((i + 1) * 1_000_000L, t[1].received.get(i)[1]);
        }
    }

    @Test
    void lossDuplicationAndReorderHappenAtRoughlyTheirRates() {
        Simulator sim = new Simulator(7);
        LinkProfile p = LinkProfile.ideal(1_000).withLoss(0.1).withDuplicate(0.1).withReorder(0.1, 50_000);
        SimLink link = sim.link("l", p, p, 4096);
        Talker a = sim.add(new Talker(link.a(), 10_000, 1_000, 100));
        Talker b = sim.add(new Talker(link.b(), 0, 1_000, 100));
        sim.runUntil(Long.MAX_VALUE, () -> false);
        SimLink.Stats s = link.stats(SimLink.A_TO_B);
        assertEquals(10_000, s.sent());
        assertTrue(s.lost() > 800 && s.lost() < 1200, s.toString());
        assertTrue(s.duplicated() > 700 && s.duplicated() < 1100, s.toString());
        assertTrue(s.reordered() > 800 && s.reordered() < 1200, s.toString());
        assertEquals(s.sent() - s.lost() + s.duplicated(), s.delivered());
        assertEquals(s.delivered(), b.received.size());
        int inversions = 0;
        for (int i = 1; i < b.received.size(); i++) {
            if (b.received.get(i)[0] < b.received.get(i - 1)[0]) {
                inversions++;
            }
        }
        assertTrue(inversions > 500, "reordering visible: " + inversions);
        assertEquals(0, a.received.size());
    }

    @Test
    void corruptionFlipsExactlyOneBit() {
        Simulator sim = new Simulator(3);
        LinkProfile p = LinkProfile.ideal(1_000).withCorrupt(0.5);
        SimLink link = sim.link("l", p, p, 64);
        Talker a = sim.add(new Talker(link.a(), 1_000, 1_000, 100));
        Talker b = sim.add(new Talker(link.b(), 0, 1_000, 100));
        sim.runUntil(Long.MAX_VALUE, () -> false);
        int corrupted = 0;
        for (int k = 0; k < b.receivedBytes.size(); k++) {
            byte[] got = b.receivedBytes.get(k);
            // frames are sent in order over a jitter-free link, so frame k was frame number k
            int bits = 0;
            for (int i = 4; i < got.length; i++) {
                bits += Integer.bitCount((got[i] ^ (byte) (i * 7 + k)) & 0xFF);
            }
            int seqBits = Integer.bitCount(((got[0] & 0xFF) << 24 | (got[1] & 0xFF) << 16 | (got[2] & 0xFF) << 8
                    | (got[3] & 0xFF)) ^ k);
            bits += seqBits;
            assertTrue(bits <= 1);
            corrupted += bits;
        }
        assertEquals(link.stats(SimLink.A_TO_B).corrupted(), corrupted);
        assertTrue(corrupted > 400 && corrupted < 600, "rate ~0.5: " + corrupted);
        assertEquals(1_000, a.sent);
    }

    @Test
    void downIntervalDropsFrames() {
        Simulator sim = new Simulator(1);
        LinkProfile p = LinkProfile.ideal(500);
        SimLink link = sim.link("l", p, p, 64);
        link.down(10_000, 20_000);
        sim.add(new Talker(link.a(), 30, 1_000, 100));
        Talker b = sim.add(new Talker(link.b(), 0, 1_000, 100));
        sim.runUntil(Long.MAX_VALUE, () -> false);
        // sent at 0..29 us; sent 10..19 us are dropped; the one sent at 9.6 (none) - delivery 9.5+0.5
        for (long[] r : b.received) {
            assertTrue(r[1] < 10_000 || r[1] >= 20_000, "nothing delivered while down");
        }
        assertEquals(20, b.received.size());
        assertEquals(10, link.stats(SimLink.A_TO_B).downDrops());
    }

    @Test
    void sameSeedSameTraceOtherSeedOtherTrace() {
        long[] h = new long[3];
        long[] seeds = {42, 42, 43};
        for (int i = 0; i < 3; i++) {
            Simulator sim = new Simulator(seeds[i]);
            LinkProfile p = new LinkProfile(10_000_000, 2_000, 3_000, 0.05, 0.05, 0.05, 20_000, 0.05);
            pair(sim, p, 2_000, 700);
            sim.runUntil(Long.MAX_VALUE, () -> false);
            h[i] = sim.traceHash();
        }
        assertEquals(h[0], h[1]);
        assertNotEquals(h[0], h[2]);
    }

    @Test
    void tapSeesEveryDeliveredFrameAndOverflowIsCounted() {
        Simulator sim = new Simulator(1);
        SimLink link = sim.link("l", LinkProfile.ideal(1_000_000), LinkProfile.ideal(1_000_000), 8);
        List<Long> seen = new ArrayList<>();
        link.tap((t, buf, off, len) -> seen.add(t));
        // 20 frames at once into 8 slots: 12 overflow
        Talker a = sim.add(new Talker(link.a(), 20, 0, 100));
        Talker b = sim.add(new Talker(link.b(), 0, 0, 100));
        sim.runUntil(Long.MAX_VALUE, () -> false);
        assertEquals(8, b.received.size());
        assertEquals(12, link.stats(SimLink.A_TO_B).overflowDrops());
        assertEquals(8, seen.size());
        assertEquals(8, sim.framesDelivered());
        assertEquals(20, a.sent);
    }

    @Test
    void stepHookRunsWithoutChangingTheRun() {
        long[] h = new long[2];
        for (int i = 0; i < 2; i++) {
            Simulator sim = new Simulator(5);
            LinkProfile p = LinkProfile.ideal(3_000).withJitter(2_000).withLoss(0.1);
            pair(sim, p, 500, 1_000);
            int[] calls = {0};
            if (i == 1) {
                sim.onStep(() -> calls[0]++);
            }
            sim.runUntil(Long.MAX_VALUE, () -> false);
            h[i] = sim.traceHash();
            assertTrue(i == 0 || calls[0] > 100);
        }
        assertEquals(h[0], h[1]);
    }
}
