package io.capybara.rack.proc;

import io.capybara.io.Node;
import io.capybara.io.linux.EpollWaiter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The node loop's idle strategy and the control socket, without root. */
@Timeout(60)
class ControlAndIdleTest {
    @TempDir
    Path dir;

    /** A node with nothing to do whose next deadline is {@code every} ns after each poll. */
    static final class Ticker implements Node {
        final long every;
        final AtomicInteger polls = new AtomicInteger();
        volatile long next = Long.MIN_VALUE;
        int value = 7;

        Ticker(long every) {
            this.every = every;
        }

        @Override
        public int poll(long now) {
            polls.incrementAndGet();
            if (next == Long.MIN_VALUE || now - next >= 0) {
                next = now + every;
            }
            return 0;
        }

        @Override
        public long nextDeadline() {
            return next;
        }
    }

    @Test
    void anIdleLoopBlocksUntilItsDeadlineInsteadOfSpinning() throws Exception {
        Ticker node = new Ticker(100_000_000L); // a deadline every 100 ms
        try (EpollWaiter w = new EpollWaiter()) {
            NodeLoop loop = new NodeLoop(w, 20_000, node);
            Thread t = Thread.ofPlatform().start(() -> loop.run(System.nanoTime() + 1_000_000_000L, null));
            t.join(30_000); // a one-second run; a loaded host may take seconds more to start and end it
            assertTrue(!t.isAlive(), "the loop did not end at its deadline");
            // about 10 deadlines in one second: each wakes the loop, which spins 20 us and sleeps again.
            // A spinning loop sleeps 0 times and 0 ms, one that ignores deadlines sleeps once, one
            // that wakes every millisecond ~1000 times; late wake-ups and a slow start on a loaded
            // machine only lower the count and the slept share, so the bounds leave room for that.
            assertTrue(loop.sleeps() >= 3 && loop.sleeps() <= 40, "sleeps " + loop.sleeps());
            assertTrue(loop.sleptNanos() > 500_000_000L, "slept " + loop.sleptNanos() / 1e6 + " ms of 1000");
        }
    }

    @Test
    void aSubmittedTaskWakesTheSleepingLoopAtOnce() throws Exception {
        Ticker node = new Ticker(60_000_000_000L); // nothing due for a minute
        try (EpollWaiter w = new EpollWaiter()) {
            NodeLoop loop = new NodeLoop(w, 0, node);
            Thread t = Thread.ofPlatform().start(() -> loop.run(System.nanoTime() + 60_000_000_000L, null));
            Thread.sleep(200);
            long t0 = System.nanoTime();
            java.util.concurrent.CompletableFuture<Long> ran = new java.util.concurrent.CompletableFuture<>();
            loop.submit(() -> ran.complete(System.nanoTime()));
            long latency = ran.get(30, java.util.concurrent.TimeUnit.SECONDS) - t0;
            // a loop that misses the wake-up runs the task at its next deadline, a minute away;
            // 10 s leaves any loaded machine room and still tells the two apart
            assertTrue(latency < 10_000_000_000L, "woken after " + latency / 1e6 + " ms");
            loop.stop();
            t.join(5_000);
            assertTrue(!t.isAlive());
            assertTrue(w.wakeups() >= 1);
        }
    }

    @Test
    void controlVerbsRunOnTheLoopAndBadRequestsGetOneErrorLine() throws Exception {
        Ticker node = new Ticker(60_000_000_000L);
        try (EpollWaiter w = new EpollWaiter()) {
            NodeLoop loop = new NodeLoop(w, 0, node);
            ControlServer control = new ControlServer(dir.resolve("n.sock"), loop);
            Thread[] loopThread = new Thread[1];
            control.register("value", "value [N]: show or set", (List<String> args) -> {
                assertEquals(loopThread[0], Thread.currentThread(), "verbs run on the node loop");
                if (!args.isEmpty()) {
                    node.value = Integer.parseInt(args.get(0));
                }
                return "value " + node.value + "\n";
            });
            control.register("fail", "throws", args -> {
                throw new IllegalArgumentException("no such thing");
            });
            control.start();
            loopThread[0] = Thread.ofPlatform().start(() -> loop.run(System.nanoTime() + 60_000_000_000L, null));
            try {
                assertEquals("value 7\n", ControlServer.request(control.path(), "value"));
                assertEquals("value 42\n", ControlServer.request(control.path(), "value 42"));
                assertEquals(42, node.value);
                assertEquals("error: no such thing\n", ControlServer.request(control.path(), "fail"));
                String unknown = ControlServer.request(control.path(), "frobnicate now");
                assertTrue(unknown.startsWith("error: unknown command 'frobnicate'") && unknown.indexOf('\n') == unknown.length() - 1,
                        unknown);
                assertTrue(ControlServer.request(control.path(), "help").contains("value [N]: show or set"));
            } finally {
                control.close();
                loop.stop();
                loopThread[0].join(5_000);
            }
        }
    }
}
