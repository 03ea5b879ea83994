package io.capybara.mig;
public final class Probe {
    static final int N = 8, M = 1 << 20;
    static final long[][] v = new long[N][M];
    static final int[] n = new int[N];
    static boolean on;
    static void add(int k, long d) { if (on && n[k] < M) v[k][n[k]++] = d; }
    public static void start() { on = true; java.util.Arrays.fill(n, 0); }
    public static void dump() {
        for (int k = 0; k < N; k++) { if (n[k]==0) continue; long[] a = java.util.Arrays.copyOf(v[k], n[k]); java.util.Arrays.sort(a);
            System.err.printf("probe %d: n=%d p50=%d p90=%d%n", k, n[k], a[n[k]/2], a[n[k]*9/10]); }
    }
}
