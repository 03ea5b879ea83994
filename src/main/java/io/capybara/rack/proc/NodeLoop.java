package io.capybara.rack.proc;

import io.capybara.io.linux.EpollWaiter;
import io.capybara.io.Node;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The loop of one node process: one thread, run to completion, the real clock. After work it
 * busy-polls for {@code spinNanos} (frames of one exchange come microseconds apart); then it
 * blocks in {@link EpollWaiter#await} on the node's descriptors until the nodes' next deadline
 * ({@link Node#nextDeadline()}), a frame, or a task from another thread ({@link #submit},
 * which writes the waiter's eventfd). So an idle node costs a wake-up per timer, not a core.
 *
 * <p>Tasks (control requests) run on this thread between polls, so they read and change node
 * state without locks; the per-iteration cost when none is queued is one volatile read.
 */
public final class NodeLoop {
    /** Longest sleep: housekeeping (the supervisor check) runs at least this often. */
    static final long MAX_SLEEP_NANOS = 1_000_000_000L;

    private final EpollWaiter waiter;
    private volatile long spinNanos;
    private final Node[] nodes;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile boolean tasksPending;
    private long sleeps;
    private long sleptNanos;
    private long iterations;

    /**
     * @param waiter    watches the nodes' descriptors (the caller adds them)
     * @param spinNanos busy-poll this long after the last work before blocking (0: block at once)
     */
    public NodeLoop(EpollWaiter waiter, long spinNanos, Node... nodes) {
        this.waiter = waiter;
        this.spinNanos = spinNanos;
        this.nodes = nodes;
    }

    /** Runs {@code task} on the loop thread soon (wakes the loop if it sleeps). Any thread. */
    public void submit(Runnable task) {
        tasks.add(task);
        tasksPending = true;
        waiter.wakeup();
    }

    public void stop() {
        running.set(false);
        waiter.wakeup();
    }

    public boolean running() {
        return running.get();
    }

    /**
     * Runs until {@link #stop()} or {@code untilNanos} (System.nanoTime). {@code everyTick} runs
     * about once a second (null: never), e.g. a progress line and the supervisor check.
     */
    public void run(long untilNanos, Runnable everyTick) {
        long lastWork = System.nanoTime();
        long nextTick = lastWork + MAX_SLEEP_NANOS;
        // Woken by its own deadline (a heartbeat, a timer), not by a frame: what that work sends
        // gets no answer within a spin, so it does not start one (an idle node's wake-ups stay short).
        boolean timerWake = false;
        while (running.get()) {
            long now = System.nanoTime();
            if (now - untilNanos >= 0) {
                break;
            }
            iterations++;
            int work = 0;
            for (Node n : nodes) {
                work += n.poll(now);
            }
            if (tasksPending) {
                tasksPending = false;
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                    work++;
                }
            }
            if (now - nextTick >= 0) {
                nextTick = now + MAX_SLEEP_NANOS;
                if (everyTick != null) {
                    everyTick.run();
                }
            }
            if (work > 0) {
                if (!timerWake) {
                    lastWork = now;
                }
                continue;
            }
            timerWake = false;
            if (now - lastWork < spinNanos) {
                Thread.onSpinWait();
                continue;
            }
            long deadline = Math.min(nextTick, untilNanos);
            for (Node n : nodes) {
                long d = n.nextDeadline();
                if (d - deadline < 0) {
                    deadline = d;
                }
            }
            long wait = deadline - System.nanoTime();
            if (wait > 0 && !tasksPending) {
                sleeps++;
                long t0 = System.nanoTime();
                int ready = waiter.await(wait);
                long t1 = System.nanoTime();
                sleptNanos += t1 - t0;
                if (ready > 0) {
                    lastWork = t1; // a frame or a request woke us: spin for what follows
                } else {
                    timerWake = true;
                }
            }
        }
    }

    public long spinNanos() {
        return spinNanos;
    }

    /** Changes the spin (from the loop thread, or any: it is read once per idle iteration). */
    public void spinNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("spin " + nanos + " ns < 0");
        }
        spinNanos = nanos;
    }

    /** Times the loop blocked in epoll. */
    public long sleeps() {
        return sleeps;
    }

    public long sleptNanos() {
        return sleptNanos;
    }

    public long iterations() {
        return iterations;
    }
}
