package io.capybara.tor;

import java.util.Arrays;

/**
 * Tracks server load from HEARTBEAT messages and answers "which server should take a
 * migrated connection". The dataplane part is the paper's single minimum-workload register
 * (server, load): a heartbeat replaces it when its load is lower, or when it comes from the
 * server that already holds it (so a rising load is seen). Besides that register the switch
 * keeps each server's last load and heartbeat time, so that the origin itself, servers that
 * went silent and servers that are draining (a flag in their heartbeats) are never chosen. The
 * same times decide placement membership ({@link Placement}).
 */
public final class MinLoadRegister {
    public static final int NONE = -1;

    private final long[] load;
    private final long[] lastHeartbeat;
    private final long[] liveSince;
    private final boolean[] draining;
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
        liveSince = new long[servers];
        draining = new boolean[servers];
        this.staleAfterNanos = staleAfterNanos;
    }

    public int servers() {
        return load.length;
    }

    public void heartbeat(int server, long serverLoad, long nowNanos) {
        heartbeat(server, serverLoad, false, nowNanos);
    }

    /** A heartbeat; {@code isDraining}: the server takes no new connections and no migrations. */
    public void heartbeat(int server, long serverLoad, boolean isDraining, long nowNanos) {
        if (!isLive(server, nowNanos)) {
            liveSince[server] = nowNanos; // a new or restarted server: its streak starts now
        }
        draining[server] = isDraining;
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

    /** When the server's current run of heartbeats began (meaningful while it is live). */
    public long liveSince(int server) {
        return liveSince[server];
    }

    /** When the server goes stale unless it sends another heartbeat. */
    public long staleAt(int server) {
        return lastHeartbeat[server] == Long.MIN_VALUE ? Long.MAX_VALUE : lastHeartbeat[server] + staleAfterNanos;
    }

    public boolean isDraining(int server) {
        return draining[server];
    }

    private boolean eligible(int server, int origin, long nowNanos) {
        return server != origin && !draining[server] && isLive(server, nowNanos);
    }

    /**
     * The least-loaded live, not draining server other than {@code origin} by its last heartbeat
     * (a full scan, not the register: the load report a server asked for must be exact), or
     * {@link #NONE}; lowest index first on ties.
     */
    public int leastLoadedOther(int origin, long nowNanos) {
        int best = NONE;
        for (int s = 0; s < load.length; s++) {
            if (eligible(s, origin, nowNanos) && (best == NONE || load[s] < load[best])) {
                best = s;
            }
        }
        return best;
    }

    /**
     * The least-loaded live, not draining server other than {@code origin}, or {@link #NONE}. Uses
     * the register when it names such a server; otherwise scans the per-server loads
     * (a handful of servers per rack), lowest index first on ties so the answer is deterministic.
     */
    public int choose(int origin, long nowNanos) {
        if (minServer != NONE && eligible(minServer, origin, nowNanos)) {
            return minServer;
        }
        int best = NONE;
        for (int s = 0; s < load.length; s++) {
            if (eligible(s, origin, nowNanos) && (best == NONE || load[s] < load[best])) {
                best = s;
            }
        }
        return best;
    }
}
