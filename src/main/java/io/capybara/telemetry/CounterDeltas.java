package io.capybara.telemetry;

import java.util.function.ToLongFunction;

/** What an enum-indexed set of counters gained since it was last asked, counter by counter. */
final class CounterDeltas<E extends Enum<E>> {
    private final ToLongFunction<E> read;
    private final long[] last;

    CounterDeltas(Class<E> counters, ToLongFunction<E> read) {
        this.read = read;
        this.last = new long[counters.getEnumConstants().length];
    }

    /** The growth of {@code c} since the previous call for it (its whole value the first time). */
    long since(E c) {
        long v = read.applyAsLong(c);
        long d = v - last[c.ordinal()];
        last[c.ordinal()] = v;
        return d;
    }
}
