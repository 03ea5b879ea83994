package io.capybara.eval.linux;

import io.capybara.eval.linux.TcpSockets.Endpoint;
import io.capybara.io.linux.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drops chosen TCP flows, one direction at a time, with nftables: an {@code inet} table of its
 * own (named {@code cjrep<pid><n>}), holding a set of (saddr, sport, daddr, dport) and one
 * rule on the input hook that drops packets matching the set. Dropping on input looks to the
 * sender like loss in the network (its transmit succeeds), which is what a hand-off sees.
 *
 * <p>The TCP_REPAIR hand-off blocks both directions: a socket in repair mode can still
 * transmit from kernel timers until it is closed (window probes, retransmissions), and with
 * only the inbound direction blocked about one run in four was corrupted.
 *
 * <p>Runs {@code nft} in the root namespace; each call costs a process start (milliseconds),
 * which is why the baseline reports blocking separately from the TCP_REPAIR steps. Matches
 * only the exact 4-tuples it is given.
 */
public final class FlowBlocker implements AutoCloseable {
    private static final String TABLE_PREFIX = "cjrep";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final java.util.concurrent.atomic.AtomicBoolean STALE_REMOVED = new java.util.concurrent.atomic.AtomicBoolean();
    private final String table;
    private boolean closed;

    private FlowBlocker(String table) {
        this.table = table;
    }

    /** Creates the table, set and rule. Needs root and the nft tool. */
    public static FlowBlocker create() {
        if (STALE_REMOVED.compareAndSet(false, true)) {
            removeStale();
        }
        String table = TABLE_PREFIX + pidPart() + Integer.toString(COUNTER.getAndIncrement(), 36);
        Topology.exec("nft", "add table inet " + table
                + "; add set inet " + table + " flows { type ipv4_addr . inet_service . ipv4_addr . inet_service ; }"
                + "; add chain inet " + table + " input { type filter hook input priority filter ; policy accept ; }"
                + "; add rule inet " + table + " input ip saddr . tcp sport . ip daddr . tcp dport @flows drop");
        return new FlowBlocker(table);
    }

    private static String pidPart() {
        String s = Long.toString(ProcessHandle.current().pid(), 36);
        return "0".repeat(Math.max(0, 5 - s.length())) + s;
    }

    public String table() {
        return table;
    }

    /** Drops packets from {@code from} to {@code to}. */
    public void block(Endpoint from, Endpoint to) {
        Topology.exec("nft", "add element inet " + table + " flows { " + element(from, to) + " }");
    }

    public void unblock(Endpoint from, Endpoint to) {
        Topology.exec("nft", "delete element inet " + table + " flows { " + element(from, to) + " }");
    }

    /** Drops packets both ways between {@code a} and {@code b}; one nft call. */
    public void blockBoth(Endpoint a, Endpoint b) {
        Topology.exec("nft", "add element inet " + table + " flows { " + element(a, b) + ", " + element(b, a) + " }");
    }

    /**
     * Drops packets of every flow in {@code flows} (each {@code {from, to}}) in one nft call:
     * a batch of connections costs one process start, not one per connection.
     */
    public void blockAll(java.util.Collection<Endpoint[]> flows) {
        if (flows.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("add element inet ").append(table).append(" flows { ");
        boolean first = true;
        for (Endpoint[] f : flows) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(element(f[0], f[1]));
        }
        Topology.exec("nft", sb.append(" }").toString());
    }

    /** Removes every blocked flow. */
    public void unblockAll() {
        Topology.exec("nft", "flush set inet " + table + " flows");
    }

    /** The blocked flows as nft lists them (for diagnostics). */
    public String listed() {
        return Topology.exec("nft", "list set inet " + table + " flows");
    }

    private static String element(Endpoint from, Endpoint to) {
        return Topology.ipv4(from.address()) + " . " + from.port() + " . " + Topology.ipv4(to.address()) + " . " + to.port();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Topology.exec("nft", "delete table inet " + table);
        }
    }

    /** Deletes tables of this scheme whose JVM is gone (it was killed before closing them). */
    public static List<String> removeStale() {
        Pattern p = Pattern.compile("^table inet (" + TABLE_PREFIX + "([0-9a-z]{5})[0-9a-z]+)$");
        List<String> removed = new ArrayList<>();
        for (String line : Topology.exec("nft", "list tables").lines().toList()) {
            Matcher m = p.matcher(line.strip());
            boolean alive = m.matches()
                    && ProcessHandle.of(Long.parseLong(m.group(2), 36)).map(ProcessHandle::isAlive).orElse(false);
            if (m.matches() && !alive) {
                try {
                    Topology.exec("nft", "delete table inet " + m.group(1));
                    removed.add(m.group(1));
                } catch (RuntimeException ignored) {
                    // another JVM removed it first
                }
            }
        }
        return removed;
    }
}
