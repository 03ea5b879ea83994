package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MaglevTableTest {
    static int[] ips(int n) {
        int[] ips = new int[n];
        for (int i = 0; i < n; i++) {
            ips[i] = 0x0A4D_FA0A + i; // 10.77.250.10 + i
        }
        return ips;
    }

    static short[] snapshot(MaglevTable t) {
        short[] s = new short[t.size()];
        for (int b = 0; b < s.length; b++) {
            s[b] = (short) t.owner(b);
        }
        return s;
    }

    static boolean[] members(int n, int... absent) {
        boolean[] m = new boolean[n];
        Arrays.fill(m, true);
        for (int a : absent) {
            m[a] = false;
        }
        return m;
    }

    @Test
    void everyMemberGetsAnEqualShare() {
        for (int n = 1; n <= 12; n++) {
            MaglevTable t = new MaglevTable(MaglevTable.DEFAULT_SIZE, ips(n));
            t.rebuild(members(n));
            int[] count = new int[n];
            for (int b = 0; b < t.size(); b++) {
                count[t.owner(b)]++;
            }
            int min = Arrays.stream(count).min().getAsInt();
            int max = Arrays.stream(count).max().getAsInt();
            assertTrue(max - min <= 1, n + " servers: shares " + Arrays.toString(count));
        }
    }

    /**
     * A server joining or leaving changes the owner of about 1/N of the buckets: exactly the
     * leaving server's share, plus Maglev's small extra disruption, which we bound at 1/N + 3%.
     */
    @Test
    void aJoinOrLeaveMovesAboutOneNthOfTheBuckets() {
        for (int n = 2; n <= 12; n++) {
            MaglevTable t = new MaglevTable(MaglevTable.DEFAULT_SIZE, ips(n));
            for (int gone = 0; gone < n; gone++) {
                t.rebuild(members(n));
                short[] all = snapshot(t);
                t.rebuild(members(n, gone));
                short[] without = snapshot(t);
                int changed = 0;
                for (int b = 0; b < all.length; b++) {
                    if (all[b] != without[b]) {
                        changed++;
                        assertTrue(without[b] != gone);
                    }
                    if (all[b] == gone) {
                        assertTrue(without[b] != all[b], "every bucket of the leaving server moves");
                    }
                }
                double fraction = (double) changed / all.length;
                assertTrue(fraction >= 1.0 / n - 0.001 && fraction <= 1.0 / n + 0.03,
                        n + " servers, server " + gone + " leaving (or joining back): " + fraction + " of buckets changed");
            }
        }
    }

    @Test
    void theSameMembersGiveTheSameTableWhateverCameBefore() {
        MaglevTable a = new MaglevTable(4099, ips(5));
        MaglevTable b = new MaglevTable(4099, ips(5));
        a.rebuild(members(5));
        b.rebuild(members(5, 1, 3));
        b.rebuild(members(5, 2));
        b.rebuild(members(5));
        assertArrayEquals(snapshot(a), snapshot(b));
        b.rebuild(new boolean[5]);
        assertEquals(MaglevTable.NONE, b.lookup(12345));
        assertEquals(0, b.members());
    }

    @Test
    void connectionHashesSpreadOverTheBuckets() {
        MaglevTable t = new MaglevTable(MaglevTable.DEFAULT_SIZE, ips(4));
        t.rebuild(members(4));
        int[] count = new int[4];
        int n = 40_000;
        for (int port = 0; port < n; port++) {
            count[t.lookup(MaglevTable.connectionHash(0x0A4D_0001, 20_000 + port))]++;
        }
        for (int c : count) {
            assertTrue(Math.abs(c - n / 4) < n / 4 * 0.05, Arrays.toString(count));
        }
    }

    @Test
    void sizeMustBePrime() {
        assertThrows(IllegalArgumentException.class, () -> new MaglevTable(65536, ips(2)));
        assertThrows(IllegalArgumentException.class, () -> new MaglevTable(3, ips(3)));
    }
}
