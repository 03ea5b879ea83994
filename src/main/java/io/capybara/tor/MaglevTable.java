package io.capybara.tor;

import java.util.Arrays;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI'16, section 3.4): a lookup table of a prime
 * number of buckets, each naming one member server, filled by letting every member claim
 * buckets in the order of its own permutation, round robin. Members get equal shares (within
 * one bucket) and a member joining or leaving changes the owner of about 1/N of the buckets.
 *
 * <p>A member's permutation comes from its identity (the server's address), not from its index
 * among the current members, so tables built over the same member set are the same whatever
 * happened before. {@link #rebuild} allocates nothing (arrays sized at construction); it is the
 * control plane's work on a membership change, {@link #lookup} is the dataplane's.
 */
public final class MaglevTable {
    /** The default size: the prime the Maglev paper uses for small backend pools. */
    public static final int DEFAULT_SIZE = 65_537;
    public static final int NONE = -1;

    private final int size;
    private final int[] offset;
    private final int[] skip;
    private final int[] next;
    private final short[] entry;
    private int members;

    /**
     * @param size        buckets, a prime larger than the number of servers
     * @param identities  one identity per server index (its address); the permutation seeds
     */
    public MaglevTable(int size, int[] identities) {
        if (size < 2 || !isPrime(size)) {
            throw new IllegalArgumentException("Maglev table size must be a prime, got " + size);
        }
        if (identities.length >= size || identities.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("too many servers for a table of " + size + ": " + identities.length);
        }
        this.size = size;
        int n = identities.length;
        offset = new int[n];
        skip = new int[n];
        next = new int[n];
        for (int i = 0; i < n; i++) {
            long h1 = mix(identities[i] & 0xFFFF_FFFFL ^ 0x5DEE_CE66_DL);
            long h2 = mix(identities[i] & 0xFFFF_FFFFL ^ 0xB5AD_4ECE_DA1C_E2A9L);
            offset[i] = (int) Long.remainderUnsigned(h1, size);
            skip[i] = (int) Long.remainderUnsigned(h2, size - 1) + 1;
        }
        entry = new short[size];
        Arrays.fill(entry, (short) NONE);
    }

    public int size() {
        return size;
    }

    /** How many servers the table currently spreads over. */
    public int members() {
        return members;
    }

    /** Bytes of the lookup table the dataplane reads (one 16-bit server index per bucket). */
    public long dataplaneBytes() {
        return 2L * size;
    }

    /** Refills the table over the servers whose flag is set; with none, every bucket is {@link #NONE}. */
    public void rebuild(boolean[] member) {
        int n = offset.length;
        int count = 0;
        for (int i = 0; i < n; i++) {
            next[i] = 0;
            if (member[i]) {
                count++;
            }
        }
        Arrays.fill(entry, (short) NONE);
        members = count;
        if (count == 0) {
            return;
        }
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                if (!member[i]) {
                    continue;
                }
                int c = permutation(i, next[i]);
                while (entry[c] != NONE) {
                    next[i]++;
                    c = permutation(i, next[i]);
                }
                entry[c] = (short) i;
                next[i]++;
                if (++filled == size) {
                    return;
                }
            }
        }
    }

    private int permutation(int server, int j) {
        return (int) ((offset[server] + (long) j * skip[server]) % size);
    }

    /** The server of bucket {@link #bucket}(hash), or {@link #NONE} when the table is empty. */
    public int lookup(int hash) {
        return entry[bucket(hash)];
    }

    /** The server of one bucket. */
    public int owner(int bucket) {
        return entry[bucket];
    }

    /** Multiply-shift range reduction of a 32-bit hash onto the buckets (no division per packet). */
    public int bucket(int hash) {
        return (int) (((hash & 0xFFFF_FFFFL) * size) >>> 32);
    }

    /** A connection's placement hash: a 64-bit finalizer (MurmurHash3's) over client address and port. */
    public static int connectionHash(int clientIp, int clientPort) {
        return (int) (mix((clientIp & 0xFFFF_FFFFL) << 16 | (clientPort & 0xFFFF)) >>> 32);
    }

    private static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xFF51_AFD7_ED55_8CCDL;
        k ^= k >>> 33;
        k *= 0xC4CE_B9FE_1A85_EC53L;
        k ^= k >>> 33;
        return k;
    }

    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        for (int d = 2; (long) d * d <= n; d++) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
