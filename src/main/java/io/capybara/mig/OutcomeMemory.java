package io.capybara.mig;

/**
 * What a target remembers of its finished migrations (restored, with the connection, or
 * aborted), to answer late duplicates the same way. Set-associative, 4 ways, oldest-first
 * replacement within a set: a lookup reads one set, and remembering evicts nothing else.
 *
 * <p>Keys are (origin address, migration id), and ids grow by one per migration at each
 * origin, so one origin's consecutive migrations fall into consecutive sets: an outcome is
 * forgotten only after 4 newer ones landed in its set, i.e. after about {@code 4 * sets / R}
 * newer migrations from each of R origins. That is thousands with the default size, where
 * retransmissions that need an answer come within a few dozen.
 */
final class OutcomeMemory {
    static final long UNKNOWN = 0;
    static final long RESTORED = 1;
    static final long ABORTED = 2;
    private static final int WAYS = 4;

    private final int setMask;
    private final long[] keys;
    private final long[] results;
    private final long[] conns;
    /** Per set, the way to replace next (round robin = oldest first). */
    private final byte[] next;

    /** @param capacity outcomes kept at least in total (rounded to a power of two) */
    OutcomeMemory(int capacity) {
        int sets = Integer.highestOneBit(Math.max(1, capacity / WAYS));
        setMask = sets - 1;
        keys = new long[sets * WAYS];
        results = new long[sets * WAYS];
        conns = new long[sets * WAYS];
        next = new byte[sets];
    }

    private int set(long migration) {
        int id = (int) migration;
        int origin = (int) (migration >>> 32);
        return (id ^ origin * 0x9E3779B9) & setMask;
    }

    private int find(long migration) {
        int base = set(migration) * WAYS;
        for (int i = base; i < base + WAYS; i++) {
            if (keys[i] == migration && migration != 0) {
                return i;
            }
        }
        return -1;
    }

    /** RESTORED, ABORTED or UNKNOWN. */
    long result(long migration) {
        int i = find(migration);
        return i < 0 ? UNKNOWN : results[i];
    }

    boolean knows(long migration) {
        return find(migration) >= 0;
    }

    /** The connection key a RESTORED migration brought here (0 otherwise). */
    long connection(long migration) {
        int i = find(migration);
        return i < 0 ? 0 : conns[i];
    }

    /** Records (or overwrites) the outcome; the oldest entry of its set makes room. */
    void remember(long migration, long result, long connKey) {
        int i = find(migration);
        if (i < 0) {
            int set = set(migration);
            i = set * WAYS + next[set];
            next[set] = (byte) ((next[set] + 1) % WAYS);
            keys[i] = migration;
        }
        results[i] = result;
        conns[i] = result == RESTORED ? connKey : 0;
    }
}
