package io.capybara.cli;

import io.capybara.io.Node;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Drives sans-IO nodes with the real clock: one thread, run to completion, busy-polling with
 * an Agrona back-off when idle. This is the only place the CLI's nodes get their time from.
 */
final class RealtimeLoop {
    private final Node[] nodes;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);

    RealtimeLoop(Node... nodes) {
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
            for (Node n : nodes) {
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

    /**
     * For commands: runs for {@code durationSeconds} (null: until Ctrl-C or SIGTERM), then
     * {@code atEnd} (final counters). On a signal a shutdown hook stops the loop and waits for
     * {@code atEnd} to finish before the JVM exits.
     */
    void runUntilStopped(Double durationSeconds, Runnable everySecond, Runnable atEnd) {
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop();
            try {
                main.join(2_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        long now = System.nanoTime();
        run(durationSeconds == null ? now + Long.MAX_VALUE / 2 : now + (long) (durationSeconds * 1e9), everySecond);
        atEnd.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is already running: it waits for us
        }
    }
}
