package io.capybara.mig;

import io.capybara.host.Host;
import io.capybara.host.MigrationHook;
import io.capybara.io.Node;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.wire.ConnStateEnvelope;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.TcpMigHeader;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.agrona.collections.Long2LongHashMap;

/**
 * TCPMig on one server (docs/TCPMIG.md): dispatches control messages to its {@link Origin}
 * side (migrations it runs to move connections away) and its {@link Target} side (migrations
 * it takes in), and keeps what both share: the timer, forwarding of late segments, restoring a
 * migrated state, the watch on connections away from their original server, heartbeats and
 * the load policy. Sans-IO like the host it is attached to: control messages and orphan
 * segments arrive through {@link MigrationHook} from inside {@link Host#poll}; timers run in
 * {@link #poll(long)}. Never reads a clock: the {@link MigrationMetrics} clock only times
 * steps, and nothing decides on it.
 */
public final class MigrationEngine implements MigrationHook, Node {
    private static final int RELEASE_COPIES = 3;
    private static final long WATCH_SCAN_NANOS = 50_000;
    /** Connections the policy looks at, from its cursor, when none of the busy ones may move. */
    static final int POLICY_FALLBACK_LOOKS = 64;

    private final Host host;
    private final MigrationConfig config;
    private final MigratableApp app;
    private final MigrationMetrics metrics;
    private final int self;
    private final long[] counters = new long[MigCounter.ALL.length];
    private final TcpMigHeader rx = new TcpMigHeader();
    private final ControlSender sender;
    private final Forwarder forwarder;
    /** Where this server passes late segments of connections it gave away (or an origin kept). */
    private final ForwardTable forward;
    private final Origin origin;
    private final Target target;
    private long now;

    /**
     * Connections held here that are not at their original server: the directory has an entry
     * for each. The switch removes it on RST or after both FINs, but a FIN that passed before
     * the entry existed is never seen; so when such a connection ends here we tell the switch.
     */
    private TcpConnection[] watched = new TcpConnection[64];
    private int watchedCount;
    private long nextWatchScan;
    /** The earliest deadline of any migration (upper bound after removals). */
    private long timerAt = Long.MAX_VALUE;

    // policy
    private boolean draining;
    private LongSupplier loadMetric;
    private final Long2LongHashMap lastTraffic = new Long2LongHashMap(-1);
    private final Long2LongHashMap cooldownUntil = new Long2LongHashMap(Long.MIN_VALUE);
    private long nextHeartbeat;
    private long nextPolicy;
    private long policyTicks;
    private int policyCursor;
    private boolean shedding;
    private long lastLoad;
    private boolean wantsLoads;
    private long rackLeastLoad = Long.MAX_VALUE;
    private int rackLeastServer;
    private long rackLoadAt = Long.MIN_VALUE;

    public MigrationEngine(Host host, MigrationConfig config, MigratableApp app, MigrationMetrics metrics) {
        this.host = host;
        this.config = config;
        this.app = app;
        this.metrics = metrics;
        this.self = host.config().ip();
        this.sender = new ControlSender(host, config.mtu());
        this.forwarder = new Forwarder(host);
        this.forward = new ForwardTable(config.forwardEntries());
        this.origin = new Origin(this, sender, forward, rx);
        this.target = new Target(this, sender, forward, forwarder, rx);
        this.loadMetric = this::queuedBytes;
        this.nextPolicy = config.policyIntervalNanos() > 0 ? 0 : Long.MAX_VALUE;
        this.nextHeartbeat = config.heartbeatIntervalNanos() > 0 ? 0 : Long.MAX_VALUE;
        host.migrationHook(this);
        if (config.policyIntervalNanos() > 0) {
            host.trackBusy(true); // the policy looks at connections with traffic only
        }
    }

    // ------------------------------------------------------------------ public API

    public Host host() {
        return host;
    }

    public MigrationConfig config() {
        return config;
    }

    public MigrationMetrics metrics() {
        return metrics;
    }

    MigratableApp app() {
        return app;
    }

    /**
     * Draining: HEARTBEATs say so (the switch then places no new connection here and steers no
     * migration here) and PREPARE_MIG is refused as busy. Moving the connections away is the
     * caller's ({@code policy.Drain}).
     */
    public void draining(boolean on) {
        draining = on;
    }

    public boolean isDraining() {
        return draining;
    }

    /**
     * Asks the switch, in every HEARTBEAT, for the least load among the other servers
     * ({@link #leastOtherLoad}): how a policy in a server process sees the rack.
     */
    public void wantRackLoads(boolean on) {
        wantsLoads = on;
    }

    /**
     * The least load among the other live, not draining servers, as the switch last reported it
     * (in {@link #loadMetric}'s unit), or {@code Long.MAX_VALUE} when there is none, or no report
     * came within three heartbeat intervals of {@code nowNanos} (a stale view is no view).
     */
    public long leastOtherLoad(long nowNanos) {
        if (rackLoadAt == Long.MIN_VALUE || nowNanos - rackLoadAt > 3 * config.heartbeatIntervalNanos()) {
            return Long.MAX_VALUE;
        }
        return rackLeastLoad;
    }

    /** The server the switch last named as least loaded among the others (its address), or 0. */
    public int leastOtherServer() {
        return rackLeastServer;
    }

    /** Replaces the load reported in HEARTBEAT and used by the policy (default {@link #queuedBytes}). */
    public void loadMetric(LongSupplier metric) {
        this.loadMetric = metric;
    }

    public long counter(MigCounter c) {
        return counters[c.ordinal()];
    }

    public Map<MigCounter, Long> counters() {
        Map<MigCounter, Long> m = new EnumMap<>(MigCounter.class);
        for (MigCounter c : MigCounter.ALL) {
            if (counters[c.ordinal()] != 0) {
                m.put(c, counters[c.ordinal()]);
            }
        }
        return m;
    }

    /** Migrations this server runs as origin right now (preparing, sending state or aborting). */
    public int outgoing() {
        return origin.active();
    }

    /** Cool-down entries held (only the policy keeps any): bounded, as checked by tests. */
    int cooldownEntries() {
        return cooldownUntil.size();
    }

    /** Connections whose traffic the policy remembers: only those busy since its last clear. */
    int trafficEntries() {
        return lastTraffic.size();
    }

    /** Temporary buffers in use (migrations this server has prepared as target). */
    public int preparedSlots() {
        return target.active();
    }

    /** True if this server is migrating the connection with this key out. */
    public boolean isMigrating(int clientIp, int clientPort, int serverPort) {
        return origin.isMigrating(connKey(clientIp, clientPort, serverPort));
    }

    /** True if this server has prepared to take this connection in. */
    public boolean isPreparedFor(int clientIp, int clientPort, int serverPort) {
        return target.isPreparedFor(connKey(clientIp, clientPort, serverPort));
    }

    /**
     * Load metric (default): bytes queued in this host's connections, unsent or unacknowledged
     * plus received but not yet read by the application: work the server still has to do. The
     * host keeps the sum as connections change ({@link Host#queuedBytes}): O(1) per heartbeat,
     * however many connections are idle.
     */
    public long queuedBytes() {
        return host.queuedBytes();
    }

    public long lastLoad() {
        return lastLoad;
    }

    /** Whether the policy or {@link #migrate} may move this connection: synchronized, not closing out. */
    public static boolean eligible(TcpConnection c) {
        return Host.isLive(c.state());
    }

    /**
     * Starts migrating {@code conn} away (the switch picks the target): the manual trigger.
     *
     * @return the migration id, or -1 if the connection is not here, not eligible, already
     *     migrating, or too many migrations are running (counted)
     */
    public int migrate(TcpConnection conn) {
        return migrate(conn, 0);
    }

    /**
     * Starts migrating {@code conn} to {@code targetIp} (0: the switch picks). The switch
     * honours a requested target only if it is a live server other than this one, and rejects
     * the migration otherwise (REJECT no target): an operator's explicit choice is never
     * silently replaced by another server.
     */
    public int migrate(TcpConnection conn, int targetIp) {
        return origin.migrate(conn, targetIp);
    }

    /**
     * Loses every migration this server is taking in, as a target dying after PREPARE_MIG_ACK
     * or after part of the state would: prepared buffers (and the segments in them) and partial
     * state are gone, the migrations remembered as aborted. Connections already restored (and the
     * memory of them, which the two-generals answer needs) stay. Origin-side migrations are kept.
     */
    public void restartTargetSide() {
        target.restart();
    }

    /** Connections this server still forwards late segments for. */
    public int forwardingEntries() {
        return forward.size();
    }

    public static long connKey(int clientIp, int clientPort, int serverPort) {
        return (clientIp & 0xFFFF_FFFFL) << 32 | (long) (clientPort & 0xFFFF) << 16 | (serverPort & 0xFFFF);
    }

    // ------------------------------------------------------------------ node loop

    @Override
    public int poll(long nowNanos) {
        now = Math.max(now, nowNanos);
        int work = 0;
        target.closeOpenReceives();
        if (now >= timerAt) {
            timerAt = Long.MAX_VALUE;
            work += origin.expire(now);
            work += target.expire(now);
        }
        if (watchedCount > 0 && now >= nextWatchScan) {
            nextWatchScan = now + WATCH_SCAN_NANOS;
            work += releaseEnded();
        }
        if (now >= nextHeartbeat) {
            lastLoad = loadMetric.getAsLong();
            int flags = (draining ? TcpMigHeader.HEARTBEAT_DRAINING : 0) | (wantsLoads ? TcpMigHeader.HEARTBEAT_WANTS_LOADS : 0);
            sender.send(config.switchIp(), TcpMigHeader.HEARTBEAT, flags, 0, 0, 0, 0, self, 0,
                    Math.min(Math.max(lastLoad, 0), TcpMigHeader.NO_LOAD - 1));
            count(MigCounter.HEARTBEATS_SENT);
            nextHeartbeat = now + config.heartbeatIntervalNanos();
            work++;
        }
        if (now >= nextPolicy) {
            nextPolicy = now + config.policyIntervalNanos();
            runPolicy();
        }
        if (work == 0) {
            metrics.flushWhenIdle(); // fold timing samples into histograms outside any step
        }
        return work;
    }

    @Override
    public long nextDeadline() {
        long d = Math.min(Math.min(nextHeartbeat, nextPolicy), timerAt);
        if (watchedCount > 0) {
            d = Math.min(d, nextWatchScan);
        }
        return d;
    }

    // ------------------------------------------------------------------ what both sides share

    /** Notes a new protocol deadline; {@link #poll} scans the migrations only when one is due. */
    long arm(long deadline) {
        timerAt = Math.min(timerAt, deadline);
        return deadline;
    }

    long now() {
        return Math.max(now, host.now());
    }

    void count(MigCounter c) {
        counters[c.ordinal()]++;
    }

    void count(MigCounter c, int n) {
        counters[c.ordinal()] += n;
    }

    /** A connection just moved (out, or in at {@code at}): the policy leaves it alone for a while. */
    void coolDown(long ck, long at) {
        if (config.policyIntervalNanos() > 0) { // only the policy reads (and periodically clears) cool-downs
            cooldownUntil.put(ck, at + config.cooldownNanos());
        }
    }

    /**
     * Restores (TCP + application) the migrated state in {@code state} ({@code total} bytes) and
     * attaches it; null if unusable, not the connection {@code ck}, or already here.
     */
    TcpConnection restore(ConnStateEnvelope state, int total, long ck) {
        if (!state.lengthsMatch(total)) {
            return null;
        }
        TcpConnection c;
        try {
            c = TcpConnection.restore(state.buffer(), state.tcpOffset(), state.tcpLength(), now(), host.sink(), false,
                    host.bufferPool(), host.config().tcp());
        } catch (SnapshotException e) {
            return null;
        }
        if (connKey(c.remoteIp(), c.remotePort(), c.localPort()) != ck
                || host.connection(c.remoteIp(), c.remotePort(), c.localPort()) != null) {
            return null;
        }
        host.attach(c, app.handler());
        if (!app.restore(c, state.buffer(), state.appOffset(), state.appLength())) {
            host.detach(c);
            return null;
        }
        watch(c);
        return c;
    }

    /** Tells the switch to drop the entries of watched connections that ended here. */
    private int releaseEnded() {
        int released = 0;
        for (int i = 0; i < watchedCount; ) {
            TcpConnection c = watched[i];
            if (host.connection(c.remoteIp(), c.remotePort(), c.localPort()) == c) {
                i++;
                continue;
            }
            // ABORT from a server naming itself the original: the switch removes the entry. The
            // switch does not answer; three copies make a loss unlikely (removal is idempotent).
            for (int k = 0; k < RELEASE_COPIES; k++) {
                sender.send(config.switchIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_CONNECTION_GONE, 0,
                        c.remoteIp(), c.remotePort(), c.localPort(), self, 0, self);
            }
            count(MigCounter.DIRECTORY_RELEASED);
            watched[i] = watched[--watchedCount];
            watched[watchedCount] = null;
            released++;
        }
        return released;
    }

    private void watch(TcpConnection c) {
        if (c.localIp() == self) {
            return; // at its original server: no entry
        }
        if (watchedCount == watched.length) {
            watched = java.util.Arrays.copyOf(watched, watchedCount * 2);
        }
        watched[watchedCount++] = c;
    }

    void unwatch(TcpConnection c) {
        if (c.localIp() == self) {
            return; // at its original server: never watched
        }
        for (int i = 0; i < watchedCount; i++) {
            if (watched[i] == c) {
                watched[i] = watched[--watchedCount];
                watched[watchedCount] = null;
                return;
            }
        }
    }

    // ------------------------------------------------------------------ policy

    /**
     * Above {@code highLoad} the server sheds connections, one per policy interval, until its
     * load falls below {@code lowLoad} (hysteresis); it picks the eligible connection with the
     * most traffic (bytes in + out) since the previous look that is not cooling down. Only
     * connections that sent or received a segment since then can have new traffic, and the host
     * notes those ({@link Host#busyCount}): a look costs the busy connections, not the idle ones.
     * With none eligible among them, any eligible connection goes, found from a rotating cursor
     * (at most {@link #POLICY_FALLBACK_LOOKS} looked at).
     */
    private void runPolicy() {
        long load = loadMetric.getAsLong();
        lastLoad = load;
        if (load > config.highLoad()) {
            shedding = true;
        } else if (load < config.lowLoad()) {
            shedding = false;
        }
        if (++policyTicks % 256 == 0) {
            lastTraffic.clear(); // forget closed connections now and then
            cooldownUntil.clear();
            origin.forgetAbortQuiet(); // 256 policy intervals outlast any cool-down
        }
        long at = now();
        TcpConnection best = null;
        long bestTraffic = -1;
        for (int i = 0; i < host.busyCount(); i++) {
            TcpConnection c = host.busyAt(i);
            if (!host.holds(c)) {
                continue; // closed or moved away since it was busy
            }
            long ck = connKey(c.remoteIp(), c.remotePort(), c.localPort());
            long total = c.stats().bytesIn() + c.stats().bytesOut();
            long last = lastTraffic.put(ck, total);
            long recent = last < 0 ? total : total - last;
            if (shedding && recent > bestTraffic && movable(c, ck, at)) {
                best = c;
                bestTraffic = recent;
            }
        }
        host.clearBusy();
        int n = host.connectionCount();
        for (int k = 0; shedding && best == null && k < Math.min(n, POLICY_FALLBACK_LOOKS); k++) {
            int idx = (policyCursor + k) % n;
            TcpConnection c = host.connectionAt(idx);
            if (movable(c, connKey(c.remoteIp(), c.remotePort(), c.localPort()), at)) {
                best = c;
                policyCursor = idx + 1;
            }
        }
        if (best != null && !origin.full()) {
            count(MigCounter.POLICY_DECISIONS);
            migrate(best);
        }
    }

    /** The policy may move {@code c} (key {@code ck}) now: eligible, not cooling down, not moving. */
    private boolean movable(TcpConnection c, long ck, long at) {
        return eligible(c) && cooldownUntil.get(ck) <= at && app.snapshotSize(c) >= 0 && !origin.isMigrating(ck);
    }

    // ------------------------------------------------------------------ what the host hands over

    @Override
    public void onControl(DecodedFrame f) {
        count(MigCounter.CONTROL_RECEIVED);
        rx.wrap(f.buffer, f.udpPayloadOffset);
        if (rx.validate(f.udpPayloadLength) != TcpMigHeader.OK) {
            count(MigCounter.CONTROL_MALFORMED);
            return;
        }
        int from = f.srcIp;
        switch (rx.type()) {
            case TcpMigHeader.PREPARE_MIG -> target.onPrepare();
            case TcpMigHeader.PREPARE_MIG_ACK -> origin.onPrepareAck();
            case TcpMigHeader.REJECT -> {
                if (rx.reason() == TcpMigHeader.REASON_REASSERT) {
                    target.onReassert(origin.isMigrating(connKey(rx.clientIp(), rx.clientPort(), rx.serverPort())));
                } else {
                    origin.onReject();
                }
            }
            case TcpMigHeader.CONN_STATE -> target.onState(f.buffer);
            case TcpMigHeader.CONN_STATE_ACK -> origin.onStateAck(from);
            case TcpMigHeader.ABORT -> target.onAbort(from);
            case TcpMigHeader.HEARTBEAT -> onRackLoads(from);
            default -> count(MigCounter.CONTROL_UNEXPECTED);
        }
    }

    /** The switch's answer to a heartbeat that asked for loads; anything else is unexpected. */
    private void onRackLoads(int from) {
        if (!wantsLoads || from != config.switchIp() || (rx.reason() & TcpMigHeader.HEARTBEAT_LOADS) == 0) {
            count(MigCounter.CONTROL_UNEXPECTED);
            return;
        }
        long v = rx.value();
        rackLeastLoad = v == TcpMigHeader.NO_LOAD ? Long.MAX_VALUE : v;
        rackLeastServer = rx.targetIp();
        rackLoadAt = now;
        count(MigCounter.LOADS_RECEIVED);
    }

    @Override
    public boolean onUnmatchedSegment(DecodedFrame f) {
        long ck = connKey(f.tcp.srcIp, f.tcp.srcPort, f.tcp.dstPort);
        if (target.onSegment(f, ck)) {
            return true;
        }
        int to = forward.get(ck);
        if (to == 0) {
            return target.quietDrop(f);
        }
        if (forwarder.forward(f.buffer, f.frameOffset, f.frameLength, f.ipOffset, f.l4Offset, to)) {
            count(MigCounter.SEGMENTS_FORWARDED);
        } else {
            count(MigCounter.FORWARD_TTL_EXPIRED);
        }
        return true;
    }
}
