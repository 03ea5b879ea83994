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
 */
public final class Placement {
    private final MaglevTable table;
    private final MinLoadRegister loads;
    private final long joinAfterNanos;
    private final boolean[] member;
    private final boolean[] next;
    private long changes;
    private long nextCheck = Long.MAX_VALUE;

    public Placement(int tableSize, int[] serverIps, MinLoadRegister loads, long joinAfterNanos) {
        this.table = new MaglevTable(tableSize, serverIps);
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
