package io.capybara.tcp;

/**
 * Initial sequence numbers per RFC 6528: {@code ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey)}, where M is a 4 µs timer (here {@code nowNanos / 4000}, so the clock is
 * the caller's) and F is SipHash-2-4 keyed from a seed the host draws from its seeded PRNG.
 * A pure function of its inputs: the same key, tuple and time always give the same ISN.
 */
public final class IsnGenerator {
    private final long k0;
    private final long k1;

    /** @param key secret drawn from the host's seeded generator */
    public IsnGenerator(long key) {
        this.k0 = key;
        this.k1 = mix64(key ^ 0x9E3779B97F4A7C15L);
    }

    public int isn(int localIp, int localPort, int remoteIp, int remotePort, long nowNanos) {
        long w0 = ((long) localIp << 32) | (remoteIp & 0xFFFFFFFFL);
        long w1 = ((long) (localPort & 0xFFFF) << 16) | (remotePort & 0xFFFF);
        long f = sipHash24(k0, k1, w0, w1);
        return (int) (nowNanos / 4000L) + (int) (f ^ (f >>> 32));
    }

    /** SipHash-2-4 of the 16-byte message whose little-endian 64-bit words are m0, m1. */
    public static long sipHash24(long k0, long k1, long m0, long m1) {
        long v0 = 0x736f6d6570736575L ^ k0;
        long v1 = 0x646f72616e646f6dL ^ k1;
        long v2 = 0x6c7967656e657261L ^ k0;
        long v3 = 0x7465646279746573L ^ k1;
        // blocks m0, m1, then the final block (length only): 2 rounds each; then 4 finishing
        // rounds. Written out on locals, as the per-SYN path must not allocate (see compress()
        // for the same rounds on an array).
        for (int step = 0; step < 4; step++) {
            long m = step == 0 ? m0 : step == 1 ? m1 : 16L << 56;
            if (step < 3) {
                v3 ^= m;
            } else {
                v2 ^= 0xFF;
            }
            for (int i = step < 3 ? 2 : 4; i > 0; i--) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            if (step < 3) {
                v0 ^= m;
            }
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** SipHash-2-4 of arbitrary bytes (reference form; the ISN path uses the fixed 16-byte one). */
    static long sipHash24(long k0, long k1, byte[] m) {
        long v0 = 0x736f6d6570736575L ^ k0;
        long v1 = 0x646f72616e646f6dL ^ k1;
        long v2 = 0x6c7967656e657261L ^ k0;
        long v3 = 0x7465646279746573L ^ k1;
        int blocks = m.length / 8;
        long[] v = {v0, v1, v2, v3};
        for (int b = 0; b < blocks; b++) {
            long word = 0;
            for (int i = 7; i >= 0; i--) {
                word = (word << 8) | (m[b * 8 + i] & 0xFF);
            }
            compress(v, word, 2);
        }
        long last = ((long) m.length & 0xFF) << 56;
        for (int i = m.length - 1; i >= blocks * 8; i--) {
            last |= (long) (m[i] & 0xFF) << (8 * (i - blocks * 8));
        }
        compress(v, last, 2);
        v[2] ^= 0xFF;
        for (int i = 0; i < 4; i++) {
            round(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void compress(long[] v, long m, int rounds) {
        v[3] ^= m;
        for (int i = 0; i < rounds; i++) {
            round(v);
        }
        v[0] ^= m;
    }

    private static void round(long[] v) {
        v[0] += v[1]; v[1] = Long.rotateLeft(v[1], 13); v[1] ^= v[0]; v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3]; v[3] = Long.rotateLeft(v[3], 16); v[3] ^= v[2];
        v[0] += v[3]; v[3] = Long.rotateLeft(v[3], 21); v[3] ^= v[0];
        v[2] += v[1]; v[1] = Long.rotateLeft(v[1], 17); v[1] ^= v[2]; v[2] = Long.rotateLeft(v[2], 32);
    }

    /** SplitMix64 finalizer: derives the second SipHash key word from the seed. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
