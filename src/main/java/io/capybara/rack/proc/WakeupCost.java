package io.capybara.rack.proc;

import io.capybara.io.linux.EpollWaiter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a wake-up costs: a ping-pong between two threads, each the only loop of its "node",
 * once through {@link EpollWaiter}s (each side blocked in epoll_pwait2 until the other writes
 * its eventfd: the path a blocked node takes when a frame or a control request arrives) and
 * once through a shared counter both sides spin on (the path of a node still in its spin).
 * Half the difference of the round trips is the price of one wake-up.
 */
public final class WakeupCost {
    private WakeupCost() {
    }

    /** {@code rounds} round trips each way: {@code blocked_rtt_us}, {@code spinning_rtt_us} (p50, p99), {@code per_wakeup_us}. */
    public static Map<String, Object> measure(int rounds) throws InterruptedException {
        double[] blocked = blocked(rounds);
        double[] spinning = spinning(rounds);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("round_trips", rounds);
        m.put("blocked_rtt_us", percentileMap(blocked));
        m.put("spinning_rtt_us", percentileMap(spinning));
        m.put("per_wakeup_us", Math.round((blocked[0] - spinning[0]) / 2 * 100) / 100.0);
        return m;
    }

    private static double[] blocked(int rounds) throws InterruptedException {
        try (EpollWaiter ping = new EpollWaiter(); EpollWaiter pong = new EpollWaiter()) {
            Thread echo = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < rounds; i++) {
                    while (!ping.takeWoken()) {
                        ping.await(-1);
                    }
                    pong.wakeup();
                }
            });
            long[] rtt = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                ping.wakeup();
                while (!pong.takeWoken()) {
                    pong.await(-1);
                }
                rtt[i] = System.nanoTime() - t0;
            }
            echo.join();
            return percentiles(rtt);
        }
    }

    private static double[] spinning(int rounds) throws InterruptedException {
        AtomicLong turn = new AtomicLong();
        Thread echo = Thread.ofPlatform().start(() -> {
            for (long i = 0; i < rounds; i++) {
                while (turn.get() != 2 * i + 1) {
                    Thread.onSpinWait();
                }
                turn.set(2 * i + 2);
            }
        });
        long[] rtt = new long[rounds];
        for (long i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            turn.set(2 * i + 1);
            while (turn.get() != 2 * i + 2) {
                Thread.onSpinWait();
            }
            rtt[(int) i] = System.nanoTime() - t0;
        }
        echo.join();
        return percentiles(rtt);
    }

    static Map<String, Object> percentileMap(double[] p50p99) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", p50p99[0]);
        m.put("p99", p50p99[1]);
        return m;
    }

    private static double[] percentiles(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return new double[] {MigrationSamples.micros(MigrationSamples.percentile(s, 50)),
                MigrationSamples.micros(MigrationSamples.percentile(s, 99))};
    }
}
