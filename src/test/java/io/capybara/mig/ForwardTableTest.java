package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The origin's forwarding entries: a bounded map that forgets its oldest entries first. */
class ForwardTableTest {

    private static long key(int i) {
        return MigrationEngine.connKey(0x0A000100 + (i >>> 16), i & 0xFFFF, 80);
    }

    @Test
    void putGetReplaceRemove() {
        ForwardTable t = new ForwardTable(64);
        assertEquals(0, t.get(key(1)));
        assertTrue(t.put(key(1), 0x0A000002));
        assertTrue(t.put(key(2), 0x0A000003));
        assertEquals(0x0A000002, t.get(key(1)));
        assertTrue(t.put(key(1), 0x0A000004)); // moved on again: replaced, not added
        assertEquals(0x0A000004, t.get(key(1)));
        assertEquals(2, t.size());
        assertTrue(t.remove(key(1)));
        assertFalse(t.remove(key(1)));
        assertEquals(0, t.get(key(1)));
        assertEquals(1, t.size());
        assertEquals(0, t.get(0));
        assertFalse(t.put(0, 1), "a zero key (forged 0.0.0.0:0) is refused, not thrown");
        assertFalse(t.put(key(3), 0));
        assertEquals(1, t.size());
    }

    /**
     * The 4 newest entries are always kept (a set has 4 ways), most of the newest
     * {@code capacity}, and never more than twice the capacity in all.
     */
    @Test
    void keepsRecentEntriesAndStaysBounded() {
        int capacity = 1024;
        ForwardTable t = new ForwardTable(capacity);
        for (int i = 1; i <= 100_000; i++) {
            t.put(key(i), i);
            assertTrue(t.size() <= 2 * capacity);
            for (int back = 0; back < 4 && back < i; back++) {
                assertEquals(i - back, t.get(key(i - back)), "entry " + (i - back) + " after " + i);
            }
        }
        int kept = 0;
        for (int i = 100_000 - capacity + 1; i <= 100_000; i++) {
            kept += t.get(key(i)) == i ? 1 : 0;
        }
        assertTrue(kept > capacity * 9 / 10, kept + " of the newest " + capacity + " kept");
    }

    /** Against a map, with removals: what it answers is always right (or 0 once forgotten). */
    @Test
    void neverAnswersWrong() {
        ForwardTable t = new ForwardTable(16);
        Map<Long, Integer> truth = new HashMap<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int n = 0; n < 50_000; n++) {
            long k = key(r.nextInt(1, 200));
            if (r.nextInt(4) == 0) {
                t.remove(k);
                truth.remove(k);
            } else {
                int v = r.nextInt(1, 1 << 30);
                t.put(k, v);
                truth.put(k, v);
            }
            int got = t.get(k);
            assertTrue(got == 0 || got == truth.getOrDefault(k, 0), "key " + k);
        }
    }

    /** A capacity of 4 ways times a power of two sets is exactly what the table fills up to. */
    @Test
    void fillsUpToItsCapacityExactly() {
        for (int capacity : new int[] {4, 16, 64}) {
            ForwardTable t = new ForwardTable(capacity);
            for (int i = 1; i <= 100 * capacity; i++) {
                t.put(key(i), i);
            }
            assertEquals(capacity, t.size(), "capacity " + capacity);
            assertFalse(t.isEmpty());
        }
        assertTrue(new ForwardTable(16).isEmpty());
    }
}
