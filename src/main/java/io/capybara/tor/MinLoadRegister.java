package io.capybara.tor;

import java.util.Arrays;

/**
 * Tracks server load from HEARTBEAT messages and answers "which server should take a
 * migrated connection". The dataplane part is the paper's single minimum-workload register
 * (server, load): a heartbeat replaces it when its load is lower, or when it comes from the
 * server that already holds it (so a rising load is seen). Besides that register the switch
 * keeps each server's last load and heartbeat time, so that the origin itself and servers that
 * went silent are never chosen.
 */
public final class MinLoadRegister {
    public static final int NONE = -1;

    private final long[] load;
    private final long[] lastHeartbeat;
    private final long staleAfterNanos;
    private int minServer = NONE;
    private long minLoad = Long.MAX_VALUE;

    /**
     * @param servers        number of server indices (0..servers-1)
     * @param staleAfterNanos a server with no heartbeat for this long is not chosen
     */
    public MinLoadRegister(int servers, long staleAfterNanos) {
        load = new long[servers];
        lastHeartbeat = new long[servers];
        Arrays.fill(load, Long.MAX_VALUE);
        Arrays.fill(lastHeartbeat, Long.MIN_VALUE);
        this.staleAfterNanos = staleAfterNanos;
    }

    public int servers() {
        return load.length;
    }

    public void heartbeat(int server, long serverLoad, long nowNanos) {
        load[server] = serverLoad;
        lastHeartbeat[server] = nowNanos;
        if (serverLoad < minLoad || server == minServer || minServer == NONE) {
            minServer = server;
            minLoad = serverLoad;
        }
    }

    /** The register as the dataplane holds it. */
    public int minServer() {
        return minServer;
    }

    public long minLoad() {
        return minLoad;
    }

    public long load(int server) {
        return load[server];
    }

    public boolean isLive(int server, long nowNanos) {
        return lastHeartbeat[server] != Long.MIN_VALUE && nowNanos - lastHeartbeat[server] < staleAfterNanos;
    }

    /**
     * The least-loaded live server other than {@code origin}, or {@link #NONE}. Uses the register
     * when it names a live server other than the origin; otherwise scans the per-server loads
     * (a handful of servers per rack), lowest index first on ties so the answer is deterministic.
     */
    public int choose(int origin, long nowNanos) {
        if (minServer != NONE && minServer != origin && isLive(minServer, nowNanos)) {
            return minServer;
        }
        int best = NONE;
        for (int s = 0; s < load.length; s++) {
            if (s != origin && isLive(s, nowNanos) && (best == NONE || load[s] < load[best])) {
                best = s;
            }
        }
        return best;
    }
}
