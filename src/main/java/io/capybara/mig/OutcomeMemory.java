package io.capybara.mig;

import org.agrona.collections.Long2LongHashMap;

/**
 * What a target remembers of its last N finished migrations (restored, with the connection, or
 * aborted), to answer late duplicates the same way. A FIFO ring holds the entries; one hash
 * index finds them, so remembering costs one put and one eviction, whatever is stored.
 */
final class OutcomeMemory {
    static final long UNKNOWN = 0;
    static final long RESTORED = 1;
    static final long ABORTED = 2;

    private final long[] keys;
    private final long[] results;
    private final long[] conns;
    private final Long2LongHashMap index = new Long2LongHashMap(-1);
    private int head;

    OutcomeMemory(int capacity) {
        keys = new long[capacity];
        results = new long[capacity];
        conns = new long[capacity];
    }

    /** RESTORED, ABORTED or UNKNOWN. */
    long result(long migration) {
        long i = index.get(migration);
        return i < 0 ? UNKNOWN : results[(int) i];
    }

    boolean knows(long migration) {
        return index.containsKey(migration);
    }

    /** The connection key a RESTORED migration brought here (0 otherwise). */
    long connection(long migration) {
        long i = index.get(migration);
        return i < 0 ? 0 : conns[(int) i];
    }

    /** Records (or overwrites) the outcome; the oldest entry makes room. */
    void remember(long migration, long result, long connKey) {
        long known = index.put(migration, head);
        int at;
        if (known >= 0) {
            index.put(migration, known); // already remembered: update in place
            at = (int) known;
        } else {
            at = head;
            long evicted = keys[at];
            if (evicted != 0) {
                index.remove(evicted);
            }
            keys[at] = migration;
            head = head + 1 == keys.length ? 0 : head + 1;
        }
        results[at] = result;
        conns[at] = result == RESTORED ? connKey : 0;
    }
}
