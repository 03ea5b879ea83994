package io.capybara.host;

/**
 * A hierarchical timing wheel over exact nanosecond deadlines (after William Ahern's
 * {@code timeout.c}, and Varghese and Lauck's hierarchical wheels): {@value #LEVELS} levels of
 * 64 slots, level {@code k} slots {@code 64^k} nanoseconds wide. A timer goes to the level of
 * the highest 6-bit digit in which its deadline differs from the wheel's time, in the slot of
 * that digit; when time passes a slot's start the slot's timers move down (or become due). So
 * each timer moves at most {@value #LEVELS} times, scheduling is O(1), and {@link #advance}
 * with nothing due is O(levels): one bitmap test per level.
 *
 * <p>Timers are intrusive ({@link Timer} fields, no allocation) and due timers come out of
 * {@link #pollDue} in a deterministic order (by slot, then by insertion) for the same
 * sequence of calls. {@link #nextDeadline} is a lower bound: exact for level 0, else the start
 * of the earliest occupied slot, where its timers move down. Single-threaded, one per host.
 */
final class TimerWheel {
    static final long NONE = Long.MAX_VALUE;
    private static final int BITS = 6;
    private static final int SLOTS = 1 << BITS;
    private static final int MASK = SLOTS - 1;
    /** 11 levels of 6 bits cover 66 bits: every non-negative long deadline. */
    static final int LEVELS = 11;
    private static final int DUE = -2;
    private static final int NOWHERE = -1;

    /** One scheduled item; a host's connection binding extends it. */
    abstract static class Timer {
        long deadline = NONE;
        Timer next;
        Timer prev;
        /** Slot index (level * 64 + digit), {@link #DUE} or {@link #NOWHERE}. */
        int slot = NOWHERE;

        /** True while scheduled (in a slot or due). */
        final boolean scheduled() {
            return slot != NOWHERE;
        }
    }

    private final Timer[] heads = new Timer[LEVELS * SLOTS];
    private final Timer[] tails = new Timer[LEVELS * SLOTS];
    /** Per level, bit d set when slot d holds a timer. */
    private final long[] occupied = new long[LEVELS];
    private Timer dueHead;
    private Timer dueTail;
    private long now;
    private int size;

    TimerWheel(long start) {
        this.now = start;
    }

    long now() {
        return now;
    }

    /** Timers scheduled (in slots or due, not yet taken). */
    int size() {
        return size;
    }

    /** (Re)schedules {@code t} at {@code deadline}; {@link #NONE} only cancels it. */
    void schedule(Timer t, long deadline) {
        if (t.slot != NOWHERE) {
            if (t.deadline == deadline && t.slot != DUE) {
                return; // unchanged: the common case of a re-armed timer reported twice
            }
            unlink(t);
        }
        t.deadline = deadline;
        if (deadline == NONE) {
            return;
        }
        place(t);
    }

    void cancel(Timer t) {
        if (t.slot != NOWHERE) {
            unlink(t);
        }
        t.deadline = NONE;
    }

    private void place(Timer t) {
        long d = t.deadline;
        size++;
        if (d <= now) {
            appendDue(t);
            return;
        }
        int level = (63 - Long.numberOfLeadingZeros(d ^ now)) / BITS;
        int digit = (int) (d >>> (level * BITS)) & MASK;
        int s = level * SLOTS + digit;
        t.slot = s;
        t.next = null;
        Timer tail = tails[s];
        t.prev = tail;
        if (tail == null) {
            heads[s] = t;
            occupied[level] |= 1L << digit;
        } else {
            tail.next = t;
        }
        tails[s] = t;
    }

    private void appendDue(Timer t) {
        t.slot = DUE;
        t.next = null;
        t.prev = dueTail;
        if (dueTail == null) {
            dueHead = t;
        } else {
            dueTail.next = t;
        }
        dueTail = t;
    }

    private void unlink(Timer t) {
        size--;
        Timer p = t.prev;
        Timer n = t.next;
        if (t.slot == DUE) {
            if (p == null) {
                dueHead = n;
            } else {
                p.next = n;
            }
            if (n == null) {
                dueTail = p;
            } else {
                n.prev = p;
            }
        } else {
            int s = t.slot;
            if (p == null) {
                heads[s] = n;
            } else {
                p.next = n;
            }
            if (n == null) {
                tails[s] = p;
            } else {
                n.prev = p;
            }
            if (heads[s] == null) {
                occupied[s / SLOTS] &= ~(1L << (s & MASK));
            }
        }
        t.next = null;
        t.prev = null;
        t.slot = NOWHERE;
    }

    /**
     * Moves time to {@code to}: the timers of every slot whose start has passed move down a
     * level or become due. O(levels) when no occupied slot was passed.
     */
    void advance(long to) {
        if (to <= now) {
            return;
        }
        long from = now;
        now = to;
        for (int level = LEVELS - 1; level >= 0; level--) {
            long bits = occupied[level];
            if (bits == 0) {
                continue;
            }
            int shift = level * BITS;
            long steps = (to >>> shift) - (from >>> shift);
            if (steps == 0) {
                continue;
            }
            long passed;
            if (steps >= SLOTS) {
                passed = -1L;
            } else {
                // digits from+1 .. to (mod 64): a run of 'steps' bits starting after from's digit
                int start = ((int) (from >>> shift) + 1) & MASK;
                long run = (1L << steps) - 1;
                passed = Long.rotateLeft(run, start);
            }
            long hit = bits & passed;
            // slots in digit order from the old position, so that the order is deterministic
            int first = ((int) (from >>> shift) + 1) & MASK;
            while (hit != 0) {
                long rotated = Long.rotateRight(hit, first);
                int digit = (Long.numberOfTrailingZeros(rotated) + first) & MASK;
                hit &= ~(1L << digit);
                cascade(level * SLOTS + digit);
            }
        }
    }

    /** Re-places every timer of slot {@code s} relative to the current time. */
    private void cascade(int s) {
        Timer t = heads[s];
        heads[s] = null;
        tails[s] = null;
        occupied[s / SLOTS] &= ~(1L << (s & MASK));
        while (t != null) {
            Timer n = t.next;
            size--;
            place(t);
            t = n;
        }
    }

    /** The next due timer (taken out of the wheel), or null. Call after {@link #advance}. */
    Timer pollDue() {
        Timer t = dueHead;
        if (t != null) {
            unlink(t);
            t.deadline = NONE;
        }
        return t;
    }

    /**
     * A lower bound of the earliest deadline (exact when it lies in level 0 or is due), or
     * {@link #NONE}. O(levels).
     */
    long nextDeadline() {
        if (dueHead != null) {
            return now;
        }
        long best = NONE;
        for (int level = 0; level < LEVELS; level++) {
            long bits = occupied[level];
            if (bits == 0) {
                continue;
            }
            int shift = level * BITS;
            int cur = (int) (now >>> shift) & MASK;
            // occupied digits are ahead of the current one within this revolution
            long ahead = bits & (cur == MASK ? 0 : -1L << (cur + 1));
            long base = level + 1 == LEVELS ? 0 : (now >>> (shift + BITS)) << (shift + BITS);
            long start;
            if (ahead != 0) {
                start = base + ((long) Long.numberOfTrailingZeros(ahead) << shift);
            } else {
                // defensive: a digit at or behind the current one belongs to the next revolution
                start = base + ((long) SLOTS << shift) + ((long) Long.numberOfTrailingZeros(bits) << shift);
            }
            if (start < best && start >= 0) {
                best = start;
            }
            if (level == 0) {
                return best; // level 0 is exact and earlier than anything above it
            }
        }
        return best;
    }
}
