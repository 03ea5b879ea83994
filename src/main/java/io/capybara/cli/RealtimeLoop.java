package io.capybara.cli;

import io.capybara.sim.SimNode;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Drives sans-IO nodes with the real clock: one thread, run to completion, busy-polling with
 * an Agrona back-off when idle. This is the only place the CLI's nodes get their time from.
 */
final class RealtimeLoop {
    private final SimNode[] nodes;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);

    RealtimeLoop(SimNode... nodes) {
        this.nodes = nodes;
    }

    void stop() {
        running.set(false);
    }

    /** Runs until {@link #stop()} or until {@code untilNanos} (System.nanoTime) passes. */
    void run(long untilNanos, Runnable everySecond) {
        long nextTick = System.nanoTime() + 1_000_000_000L;
        while (running.get()) {
            long now = System.nanoTime();
            if (now - untilNanos >= 0) {
                break;
            }
            int work = 0;
            for (SimNode n : nodes) {
                work += n.poll(now);
            }
            if (now - nextTick >= 0) {
                nextTick = now + 1_000_000_000L;
                if (everySecond != null) {
                    everySecond.run();
                }
            }
            idle.idle(work);
        }
    }
}
