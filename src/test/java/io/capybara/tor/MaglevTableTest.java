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
    /** Clients that differ only in address (same port) spread too: the address is part of the hash. */
    @Test
    void clientsOnTheSamePortSpreadOverTheServers() {
        MaglevTable t = new MaglevTable(MaglevTable.DEFAULT_SIZE, ips(4));
        t.rebuild(members(4));
        int[] count = new int[4];
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            count[t.lookup(MaglevTable.connectionHash(0x0A4D_0000 + i, 443))]++;
        }
        for (int c : count) {
            assertTrue(Math.abs(c - n / 4) < n / 4 * 0.05, Arrays.toString(count));
        }
    }

    /**
     * Over small prime tables and random server addresses, every member's permutation must visit
     * every bucket (skip in 1..size-1): the table fills completely, in equal shares, and the
     * members' shares add up. A skip of 0 or of the size would never finish the fill.
     */
    @Test
    void smallTablesFillCompletelyInEqualSharesForAnyAddresses() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(0x3A61E7L);
        int[] primes = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47};
        for (int size : primes) {
            for (int trial = 0; trial < 40; trial++) {
                int n = 1 + random.nextInt(Math.min(size - 1, 6));
                int[] identities = new int[n];
                for (int i = 0; i < n; i++) {
                    identities[i] = random.nextInt();
                }
                MaglevTable t = new MaglevTable(size, identities);
                t.rebuild(members(n));
                int[] count = new int[n];
                for (int b = 0; b < size; b++) {
                    count[t.owner(b)]++;
                }
                int min = Arrays.stream(count).min().getAsInt();
                int max = Arrays.stream(count).max().getAsInt();
                assertTrue(max - min <= 1, "size " + size + ", servers " + Arrays.toString(identities) + ": " + Arrays.toString(count));
                assertEquals(n, t.members());
            }
        }
    }

    @Test
    void theSmallestTablesAndTheirLimits() {
        MaglevTable two = new MaglevTable(2, ips(1));
        two.rebuild(members(1));
        assertEquals(0, two.owner(0));
        assertEquals(0, two.owner(1));
        assertEquals(4L, two.dataplaneBytes(), "one 16-bit server index per bucket");
        assertEquals(2L * MaglevTable.DEFAULT_SIZE, new MaglevTable(MaglevTable.DEFAULT_SIZE, ips(1)).dataplaneBytes());
        MaglevTable three = new MaglevTable(3, ips(2)); // fewer servers than buckets: fine
        three.rebuild(members(2));
        assertEquals(2, three.members());
        assertThrows(IllegalArgumentException.class, () -> new MaglevTable(1, ips(0)));
        assertThrows(IllegalArgumentException.class, () -> new MaglevTable(2, ips(2)));
    }

    @Test
    void primalityAtTheEdges() {
        assertTrue(MaglevTable.isPrime(2));
        assertTrue(MaglevTable.isPrime(3));
        assertTrue(MaglevTable.isPrime(65_537));
        for (int n : new int[] {-7, 0, 1, 4, 9, 25, 49, 65_536, 65_535}) {
            assertEquals(false, MaglevTable.isPrime(n), Integer.toString(n));
        }
    }

    /** The multiply-shift reduction covers every bucket, keeps order, and maps the hash extremes to the end buckets. */
    @Test
    void bucketsCoverTheTableInOrder() {
        MaglevTable t = new MaglevTable(7, ips(1));
        assertEquals(0, t.bucket(0));
        assertEquals(6, t.bucket(-1));
        int last = 0;
        for (long h = 0; h <= 0xFFFF_FFFFL; h += 0x100_0000L) {
            int b = t.bucket((int) h);
            assertTrue(b >= last && b < 7, "h=" + h + " bucket " + b);
            last = b;
        }
    }
}
