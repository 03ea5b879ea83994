package io.capybara.interop;

import io.capybara.host.Host;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Drives one {@link Host} with the real clock on its own thread (busy poll), the way the CLI's
 * realtime loop does. The host is not thread-safe: everything else that touches it (connect,
 * reading its counters or an app's state) goes through {@link #call}, which runs on the loop.
 */
final class HostLoop implements AutoCloseable {
    private final Host host;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile Throwable failure;

    HostLoop(Host host) {
        this.host = host;
        this.thread = new Thread(this::run, "host-loop-" + host.name());
        thread.setDaemon(true);
        thread.start();
    }

    Host host() {
        return host;
    }

    private void run() {
        try {
            while (running) {
                int work = host.poll(System.nanoTime());
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                    work++;
                }
                if (work == 0) {
                    Thread.onSpinWait();
                }
            }
        } catch (Throwable e) {
            failure = e;
        }
    }

    /** Runs {@code task} on the loop thread and returns its result (10 s at most). */
    <T> T call(Callable<T> task) {
        FutureTask<T> f = new FutureTask<>(task);
        tasks.add(f);
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("loop task failed (loop failure: " + failure + ")", e);
        }
    }

    void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Waits until {@code condition} (evaluated on the loop) holds; false after {@code millis}. */
    boolean await(Callable<Boolean> condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            if (call(condition)) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }
}
