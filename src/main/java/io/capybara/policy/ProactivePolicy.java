package io.capybara.policy;

import io.capybara.host.Host;
import io.capybara.mig.MigrationEngine;
import io.capybara.tcp.TcpConnection;
import java.util.function.LongSupplier;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Continuous rebalancing towards equal offered load, with few migrations. Every interval the
 * server measures each connection's rate (bytes received per second, smoothed: requests of
 * equal size make it a request rate) and its own load, their sum. When its load exceeds the
 * least loaded other server's (as the switch knows it from HEARTBEATs) by more than the dead
 * band for {@code persistence} looks in a row, it moves the one connection that best closes the gap: the rate nearest half the
 * difference, below the whole difference (so the move cannot make things worse). Each
 * connection moves at most once per {@code connectionIntervalNanos}; after a move the server
 * waits {@code cooldownNanos}; a budget caps migrations per window.
 *
 * <p>It acts on rates, not queues: a server whose offered load rises past its peer's is
 * rebalanced before its queue builds, where a reactive policy waits for the queue. The engine's
 * own (reactive) policy should be off; the engine's HEARTBEAT should carry {@link #load()}
 * ({@link MigrationEngine#loadMetric}) so that peers compare the same quantity.
 */
public final class ProactivePolicy {
    private static final class Rate {
        long lastBytes;
        double perSecond;
        boolean measured;
        long movedAt = Long.MIN_VALUE;
        long seenTick;
    }

    private final MigrationEngine engine;
    private final Host host;
    private final ProactiveConfig config;
    private final LongSupplier leastOtherLoad;
    private final Long2ObjectHashMap<Rate> rates = new Long2ObjectHashMap<>();
    private long nextLook;
    private long lastLook = Long.MIN_VALUE;
    private long tick;
    private double load;
    private long quietUntil = Long.MIN_VALUE;
    private long windowStart;
    private int inWindow;
    private long migrations;
    private int imbalancedLooks;
    private long skippedBudget;

    /**
     * @param leastOtherLoad the lowest load among the other live servers, in the unit of
     *                       {@link #load()}, or {@code Long.MAX_VALUE} when unknown
     */
    public ProactivePolicy(MigrationEngine engine, ProactiveConfig config, LongSupplier leastOtherLoad) {
        this.engine = engine;
        this.host = engine.host();
        this.config = config;
        this.leastOtherLoad = leastOtherLoad;
    }

    /** This server's smoothed offered load: bytes received per second over its connections. */
    public long load() {
        return (long) load;
    }

    public long migrations() {
        return migrations;
    }

    /** Decisions not taken because the budget was spent. */
    public long skippedForBudget() {
        return skippedBudget;
    }

    public long nextDeadline() {
        return nextLook;
    }

    public int poll(long nowNanos) {
        if (nowNanos < nextLook) {
            return 0;
        }
        nextLook = nowNanos + config.intervalNanos();
        measure(nowNanos);
        decide(nowNanos);
        return 1;
    }

    private void measure(long now) {
        tick++;
        double elapsed = lastLook == Long.MIN_VALUE ? 0 : (now - lastLook) / 1e9;
        lastLook = now;
        double total = 0;
        for (int i = 0; i < host.connectionCount(); i++) {
            TcpConnection c = host.connectionAt(i);
            long key = key(c);
            Rate r = rates.get(key);
            long bytes = c.stats().bytesIn();
            if (r == null) {
                r = new Rate(); // first sight (new, or arrived by migration): a rate from the next look on
                r.lastBytes = bytes;
                rates.put(key, r);
            } else if (elapsed > 0) {
                double inst = (bytes - r.lastBytes) / elapsed;
                // the first measurement is taken whole: a connection that just arrived by migration
                // must count at once, or its new server looks idle and draws more
                r.perSecond = r.measured ? r.perSecond + config.smoothing() * (inst - r.perSecond) : inst;
                r.measured = true;
                r.lastBytes = bytes;
            }
            r.seenTick = tick;
            total += r.perSecond;
        }
        load = total;
        if (tick % 64 == 0) {
            rates.values().removeIf(r -> r.seenTick != tick && r.movedAt < now - config.connectionIntervalNanos());
        }
    }

    private void decide(long now) {
        if (now < quietUntil || engine.outgoing() > 0) {
            return;
        }
        long other = leastOtherLoad.getAsLong();
        if (other == Long.MAX_VALUE || other < 0) {
            return;
        }
        double diff = load - other;
        if (diff <= 0 || diff <= config.threshold() * (load + other)) {
            imbalancedLooks = 0;
            return;
        }
        if (++imbalancedLooks < config.persistence()) {
            return;
        }
        if (now - windowStart >= config.budgetWindowNanos()) {
            windowStart = now;
            inWindow = 0;
        }
        if (inWindow >= config.budget()) {
            skippedBudget++;
            return;
        }
        TcpConnection best = null;
        double bestDistance = Double.MAX_VALUE;
        Rate bestRate = null;
        for (int i = 0; i < host.connectionCount(); i++) {
            TcpConnection c = host.connectionAt(i);
            Rate r = rates.get(key(c));
            if (r == null || r.perSecond <= 0 || r.perSecond >= diff || !MigrationEngine.eligible(c)
                    || (r.movedAt != Long.MIN_VALUE && now - r.movedAt < config.connectionIntervalNanos())) {
                continue;
            }
            double distance = Math.abs(r.perSecond - diff / 2);
            if (distance < bestDistance) {
                best = c;
                bestDistance = distance;
                bestRate = r;
            }
        }
        if (best != null && engine.migrate(best) >= 0) {
            bestRate.movedAt = now;
            quietUntil = now + config.cooldownNanos();
            imbalancedLooks = 0;
            inWindow++;
            migrations++;
        }
    }

    private static long key(TcpConnection c) {
        return (c.remoteIp() & 0xFFFF_FFFFL) << 32 | (long) (c.remotePort() & 0xFFFF) << 16 | (c.localPort() & 0xFFFF);
    }
}
