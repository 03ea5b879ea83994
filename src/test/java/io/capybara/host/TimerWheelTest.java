package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The timing wheel against a plain list of deadlines: same due timers at the same times. */
class TimerWheelTest {
    static final class T extends TimerWheel.Timer {
        final int id;
        long expected = TimerWheel.NONE;

        T(int id) {
            this.id = id;
        }
    }

    @Test
    void firesEveryTimerAtItsFirstAdvancePastTheDeadlineAndNeverEarly() {
        for (int seed = 1; seed <= 40; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            long start = r.nextBoolean() ? 0 : r.nextLong(1L << 50);
            TimerWheel w = new TimerWheel(start);
            List<T> timers = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                timers.add(new T(i));
            }
            long now = start;
            for (int step = 0; step < 3000; step++) {
                int op = r.nextInt(10);
                if (op < 6) { // (re)schedule, over spans from nanoseconds to hours
                    T t = timers.get(r.nextInt(timers.size()));
                    long span = 1L << r.nextInt(44);
                    long d = now + r.nextLong(span) - (r.nextInt(20) == 0 ? span / 2 : 0);
                    w.schedule(t, d);
                    t.expected = d;
                } else if (op == 6) {
                    T t = timers.get(r.nextInt(timers.size()));
                    w.cancel(t);
                    t.expected = TimerWheel.NONE;
                } else {
                    long min = TimerWheel.NONE;
                    for (T t : timers) {
                        min = Math.min(min, t.expected);
                    }
                    long next = w.nextDeadline();
                    assertTrue(next <= Math.max(min, now), "seed " + seed + ": lower bound " + next + " > " + min);
                    // jump to the wheel's next deadline, or a random distance
                    long to = r.nextBoolean() && next != TimerWheel.NONE ? Math.max(next, now)
                            : now + r.nextLong(1L << r.nextInt(40));
                    now = to;
                    w.advance(now);
                    TimerWheel.Timer due;
                    while ((due = w.pollDue()) != null) {
                        T t = (T) due;
                        assertTrue(t.expected <= now, "seed " + seed + ": early by " + (t.expected - now));
                        t.expected = TimerWheel.NONE;
                    }
                    for (T t : timers) {
                        assertTrue(t.expected > now, "seed " + seed + ": timer " + t.id + " late");
                    }
                }
            }
            int scheduled = 0;
            for (T t : timers) {
                scheduled += t.expected == TimerWheel.NONE ? 0 : 1;
            }
            assertEquals(scheduled, w.size());
        }
    }

    @Test
    void nextDeadlineIsExactWithinLevelZeroAndNoneWhenEmpty() {
        TimerWheel w = new TimerWheel(1000);
        assertEquals(TimerWheel.NONE, w.nextDeadline());
        T t = new T(0);
        w.schedule(t, 1010);
        assertEquals(1010, w.nextDeadline());
        w.advance(1009);
        assertNull(w.pollDue());
        w.advance(1010);
        assertEquals(t, w.pollDue());
        assertEquals(TimerWheel.NONE, w.nextDeadline());
    }

    @Test
    void dueTimersComeOutInTheSameOrderForTheSameCalls() {
        List<Integer> first = run();
        assertEquals(first, run());
        assertEquals(500, first.size());
    }

    private static List<Integer> run() {
        SplittableRandom r = new SplittableRandom(7);
        TimerWheel w = new TimerWheel(0);
        List<T> ts = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            T t = new T(i);
            ts.add(t);
            w.schedule(t, r.nextLong(1_000_000_000L));
        }
        List<Integer> order = new ArrayList<>();
        w.advance(2_000_000_000L);
        TimerWheel.Timer t;
        while ((t = w.pollDue()) != null) {
            order.add(((T) t).id);
        }
        return order;
    }
}
