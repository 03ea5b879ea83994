package io.capybara.policy;

import io.capybara.host.Host;
import io.capybara.io.Node;
import io.capybara.mig.MigrationEngine;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import org.agrona.collections.Long2LongHashMap;

/**
 * Takes a server out of service without dropping a connection: the engine's heartbeats say it
 * is draining (the switch places no new connection here and steers no migration here), and the
 * server migrates its connections away, one every {@code 1/rate} seconds, to whichever server
 * the switch chooses. {@link #drained()} once no connection a client could use is left (TIME_WAIT
 * and closed ones do not count) and no migration is under way; {@link #stop()} (undrain)
 * reverses it. Sans-IO: driven by {@link #poll(long)}.
 */
public final class Drain implements Node {
    /** A connection whose migration did not start (or was refused) is tried again after this long. */
    static final long RETRY_NANOS = 2_000_000L;

    private final MigrationEngine engine;
    private final Host host;
    private final Long2LongHashMap lastAttempt = new Long2LongHashMap(Long.MIN_VALUE);
    private boolean active;
    private long intervalNanos;
    private long next = Long.MAX_VALUE;
    private int cursor;
    private long started;
    private long since;

    public Drain(MigrationEngine engine) {
        this.engine = engine;
        this.host = engine.host();
    }

    /**
     * Starts draining at {@code nowNanos}.
     *
     * @param perSecond migrations per second at most; 0 or less: as fast as the engine takes them
     */
    public void start(double perSecond, long nowNanos) {
        active = true;
        since = nowNanos;
        intervalNanos = perSecond > 0 ? Math.max(1, (long) (1e9 / perSecond)) : 0;
        next = nowNanos;
        engine.draining(true);
    }

    /** Undrain: the server takes connections and migrations again. */
    public void stop() {
        active = false;
        next = Long.MAX_VALUE;
        engine.draining(false);
        lastAttempt.clear();
    }

    public boolean isDraining() {
        return active;
    }

    /** Migrations this drain started. */
    public long started() {
        return started;
    }

    /** When the drain started (valid while draining). */
    public long since() {
        return since;
    }

    /** Connections here that a client could still use: anything but TIME_WAIT and CLOSED. */
    public int remaining() {
        int n = 0;
        for (int i = 0; i < host.connectionCount(); i++) {
            TcpState st = host.connectionAt(i).state();
            if (st != TcpState.TIME_WAIT && st != TcpState.CLOSED) {
                n++;
            }
        }
        return n;
    }

    /** Draining, and nothing left to move: the server can be stopped without a client noticing. */
    public boolean drained() {
        return active && engine.outgoing() == 0 && remaining() == 0;
    }

    @Override
    public long nextDeadline() {
        return next;
    }

    @Override
    public int poll(long nowNanos) {
        if (!active || nowNanos < next) {
            return 0;
        }
        next = intervalNanos > 0 ? nowNanos + intervalNanos : nowNanos + RETRY_NANOS / 4;
        int moved = 0;
        // unpaced: start as many as the engine runs at once; paced: one per interval
        int budget = intervalNanos > 0 ? 1 : Math.max(1, engine.config().maxOutgoing() - engine.outgoing());
        int n = host.connectionCount();
        for (int k = 0; k < n && moved < budget; k++) {
            cursor = cursor + 1 >= n ? 0 : cursor + 1;
            TcpConnection c = host.connectionAt(cursor);
            long key = MigrationEngine.connKey(c.remoteIp(), c.remotePort(), c.localPort());
            if (!MigrationEngine.eligible(c) || engine.isMigrating(c.remoteIp(), c.remotePort(), c.localPort())
                    || lastAttempt.get(key) + RETRY_NANOS > nowNanos) {
                continue;
            }
            lastAttempt.put(key, nowNanos);
            if (engine.migrate(c) >= 0) {
                started++;
                moved++;
            } else {
                break; // the engine runs as many as it may
            }
        }
        if (lastAttempt.size() > 4 * Math.max(64, n)) {
            lastAttempt.clear();
        }
        return moved;
    }
}
