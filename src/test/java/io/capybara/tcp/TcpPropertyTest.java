package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded property test: random configurations, sizes and faults (loss, duplication, reordering up
 * to 20% each); every byte must arrive exactly once and in order, both sides must close cleanly,
 * and snapshot/restore of either side at random points must produce a copy whose outputs stay
 * identical to the original's (the harness runs both and compares every emitted segment).
 */
class TcpPropertyTest {
    static final long MS = 1_000_000L;
    /** Largest transfer per direction; sizes are log-uniform in [1, MAX_SIZE]. */
    static final int MAX_SIZE = 3 << 20;

    static LongStream seeds() {
        String one = System.getProperty("capybara.seed");
        if (one != null) {
            return LongStream.of(Long.parseLong(one));
        }
        return LongStream.range(0, Integer.getInteger("capybara.seeds", 500));
    }

    private static final java.util.concurrent.atomic.AtomicInteger SNAPSHOTS = new java.util.concurrent.atomic.AtomicInteger();
    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    @org.junit.jupiter.api.AfterAll
    static void snapshotsWereExercised() {
        // the side-by-side check only means something if snapshots actually happened
        if (RUNS.get() >= 50) {
            org.junit.jupiter.api.Assertions.assertTrue(SNAPSHOTS.get() >= RUNS.get(),
                    "snapshots " + SNAPSHOTS.get() + " over " + RUNS.get() + " runs");
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void deliversExactBytesUnderFaultsAcrossSnapshots(long seed) {
        try {
            run(seed);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " failed: " + e.getMessage()
                    + "\nreplay: ./capybara test -Dtest=TcpPropertyTest -Dcapybara.seed=" + seed, e);
        }
    }

    static TcpConfig randomConfig(SplittableRandom r) {
        int mss = switch (r.nextInt(3)) {
            case 0 -> 536;
            case 1 -> 1460;
            default -> r.nextInt(200, 9000);
        };
        int[] buffers = {700, 2048, 4096, 16384, 65536, 262144};
        return new TcpConfig(mss, buffers[r.nextInt(buffers.length)], buffers[r.nextInt(buffers.length)],
                new int[]{-1, 0, 2, 7}[r.nextInt(4)], r.nextBoolean(), r.nextBoolean(), r.nextInt(4) == 0,
                new long[]{1 * MS, 40 * MS}[r.nextInt(2)], 1000 * MS, new long[]{10 * MS, 200 * MS}[r.nextInt(2)],
                60_000 * MS, 15, 60_000 * MS, new int[]{1, 3, 64}[r.nextInt(3)]);
    }

    static int size(SplittableRandom r) {
        if (r.nextInt(5) == 0) {
            return 0;
        }
        return (int) Math.exp(r.nextDouble(0, Math.log(MAX_SIZE)));
    }

    static double fault(SplittableRandom r) {
        return r.nextInt(3) == 0 ? 0 : r.nextDouble(0, 0.2);
    }

    static int iss(SplittableRandom r) {
        return r.nextBoolean() ? r.nextInt() : -1 - r.nextInt(100_000);
    }

    private static void run(long seed) {
        run(seed, 0);
    }

    /** One seed's run; both ends offer {@code offloadBytes} of segmentation offload (0: none). */
    static void run(long seed, int offloadBytes) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 17);
        TcpConfig ca = randomConfig(r);
        TcpConfig cb = randomConfig(r);
        TcpPair p = new TcpPair(r.nextLong(), ca, cb);
        p.a.offload = offloadBytes;
        p.b.offload = offloadBytes;
        p.delayNanos = r.nextLong(10_000, 2 * MS);
        p.loss = fault(r);
        p.duplicate = fault(r);
        p.reorder = fault(r);
        byte[] ab = TcpBasicsTest.data(r.nextLong(), size(r));
        byte[] ba = TcpBasicsTest.data(r.nextLong(), size(r));
        p.a.toSend = ab;
        p.b.toSend = ba;
        p.a.closeWhenSent = true;
        p.b.closeWhenSent = true;
        p.open(iss(r), iss(r));
        int snapshots = 1 + r.nextInt(5);
        double snapshotChance = 1.0 / r.nextInt(3, 500);
        int firstSnapshotAt = r.nextInt(12); // every run gets at least one, early (often mid-handshake)
        long limit = p.now + 7_200_000 * MS;
        int steps = 0;
        while (!(p.b.received.size() == ab.length && p.a.received.size() == ba.length
                && closed(p.a) && closed(p.b))) {
            if (!p.step(limit)) {
                fail("stalled at t=" + p.now + " after " + steps + " steps: A " + p.a.conn + " " + stats(p.a)
                        + " / B " + p.b.conn + " " + stats(p.b) + "; received A " + p.a.received.size() + "/"
                        + ba.length + ", B " + p.b.received.size() + "/" + ab.length
                        + "; config A " + ca + " B " + cb);
            }
            steps++;
            if (snapshots > 0 && (steps == firstSnapshotAt || steps > firstSnapshotAt && r.nextDouble() < snapshotChance)) {
                TcpPair.Endpoint e = r.nextBoolean() ? p.a : p.b;
                if (e.conn != null) {
                    e.snapshotAndShadow(r.nextBoolean());
                    snapshots--;
                    SNAPSHOTS.incrementAndGet();
                }
            }
        }
        RUNS.incrementAndGet();
        for (TcpPair.Endpoint e : new TcpPair.Endpoint[]{p.a, p.b}) {
            if (e.shadow != null && !e.shadow.sameStateAs(e.conn, p.now)) {
                fail(e.name + ": restored copy ended in a different state");
            }
        }
        if (!Arrays.equals(ab, p.b.received.toByteArray())) {
            fail("A->B bytes differ");
        }
        if (!Arrays.equals(ba, p.a.received.toByteArray())) {
            fail("B->A bytes differ");
        }
        assertEquals(0, p.a.conn.stats().resetsIn() + p.b.conn.stats().resetsIn(), "no connection was reset");
    }

    private static boolean closed(TcpPair.Endpoint e) {
        return e.conn != null && e.conn.state() == TcpState.CLOSED;
    }

    private static String stats(TcpPair.Endpoint e) {
        return e.conn == null ? "-" : e.conn.stats().toString();
    }
}
