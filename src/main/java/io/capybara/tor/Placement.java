package io.capybara.tor;

/**
 * Where the switch places a new connection to a VIP: a {@link MaglevTable} over the servers that
 * are members now. A server is a member while it is live (a heartbeat within
 * {@code heartbeat-stale-ms}), has been heartbeating for at least {@code join-after-ms} (so a
 * flapping server is not placed on at once), and is not draining. A new or restarted server
 * joins with its heartbeats; one that stops sending them leaves when it goes stale.
 *
 * <p>The table only decides <em>new</em> connections: each placed connection gets a directory
 * entry (per-connection tracking, see {@link TorSwitch}), so a membership change rebuilds the
 * table without moving an established connection. {@link #refresh} runs on heartbeats and on
 * the switch's membership deadline, never per data packet.
 *
 * <p><b>Untracked connections.</b> When a SYN finds its directory set full, the connection
 * cannot get an entry. It is then pinned per <em>bucket</em> instead of per connection: each
 * bucket remembers the server its untracked connections went to ({@link #placeUntracked}) and
 * every later segment without an entry follows that memory ({@link #routeUntracked}), not the
 * table, so a rebuild does not move them either. The one thing a bucket cannot do is hold
 * untracked connections on two servers: once the table sends the bucket elsewhere (a join, a
 * leave, a drain), an untracked SYN there is refused ({@link #REFUSED}; the client's SYN
 * retransmission tries again) until the bucket's server is gone, or the bucket has carried no
 * untracked segment for {@code idle-timeout-ms} (the directory's own idle timeout, so an idle
 * connection is forgotten no sooner than a tracked one). Cost: 10 bytes per bucket (a 16-bit
 * server and a 64-bit last-seen time; 640 KiB at the default 65,537 buckets) and, only for
 * segments without an entry, one read and one write of those arrays.
 */
public final class Placement {
    /** {@link #placeUntracked}: the SYN must not be placed now (its bucket's untracked connections are elsewhere). */
    public static final int REFUSED = -2;

    private final MaglevTable table;
    /** Per bucket: the server its untracked connections are on, or {@link MaglevTable#NONE}. */
    private final short[] untrackedOwner;
    private final long[] untrackedSeen;
    /** 0: a bucket keeps its untracked server as long as that server is live. */
    private final long untrackedIdleNanos;
    private final MinLoadRegister loads;
    private final long joinAfterNanos;
    private final boolean[] member;
    private final boolean[] next;
    private long changes;
    private long nextCheck = Long.MAX_VALUE;

    public Placement(int tableSize, int[] serverIps, MinLoadRegister loads, long joinAfterNanos) {
        this(tableSize, serverIps, loads, joinAfterNanos, 0);
    }

    /** @param untrackedIdleNanos a bucket with no untracked segment for this long may change server (0: never while live) */
    public Placement(int tableSize, int[] serverIps, MinLoadRegister loads, long joinAfterNanos, long untrackedIdleNanos) {
        this.table = new MaglevTable(tableSize, serverIps);
        this.untrackedOwner = new short[tableSize];
        java.util.Arrays.fill(untrackedOwner, (short) MaglevTable.NONE);
        this.untrackedSeen = new long[tableSize];
        this.untrackedIdleNanos = untrackedIdleNanos;
        this.loads = loads;
        this.joinAfterNanos = joinAfterNanos;
        member = new boolean[serverIps.length];
        next = new boolean[serverIps.length];
    }

    public MaglevTable table() {
        return table;
    }

    public boolean isMember(int server) {
        return member[server];
    }

    /** Membership changes (table rebuilds) so far. */
    public long changes() {
        return changes;
    }

    /** The server for a new connection with this {@link MaglevTable#connectionHash}, or {@link MaglevTable#NONE}. */
    public int place(int hash) {
        return table.lookup(hash);
    }

    /**
     * A SYN that gets no directory entry: the table's server, remembered for its bucket, unless
     * the bucket's untracked connections are on another server that is still live (and, with an
     * idle time, recently active): then {@link #REFUSED}. {@link MaglevTable#NONE} without members.
     */
    public int placeUntracked(int hash, long nowNanos) {
        int bucket = table.bucket(hash);
        int server = table.owner(bucket);
        if (server == MaglevTable.NONE) {
            return MaglevTable.NONE;
        }
        int held = untrackedOwner[bucket];
        if (held != MaglevTable.NONE && held != server && loads.isLive(held, nowNanos)
                && (untrackedIdleNanos <= 0 || nowNanos - untrackedSeen[bucket] < untrackedIdleNanos)) {
            return REFUSED;
        }
        untrackedOwner[bucket] = (short) server;
        untrackedSeen[bucket] = nowNanos;
        return server;
    }

    /**
     * Where a client's segment without a directory entry goes: its bucket's untracked server if
     * it has one (even a dead one: a connection is lost with its server, never moved), else the
     * table's default (a stray, which that server answers with a reset).
     */
    public int routeUntracked(int hash, long nowNanos) {
        int bucket = table.bucket(hash);
        int held = untrackedOwner[bucket];
        if (held == MaglevTable.NONE) {
            return table.owner(bucket);
        }
        untrackedSeen[bucket] = nowNanos;
        return held;
    }

    /** {@link #routeUntracked} without touching the bucket: for checks from outside the dataplane. */
    public int untrackedServer(int hash) {
        int bucket = table.bucket(hash);
        int held = untrackedOwner[bucket];
        return held == MaglevTable.NONE ? table.owner(bucket) : held;
    }

    /** Switch memory of the untracked-bucket arrays, besides the table's own. */
    public long untrackedBytes() {
        return untrackedBytes(untrackedOwner.length);
    }

    /** Switch memory of the untracked-bucket arrays for a table of {@code buckets}. */
    public static long untrackedBytes(int buckets) {
        return (long) buckets * (Short.BYTES + Long.BYTES);
    }

    /** When membership can next change without a heartbeat arriving (a server going stale or finishing its join). */
    public long nextCheck() {
        return nextCheck;
    }

    /**
     * Recomputes membership at {@code nowNanos} and rebuilds the table if it changed.
     *
     * @return true if the table changed
     */
    public boolean refresh(long nowNanos) {
        boolean changed = false;
        long check = Long.MAX_VALUE;
        for (int s = 0; s < member.length; s++) {
            boolean live = loads.isLive(s, nowNanos);
            boolean joined = live && nowNanos - loads.liveSince(s) >= joinAfterNanos;
            next[s] = joined && !loads.isDraining(s);
            changed |= next[s] != member[s];
            if (live) {
                check = Math.min(check, loads.staleAt(s));
                if (!joined) {
                    check = Math.min(check, loads.liveSince(s) + joinAfterNanos);
                }
            }
        }
        nextCheck = check;
        if (changed) {
            System.arraycopy(next, 0, member, 0, member.length);
            table.rebuild(member);
            changes++;
        }
        return changed;
    }
}
