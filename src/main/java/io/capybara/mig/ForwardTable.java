package io.capybara.mig;

import org.agrona.BitUtil;

/**
 * Where an origin sends the late segments of the connections it gave away: connection key to
 * target address. Set-associative, 4 ways, the oldest entry of a set makes room. A lookup or an
 * insert reads one set, keys and values side by side (64 bytes), where a hash map with a FIFO of
 * its keys touched two unrelated places per migration (the insert and the eviction), each a
 * cache miss on a server that has not migrated for a while.
 *
 * <p>An entry is forgotten after 4 newer ones landed in its set: after about {@code capacity}
 * newer migrations from this origin on average (at the default of 65,536, a burst of a few
 * hundred migrations evicts nothing in all likelihood), far more than the segments still in
 * flight when a migration ends. Single-threaded.
 */
final class ForwardTable {
    private static final int WAYS = 4;
    /** Per way two longs: the key, then {@code insertion number << 32 | target}. */
    private final long[] slots;
    private final int setMask;
    private int size;
    private int inserts;

    /** @param capacity entries kept on average (sets of 4, their count rounded up to a power of two) */
    ForwardTable(int capacity) {
        int sets = BitUtil.findNextPositivePowerOfTwo(Math.max(1, (capacity + WAYS - 1) / WAYS));
        setMask = sets - 1;
        slots = new long[sets * WAYS * 2];
    }

    private int base(long key) {
        long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing: client ports differ in low bits
        return ((int) (h >>> 32) & setMask) * WAYS * 2;
    }

    private int find(long key) {
        int b = base(key);
        for (int i = b; i < b + WAYS * 2; i += 2) {
            if (slots[i] == key) {
                return i;
            }
        }
        return -1;
    }

    /** The target for {@code key}, or 0. */
    int get(long key) {
        int i = key == 0 ? -1 : find(key);
        return i < 0 ? 0 : (int) slots[i + 1];
    }

    /**
     * Maps {@code key} to {@code target}, replacing its entry or its set's oldest; false (and
     * nothing stored) for a zero key or target, which only a forged message can carry.
     */
    boolean put(long key, int target) {
        if (key == 0 || target == 0) {
            return false;
        }
        int i = find(key);
        if (i < 0) {
            int b = base(key);
            int oldestAge = -1;
            for (int j = b; j < b + WAYS * 2; j += 2) {
                if (slots[j] == 0) {
                    i = j;
                    size++;
                    break;
                }
                int age = inserts - (int) (slots[j + 1] >>> 32); // wraps harmlessly
                if (Integer.compareUnsigned(age, oldestAge) > 0 || oldestAge == -1) {
                    oldestAge = age;
                    i = j;
                }
            }
            slots[i] = key;
        }
        slots[i + 1] = (long) inserts++ << 32 | (target & 0xFFFF_FFFFL);
        return true;
    }

    /** Forgets {@code key}; false if it was not there. */
    boolean remove(long key) {
        int i = key == 0 ? -1 : find(key);
        if (i < 0) {
            return false;
        }
        slots[i] = 0;
        slots[i + 1] = 0;
        size--;
        return true;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }
}
