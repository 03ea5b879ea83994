package io.capybara.mig;

import io.capybara.host.Host;
import io.capybara.host.MigrationHook;
import io.capybara.io.Node;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.wire.BufferCrc;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpCodec;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.UdpHeader;
import io.capybara.wire.WireCounters;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * TCPMig on one server: the origin and target state machines of the two-phase migration
 * protocol (docs/TCPMIG.md), the target's bounded temporary buffers, forwarding of late
 * segments, heartbeats and the load policy. Sans-IO like the host it is attached to: control
 * messages and orphan segments arrive through {@link MigrationHook} from inside
 * {@link Host#poll}; timers run in {@link #poll(long)}. Never reads a clock: the
 * {@link MigrationMetrics} clock only times steps, and nothing decides on it.
 *
 * <p>Origin: PREPARING (PREPARE_MIG sent, resent on timeout) -> on PREPARE_MIG_ACK snapshot,
 * detach, send CONN_STATE, STATE_SENT (resent with backoff) -> CONN_STATE_ACK: done. A REJECT
 * ends it with the connection kept; a prepare timeout or a connection that died ends it with an
 * ABORT (through the switch, which points the directory back); a target that never acknowledges
 * the state is presumed dead after the whole retry budget: the origin restores its own snapshot
 * and sends ABORT.
 *
 * <p>Target: PREPARE_MIG -> a slot from the pool (or REJECT target busy), PREPARE_MIG_ACK;
 * client segments are copied into the slot; the complete CONN_STATE is restored, attached,
 * handed to the application, the buffered segments replayed, CONN_STATE_ACK sent. Outcomes
 * are remembered so duplicates are answered, never applied twice.
 */
public final class MigrationEngine implements MigrationHook, Node {
    /** REJECT reason (this engine's extension): "your ABORT reached me" (target -> sender of ABORT). */
    public static final int REASON_ABORT_ACK = 6;
    /** REJECT reason (extension): "a stray target was prepared; re-point the switch to you". */
    public static final int REASON_REASSERT = 7;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final int FREE = 0;
    private static final int PREPARING = 1;
    private static final int STATE_SENT = 2;
    private static final int ABORTING = 3;
    private static final int PREPARED = 4;
    /**
     * CONN_STATE body prefix: CRC32C of the rest of the state, TCP snapshot length, application
     * state length. The state is checked end to end in one pass: a fragment's own CRC covers
     * only its header, and one CRC call over the whole state costs less than one per fragment.
     */
    private static final int STATE_PREFIX = 12;
    private static final int MSG_OFFSET = FrameEncoder.IPV4_HEADERS_LENGTH + UdpHeader.LENGTH;
    /** Ethernet, IPv4, UDP and TCPMig headers: what precedes a CONN_STATE fragment's body. */
    private static final int HEADERS = MSG_OFFSET + TcpMigHeader.HEADER_LENGTH;
    /** Allowance per CONN_STATE fragment in the state timeout (1.2 us per hop at 10 Gb/s, two hops). */
    private static final long FRAGMENT_TIME_NANOS = 4_000;
    private static final int RELEASE_COPIES = 3;
    private static final long WATCH_SCAN_NANOS = 50_000;
    private static final int FORWARD_MIN_TTL = Ipv4Header.DEFAULT_TTL - 8;

    private final Host host;
    private final MigrationConfig config;
    private final MigratableApp app;
    private final MigrationMetrics metrics;
    private final int self;
    private final long[] counters = new long[MigCounter.ALL.length];
    private final BufferCrc crc = new BufferCrc();
    private final TcpMigHeader rx = new TcpMigHeader();
    private final TcpMigHeader tx = new TcpMigHeader();
    /** Body bytes per CONN_STATE fragment (the rack's MTU less headers and trailer). */
    private final int fragmentBody;
    private final UnsafeBuffer txFrame;
    /** The bytes a fragment's headers and trailer cover while it is sent in place. */
    /** A CONN_STATE fragment's headers and trailer, sent around its body where it lies. */
    private final UnsafeBuffer fragmentHeaders = new UnsafeBuffer(new byte[HEADERS]);
    private final UnsafeBuffer fragmentTrailer = new UnsafeBuffer(new byte[TcpMigHeader.TRAILER_LENGTH]);
    private final UnsafeBuffer fwdFrame = new UnsafeBuffer(new byte[io.capybara.io.FrameChannel.DEFAULT_MTU_FRAME]);
    private final FrameDecoder replayDecoder = new FrameDecoder(new WireCounters(), false);
    private final DecodedFrame replayFrame = new DecodedFrame();
    private DirectBuffer rxBuffer;
    private int ipId;
    private int nextId;
    private long now;

    // origin
    private final Out[] outs;
    private int outActive;
    private final ForwardTable forward;

    // target
    private final In[] ins;
    private int inActive;
    private final Long2ObjectHashMap<In> inByConn = new Long2ObjectHashMap<>();
    private final OutcomeMemory outcomes;
    /** The last completed outgoing migrations (id, target), to answer stray ACKs that follow them. */
    private final int[] completedIds = new int[64];
    private final int[] completedTargets = new int[64];
    private int completedHead;
    /** Slots whose receive interval is open (see {@link #onState}). */
    private int openReceives;

    /**
     * Connections held here that are not at their original server: the directory has an entry
     * for each. The switch removes it on RST or after both FINs, but a FIN that passed before
     * the entry existed is never seen; so when such a connection ends here we tell the switch.
     */
    private TcpConnection[] watched = new TcpConnection[64];
    private int watchedCount;
    private long nextWatchScan;
    /** After a restart of the target side: until then unmatched segments are dropped, not reset. */
    private long quietUntil = Long.MIN_VALUE;
    /** The earliest deadline of any migration (upper bound after removals). */
    private long timerAt = Long.MAX_VALUE;

    // policy
    private boolean draining;
    private LongSupplier loadMetric;
    private final Long2LongHashMap lastTraffic = new Long2LongHashMap(-1);
    private final Long2LongHashMap cooldownUntil = new Long2LongHashMap(Long.MIN_VALUE);
    /**
     * Connections whose last migration ended in an ABORT, until copies of that ABORT can no
     * longer be in the network: the switch acts on ABORT without state, so a late copy would
     * re-point (or remove) the entry a newer migration of the same connection installed.
     */
    private final Long2LongHashMap abortQuietUntil = new Long2LongHashMap(Long.MIN_VALUE);
    private long nextHeartbeat;
    private long nextPolicy;
    private long policyTicks;
    private boolean shedding;
    private long lastLoad;

    public MigrationEngine(Host host, MigrationConfig config, MigratableApp app, MigrationMetrics metrics) {
        this.host = host;
        this.config = config;
        this.app = app;
        this.metrics = metrics;
        this.self = host.config().ip();
        this.fragmentBody = MigrationConfig.fragmentBody(config.mtu());
        this.txFrame = new UnsafeBuffer(new byte[config.mtu() + EthernetHeader.LENGTH]);
        this.outs = new Out[config.maxOutgoing()];
        for (int i = 0; i < outs.length; i++) {
            outs[i] = new Out();
        }
        this.ins = new In[config.tempBufferSlots()];
        for (int i = 0; i < ins.length; i++) {
            ins[i] = new In(config.tempBufferFrames(), config.tempBufferBytes());
        }
        this.forward = new ForwardTable(config.forwardEntries());
        this.outcomes = new OutcomeMemory(config.outcomeMemory());
        this.loadMetric = this::queuedBytes;
        this.nextPolicy = config.policyIntervalNanos() > 0 ? 0 : Long.MAX_VALUE;
        this.nextHeartbeat = config.heartbeatIntervalNanos() > 0 ? 0 : Long.MAX_VALUE;
        host.migrationHook(this);
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
        return outActive;
    }

    /** Cool-down entries held (only the policy keeps any): bounded, as checked by tests. */
    int cooldownEntries() {
        return cooldownUntil.size();
    }

    /** Temporary buffers in use (migrations this server has prepared as target). */
    public int preparedSlots() {
        return inActive;
    }

    /** True if this server is migrating the connection with this key out. */
    public boolean isMigrating(int clientIp, int clientPort, int serverPort) {
        return findOutByConn(connKey(clientIp, clientPort, serverPort)) != null;
    }

    /** True if this server has prepared to take this connection in. */
    public boolean isPreparedFor(int clientIp, int clientPort, int serverPort) {
        return inByConn.containsKey(connKey(clientIp, clientPort, serverPort));
    }

    /**
     * Load metric (default): bytes queued in this host's connections, unsent or unacknowledged
     * plus received but not yet read by the application: work the server still has to do.
     */
    public long queuedBytes() {
        long sum = 0;
        for (int i = 0; i < host.connectionCount(); i++) {
            TcpConnection c = host.connectionAt(i);
            sum += c.config().sendBufferBytes() - c.writableBytes() + c.readableBytes();
        }
        return sum;
    }

    public long lastLoad() {
        return lastLoad;
    }

    /** Whether the policy or {@link #migrate} may move this connection: synchronized, not closing out. */
    public static boolean eligible(TcpConnection c) {
        TcpState s = c.state();
        return s.isSynchronized() && s != TcpState.TIME_WAIT;
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
        long t0 = metrics.now();
        if (conn == null || !host.holds(conn) || !eligible(conn) || app.snapshotSize(conn) < 0) {
            count(MigCounter.NOT_ELIGIBLE); // (the application cannot move it now, e.g. a TLS handshake)
            return -1;
        }
        long ck = connKey(conn.remoteIp(), conn.remotePort(), conn.localPort());
        if (findOutByConn(ck) != null) {
            count(MigCounter.NOT_ELIGIBLE);
            return -1;
        }
        if (!abortQuietUntil.isEmpty()) {
            long quiet = abortQuietUntil.get(ck);
            if (quiet > now()) {
                count(MigCounter.NOT_ELIGIBLE); // its last migration's ABORTs may still be in flight
                return -1;
            }
            if (quiet != Long.MIN_VALUE) {
                abortQuietUntil.remove(ck);
            }
        }
        Out m = freeOut();
        if (m == null) {
            count(MigCounter.TOO_MANY_OUTGOING);
            return -1;
        }
        long at = now();
        m.id = nextMigrationId();
        m.state = PREPARING;
        m.conn = conn;
        m.connKey = ck;
        m.clientIp = conn.remoteIp();
        m.clientPort = conn.remotePort();
        m.serverPort = conn.localPort();
        m.originalIp = conn.localIp();
        m.targetIp = 0;
        m.requestedTarget = targetIp;
        m.decidedAt = t0;
        m.retries = 0;
        m.stateSent = false;
        m.deadline = arm(at + config.prepareTimeoutNanos());
        long t1 = metrics.lap(MigrationStep.ORIGIN_DECIDE, self, m.id, t0);
        outActive++;
        count(MigCounter.STARTED);
        if (config.policyIntervalNanos() > 0) { // only the policy reads (and periodically clears) cool-downs
            cooldownUntil.put(ck, at + config.cooldownNanos());
        }
        sendPrepare(m);
        m.overhead = metrics.lap(MigrationStep.ORIGIN_SEND_PREPARE, self, m.id, t1) - t0;
        return m.id;
    }

    // ------------------------------------------------------------------ node loop

    @Override
    public int poll(long nowNanos) {
        now = Math.max(now, nowNanos);
        int work = 0;
        if (openReceives > 0) {
            closeOpenReceives();
        }
        if (now >= timerAt) {
            timerAt = Long.MAX_VALUE;
            for (Out m : outs) {
                if (m.state != FREE && m.deadline <= now) {
                    onOutTimeout(m);
                    work++;
                }
                if (m.state != FREE) {
                    timerAt = Math.min(timerAt, m.deadline);
                }
            }
            for (In s : ins) {
                if (s.state == PREPARED && s.deadline <= now) {
                    count(MigCounter.HOLD_EXPIRED);
                    outcomes.remember(s.migKey, OutcomeMemory.ABORTED, 0);
                    release(s);
                    work++;
                }
                if (s.state == PREPARED) {
                    timerAt = Math.min(timerAt, s.deadline);
                }
            }
        }
        if (watchedCount > 0 && now >= nextWatchScan) {
            nextWatchScan = now + WATCH_SCAN_NANOS;
            work += releaseEnded();
        }
        if (now >= nextHeartbeat) {
            lastLoad = loadMetric.getAsLong();
            send(config.switchIp(), TcpMigHeader.HEARTBEAT, draining ? TcpMigHeader.HEARTBEAT_DRAINING : 0, 0, 0, 0, 0, self,
                    0, lastLoad);
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
                send(config.switchIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_CONNECTION_GONE, 0, c.remoteIp(),
                        c.remotePort(), c.localPort(), self, 0, self);
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

    private void unwatch(TcpConnection c) {
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

    @Override
    public long nextDeadline() {
        long d = Math.min(Math.min(nextHeartbeat, nextPolicy), timerAt);
        if (watchedCount > 0) {
            d = Math.min(d, nextWatchScan);
        }
        return d;
    }

    /** Notes a new protocol deadline; {@link #poll} scans the migrations only when one is due. */
    private long arm(long deadline) {
        timerAt = Math.min(timerAt, deadline);
        return deadline;
    }

    private long now() {
        return Math.max(now, host.now());
    }

    // ------------------------------------------------------------------ policy

    /**
     * Above {@code highLoad} the server sheds connections, one per policy interval, until its
     * load falls below {@code lowLoad} (hysteresis); it picks the eligible connection with the
     * most traffic (bytes in + out) since the previous look that is not cooling down.
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
            abortQuietUntil.clear(); // 256 policy intervals outlast any cool-down
        }
        long at = now();
        TcpConnection best = null;
        long bestTraffic = -1;
        for (int i = 0; i < host.connectionCount(); i++) {
            TcpConnection c = host.connectionAt(i);
            long ck = connKey(c.remoteIp(), c.remotePort(), c.localPort());
            long total = c.stats().bytesIn() + c.stats().bytesOut();
            long last = lastTraffic.put(ck, total);
            long recent = last < 0 ? total : total - last;
            if (shedding && recent > bestTraffic && eligible(c) && cooldownUntil.get(ck) <= at
                    && app.snapshotSize(c) >= 0
                    && findOutByConn(ck) == null) {
                best = c;
                bestTraffic = recent;
            }
        }
        if (best != null && outActive < outs.length) {
            count(MigCounter.POLICY_DECISIONS);
            migrate(best);
        }
    }

    // ------------------------------------------------------------------ control messages

    @Override
    public void onControl(DecodedFrame f) {
        count(MigCounter.CONTROL_RECEIVED);
        rxBuffer = f.buffer;
        rx.wrap(f.buffer, f.udpPayloadOffset);
        if (rx.validate(f.udpPayloadLength) != TcpMigHeader.OK) {
            count(MigCounter.CONTROL_MALFORMED);
            return;
        }
        int from = f.srcIp;
        switch (rx.type()) {
            case TcpMigHeader.PREPARE_MIG -> onPrepare();
            case TcpMigHeader.PREPARE_MIG_ACK -> onPrepareAck(from);
            case TcpMigHeader.REJECT -> onReject(from);
            case TcpMigHeader.CONN_STATE -> onState(from);
            case TcpMigHeader.CONN_STATE_ACK -> onStateAck(from);
            case TcpMigHeader.ABORT -> onAbort(from);
            default -> count(MigCounter.CONTROL_UNEXPECTED);
        }
    }

    // ---- origin side

    private void onPrepareAck(int from) {
        int id = rx.migrationId();
        int ackTarget = rx.targetIp();
        if (ackTarget == 0 || ackTarget == self) {
            count(MigCounter.CONTROL_MALFORMED); // no server takes a connection as 0.0.0.0, or from itself
            return;
        }
        Out m = rx.originIp() == self ? findOut(id) : null;
        if (m == null || m.state != PREPARING) {
            if (m != null && m.targetIp == ackTarget) {
                count(MigCounter.CONTROL_DUPLICATE);
                if (m.state == ABORTING) {
                    // a copy of the ACK passed the switch after our ABORT and pointed the entry
                    // at the target again: undo it again (the switch keeps no state to refuse it)
                    sendAbort(m);
                }
            } else {
                strayAck(m, ackTarget);
            }
            return;
        }
        long t0 = metrics.now();
        m.targetIp = ackTarget;
        TcpConnection c = m.conn;
        long t1 = metrics.lap(MigrationStep.ORIGIN_RECEIVE_ACK, self, id, t0);
        if (!host.holds(c) || !eligible(c)) {
            // closed (RST, or both FINs done) while we were preparing: give the switch back
            count(MigCounter.ABORTED_CONNECTION_GONE);
            if (host.connection(m.clientIp, m.clientPort, m.serverPort) == null) {
                // gone for good: value = ourselves makes the switch drop the entry
                m.originalIp = self;
            } // else closing here (TIME_WAIT): point it back at us; its watch releases it later
            startAbort(m, TcpMigHeader.REASON_CONNECTION_GONE);
            return;
        }
        // Quiesce: the host's transmit path is synchronous (a frame is copied into the channel
        // before transmit returns), so no send of this connection can still be in flight: the
        // step takes no time, and is recorded as such without a clock read.
        metrics.record(MigrationStep.ORIGIN_QUIESCE, self, id, 0);
        long t2 = t1;
        long nowNs = now();
        int appNeed = app.snapshotSize(c);
        int need = STATE_PREFIX + c.snapshotSize() + appNeed;
        if (appNeed < 0 || need > config.maxStateBytes()) {
            count(MigCounter.ABORTED_SNAPSHOT_TOO_LARGE);
            startAbort(m, TcpMigHeader.REASON_TARGET_BUSY);
            return;
        }
        if (m.state_.capacity() < need) {
            m.state_ = new UnsafeBuffer(new byte[Math.max(need, 2 * m.state_.capacity())]);
        }
        int tcpLen = c.snapshot(m.state_, STATE_PREFIX, nowNs, false); // the prefix's CRC covers it
        int appLen = app.snapshot(c, m.state_, STATE_PREFIX + tcpLen);
        m.state_.putInt(4, tcpLen, BE);
        m.state_.putInt(8, appLen, BE);
        m.stateLength = STATE_PREFIX + tcpLen + appLen;
        m.state_.putInt(0, crc.compute(m.state_, 4, m.stateLength - 4), BE);
        host.detach(c);
        unwatch(c);
        c.recycle(host.bufferPool()); // the snapshot is the connection now; its memory serves restores here
        m.conn = null;
        forward.put(m.connKey, m.targetIp);
        long t3 = metrics.lap(MigrationStep.ORIGIN_SERIALIZE, self, id, t2);
        sendState(m);
        m.state = STATE_SENT;
        m.retries = 0;
        m.backoff = 1;
        m.deadline = arm(nowNs + stateTimeout(m));
        m.overhead += metrics.lap(MigrationStep.ORIGIN_SEND_STATE, self, id, t3) - t0;
    }

    /**
     * An ACK that is not the one we wait for: the switch has just pointed the connection at
     * {@code stray}. If the connection is (again) here, an ABORT points it back and frees the
     * stray target; if it went to another target, that target is asked to re-assert itself.
     */
    private void strayAck(Out m, int stray) {
        count(MigCounter.STRAY_ACK);
        int clientIp = rx.clientIp();
        int clientPort = rx.clientPort();
        int serverPort = rx.serverPort();
        int id = rx.migrationId();
        long original = rx.value();
        if (stray == self) {
            return;
        }
        TcpConnection here = host.connection(clientIp, clientPort, serverPort);
        if (m != null && m.state == ABORTING) {
            // the connection stays with us (or is gone: then originalIp is us and the entry goes)
            send(stray, TcpMigHeader.ABORT, m.abortReason, id, clientIp, clientPort, serverPort, self, stray,
                    m.originalIp);
            return;
        }
        if (m == null && here != null && findOutByConn(connKey(clientIp, clientPort, serverPort)) == null) {
            // a late ACK of a finished migration while the connection is (back) here
            send(stray, TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, id, clientIp, clientPort, serverPort, self,
                    stray, original);
            return;
        }
        // A copy of our PREPARE_MIG was steered to a second target: a retransmitted one while
        // the state travels (the first ACK won), or a duplicated one after the migration
        // completed. The target that took the connection re-asserts itself with an ABORT of its
        // own, which also frees the stray target.
        int holder = m != null ? m.targetIp : here == null ? completedTarget(id) : 0;
        if (holder != 0 && holder != stray) {
            send(holder, TcpMigHeader.REJECT, REASON_REASSERT, id, clientIp, clientPort, serverPort, self, stray,
                    original);
            return;
        }
        // Otherwise: a late duplicate of an ACK whose migration finished re-pointed the switch at
        // the target that took the connection then, which still holds it (the cool-down
        // outlasts network delays).
    }

    private void onReject(int from) {
        int id = rx.migrationId();
        int reason = rx.reason();
        if (reason == REASON_REASSERT) {
            onReassert();
            return;
        }
        Out m = rx.originIp() == self ? findOut(id) : null;
        if (m == null) {
            count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        if (reason == REASON_ABORT_ACK) {
            if (m.state == ABORTING) {
                count(MigCounter.ABORT_CONFIRMED);
                if (m.stateSent) {
                    // the target confirms it did not restore and never will: take the connection back
                    count(MigCounter.ABORTED_STATE_REFUSED);
                    restoreLocally(m);
                }
                freeOut(m);
            } else {
                count(MigCounter.CONTROL_DUPLICATE);
            }
            return;
        }
        if (m.state != PREPARING) {
            count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        switch (reason) {
            case TcpMigHeader.REASON_NO_TARGET -> count(MigCounter.REJECTED_NO_TARGET);
            case TcpMigHeader.REASON_DIRECTORY_FULL -> {
                count(MigCounter.REJECTED_DIRECTORY_FULL);
                // the target holds a slot for nothing: free it now rather than at its hold timeout
                if (rx.targetIp() != 0) {
                    send(rx.targetIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_DIRECTORY_FULL, id, m.clientIp,
                            m.clientPort, m.serverPort, self, rx.targetIp(), m.originalIp);
                }
            }
            default -> count(MigCounter.REJECTED_TARGET_BUSY);
        }
        if (reason != TcpMigHeader.REASON_DIRECTORY_FULL) {
            // Nothing of this migration reached the directory, but a stray ACK of an earlier one
            // may have: an ABORT from the holder makes the switch agree (idempotent otherwise).
            send(config.switchIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_NONE, id, m.clientIp, m.clientPort,
                    m.serverPort, self, 0, m.originalIp);
        }
        metrics.forget(MigrationMetrics.key(self, id));
        freeOut(m);
    }

    /** Someone prepared a stray target for a connection we hold or are taking in: re-point the switch. */
    private void onReassert() {
        int clientIp = rx.clientIp();
        int clientPort = rx.clientPort();
        int serverPort = rx.serverPort();
        long ck = connKey(clientIp, clientPort, serverPort);
        if (host.connection(clientIp, clientPort, serverPort) == null && !inByConn.containsKey(ck)) {
            count(MigCounter.CONTROL_UNEXPECTED);
            return;
        }
        if (findOutByConn(ck) != null) {
            // we are moving it on already: that migration's ACK (or the ABORT that follows a
            // REJECT) sets the directory; an ABORT from us now could land after that ACK
            count(MigCounter.CONTROL_UNEXPECTED);
            return;
        }
        // ABORT from us makes the switch point the entry at us (or drop it if we are the
        // original server); the stray target, its destination, frees its slot.
        send(rx.targetIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, rx.migrationId(), clientIp, clientPort,
                serverPort, rx.originIp(), rx.targetIp(), rx.value());
    }

    private void onStateAck(int from) {
        int id = rx.migrationId();
        Out m = rx.originIp() == self ? findOut(id) : null;
        if (m == null || m.targetIp != from) {
            count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        if (m.state == ABORTING && m.stateSent) {
            // The target restored after all (its ACKs were lost): it keeps the connection and
            // has re-pointed the switch at itself. We never took ours back: done.
            count(MigCounter.LATE_STATE_ACK);
            m.state = STATE_SENT;
        }
        if (m.state != STATE_SENT) {
            count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        long t0 = metrics.now();
        count(MigCounter.COMPLETED);
        completedIds[completedHead] = id;
        completedTargets[completedHead] = m.targetIp;
        completedHead = (completedHead + 1) & (completedIds.length - 1);
        freeOut(m);
        m.overhead += metrics.step(MigrationStep.ORIGIN_RECEIVE_STATE_ACK, self, id, t0);
        metrics.overheadPart(MigrationMetrics.key(self, id), m.overhead);
        metrics.half(self, id, true, m.decidedAt, m.overhead);
    }

    private void onOutTimeout(Out m) {
        long at = now();
        switch (m.state) {
            case PREPARING -> {
                if (m.retries < config.prepareRetries()) {
                    m.retries++;
                    count(MigCounter.PREPARE_RETRANSMITTED);
                    sendPrepare(m);
                    m.deadline = arm(at + config.prepareTimeoutNanos());
                } else {
                    // An ACK may have passed the switch and been lost: make the directory agree.
                    count(MigCounter.ABORTED_PREPARE_TIMEOUT);
                    startAbort(m, TcpMigHeader.REASON_TIMEOUT);
                }
            }
            case STATE_SENT -> {
                if (m.retries < config.stateRetries()) {
                    m.retries++;
                    m.backoff = Math.min(8, m.backoff * 2);
                    count(MigCounter.STATE_RETRANSMITTED);
                    sendState(m);
                    m.deadline = arm(at + stateTimeout(m));
                } else {
                    // Ask before taking it back: ABORT points the switch at us; a target that did
                    // restore answers CONN_STATE_ACK (and re-points the switch at itself), one that
                    // did not answers ABORT-ACK and will never restore. Silence = dead target.
                    count(MigCounter.STATE_UNANSWERED);
                    m.stateSent = true;
                    startAbort(m, TcpMigHeader.REASON_TIMEOUT);
                }
            }
            case ABORTING -> {
                if (m.retries < config.abortRetries()) {
                    m.retries++;
                    sendAbort(m);
                    m.deadline = arm(at + config.abortTimeoutNanos());
                } else {
                    // with no known target nobody answers; the switch acted on the first ABORT
                    if (m.targetIp != 0) {
                        count(MigCounter.ABORT_UNCONFIRMED);
                    }
                    if (m.stateSent) {
                        count(MigCounter.ABORTED_TARGET_DEAD);
                        restoreLocally(m);
                    }
                    freeOut(m);
                }
            }
            default -> {
            }
        }
    }

    /**
     * The connection stays (or is again) here: ABORT through the switch, which points the
     * directory back at us, and tells the target to free its buffer.
     */
    private void startAbort(Out m, int reason) {
        metrics.forget(MigrationMetrics.key(self, m.id));
        m.state = ABORTING;
        m.abortReason = reason;
        m.retries = 0;
        m.conn = null;
        sendAbort(m);
        m.deadline = arm(now() + config.abortTimeoutNanos());
    }

    private void sendAbort(Out m) {
        if (!m.stateSent && m.originalIp != self
                && host.connection(m.clientIp, m.clientPort, m.serverPort) == null) {
            // The connection ended here while we abort (its watch has told the switch to drop
            // the entry): a resent ABORT naming the original server would re-point, or
            // re-install, the entry at us for a connection that is gone. Name ourselves: release.
            m.originalIp = self;
        }
        send(m.targetIp != 0 ? m.targetIp : config.switchIp(), TcpMigHeader.ABORT, m.abortReason, m.id, m.clientIp,
                m.clientPort, m.serverPort, self, m.targetIp, m.originalIp);
    }

    /** The target never acknowledged the state: the snapshot we kept becomes the connection again. */
    private void restoreLocally(Out m) {
        if (!adopt(m.state_, 0, m.stateLength, m.connKey)) {
            count(MigCounter.STATE_INVALID);
            return;
        }
        forward.remove(m.connKey);
        count(MigCounter.RESTORED_LOCALLY);
    }

    /** The state's timeout grows with its size: each fragment takes time on every link it crosses. */
    private long stateTimeout(Out m) {
        int fragments = (m.stateLength + fragmentBody - 1) / fragmentBody;
        return (config.stateTimeoutNanos() + fragments * FRAGMENT_TIME_NANOS) * m.backoff;
    }

    private void sendPrepare(Out m) {
        count(MigCounter.PREPARE_SENT);
        send(config.switchIp(), TcpMigHeader.PREPARE_MIG, 0, m.id, m.clientIp, m.clientPort, m.serverPort, self,
                m.requestedTarget, m.originalIp);
    }

    /**
     * Sends the kept state as CONN_STATE fragments without copying it first: each fragment
     * goes to the host in three pieces (headers, its body where it lies in the kept state, the
     * trailer with the headers' CRC32C), which the channel copies back to back.
     */
    private void sendState(Out m) {
        int n = (m.stateLength + fragmentBody - 1) / fragmentBody;
        for (int i = 0; i < n; i++) {
            int len = Math.min(fragmentBody, m.stateLength - i * fragmentBody);
            headers(fragmentHeaders, 0, m.targetIp, TcpMigHeader.CONN_STATE, 0, m.id, m.clientIp, m.clientPort,
                    m.serverPort, self, m.targetIp, m.stateLength, i, n, len);
            fragmentTrailer.putInt(0, tx.trailerValue(), BE);
            host.transmitIpv4(fragmentHeaders, 0, HEADERS, m.state_, i * fragmentBody, len, fragmentTrailer, 0,
                    TcpMigHeader.TRAILER_LENGTH, m.targetIp);
            count(MigCounter.STATE_FRAGMENTS_SENT);
        }
    }

    // ---- target side

    private void onPrepare() {
        int origin = rx.originIp();
        int id = rx.migrationId();
        long mk = MigrationMetrics.key(origin, id);
        long t0 = metrics.now();
        if (outcomes.knows(mk)) {
            count(MigCounter.PREPARE_DUPLICATE);
            return;
        }
        In s = findIn(mk);
        int clientIp = rx.clientIp();
        int clientPort = rx.clientPort();
        int serverPort = rx.serverPort();
        if (s == null) {
            long ck = connKey(clientIp, clientPort, serverPort);
            if (host.connection(clientIp, clientPort, serverPort) != null) {
                count(MigCounter.CONNECTION_ALREADY_HERE);
                send(origin, TcpMigHeader.REJECT, TcpMigHeader.REASON_TARGET_BUSY, id, clientIp, clientPort, serverPort,
                        origin, self, rx.value());
                return;
            }
            In stale = inByConn.get(ck);
            if (stale != null) {
                outcomes.remember(stale.migKey, OutcomeMemory.ABORTED, 0);
                release(stale);
            }
            s = draining ? null : freeIn(); // a draining server takes nothing in
            if (s == null) {
                count(MigCounter.REJECTED_BUSY_SENT);
                send(origin, TcpMigHeader.REJECT, TcpMigHeader.REASON_TARGET_BUSY, id, clientIp, clientPort, serverPort,
                        origin, self, rx.value());
                return;
            }
            s.state = PREPARED;
            s.migKey = mk;
            s.connKey = ck;
            s.originIp = origin;
            s.id = id;
            s.clientIp = clientIp;
            s.clientPort = clientPort;
            s.serverPort = serverPort;
            s.originalIp = (int) rx.value();
            s.deadline = arm(now() + config.targetHoldNanos());
            s.reset();
            inByConn.put(ck, s);
            inActive++;
            count(MigCounter.PREPARED);
        } else {
            count(MigCounter.PREPARE_DUPLICATE);
        }
        long t1 = metrics.lap(MigrationStep.TARGET_RECEIVE_PREPARE, self, id, t0);
        send(origin, TcpMigHeader.PREPARE_MIG_ACK, 0, id, clientIp, clientPort, serverPort, origin, self, s.originalIp);
        long t2 = metrics.lap(MigrationStep.TARGET_SEND_ACK, self, id, t1);
        s.overhead += t2 - t0;
        metrics.blackoutStarts(mk, t2);
    }

    private void onState(int from) {
        int origin = rx.originIp();
        int id = rx.migrationId();
        long mk = MigrationMetrics.key(origin, id);
        In s = findIn(mk); // a prepared slot has no outcome yet: the common case skips the map
        long known = s != null ? 0 : outcomes.result(mk);
        if (known == OutcomeMemory.RESTORED) {
            if (rx.fragmentIndex() != rx.fragmentCount() - 1) {
                count(MigCounter.STATE_FRAGMENT_DUPLICATE); // one answer per resent state, on its last fragment
                return;
            }
            count(MigCounter.STATE_REACKED);
            send(origin, TcpMigHeader.CONN_STATE_ACK, 0, id, rx.clientIp(), rx.clientPort(), rx.serverPort(), origin,
                    self, 0);
            return;
        }
        if (s == null) {
            count(MigCounter.STATE_FOR_UNKNOWN_MIGRATION);
            return;
        }
        // Receiving is timed as one interval per burst: it opens at the first fragment taken and
        // closes when the state is complete, or at this engine's next poll when fragments are
        // still missing (they came in another burst). Between fragments it holds the host
        // decoding them (and any frame in between): an over-count, never an under-count.
        if (s.receiveStart < 0) {
            s.receiveStart = metrics.now();
            openReceives++;
        }
        long total = rx.value();
        int count = rx.fragmentCount();
        int index = rx.fragmentIndex();
        int bodyLength = rx.bodyLength();
        if (total > config.maxStateBytes() || total < STATE_PREFIX
                || (long) count * fragmentBody < total || (long) (count - 1) * fragmentBody >= total) {
            count(MigCounter.STATE_TOO_LARGE);
            return;
        }
        if (s.total == 0) {
            s.total = (int) total;
            s.fragmentCount = count;
            s.ensure((int) total, count);
        } else if (s.total != total || s.fragmentCount != count) {
            count(MigCounter.STATE_INVALID);
            return;
        }
        int expected = Math.min(fragmentBody, s.total - index * fragmentBody);
        if (bodyLength != expected) {
            count(MigCounter.STATE_INVALID);
            return;
        }
        if (s.has(index)) {
            count(MigCounter.STATE_FRAGMENT_DUPLICATE);
            return;
        }
        s.state_.putBytes(index * fragmentBody, rxBuffer, rx.bodyOffset(), bodyLength);
        s.mark(index);
        count(MigCounter.STATE_FRAGMENTS_RECEIVED);
        if (s.received == s.fragmentCount) {
            long t1 = metrics.now();
            closeReceive(s, t1);
            complete(s, t1);
        }
    }

    private void closeReceive(In s, long nowClock) {
        if (s.receiveStart >= 0) {
            s.receiveNanos += Math.max(0, nowClock - s.receiveStart);
            s.receiveStart = -1;
            openReceives--;
        }
    }

    /** Ends the receive intervals of states still missing fragments after this poll's burst. */
    private void closeOpenReceives() {
        long t = metrics.now();
        for (In s : ins) {
            closeReceive(s, t);
        }
    }

    private void complete(In s, long t0) {
        if (crc.compute(s.state_, 4, s.total - 4) != s.state_.getInt(0, BE)) {
            // a body damaged on the way (fragment CRCs cover headers only): start over, and take
            // the origin's resend; the slot, the segments it buffered and the receive time so
            // far stay (recorded once, when a state restores)
            count(MigCounter.STATE_CORRUPT);
            s.forgetFragments();
            return;
        }
        int id = s.id;
        long mk = s.migKey;
        s.overhead += s.receiveNanos;
        metrics.record(MigrationStep.TARGET_RECEIVE_STATE, self, id, s.receiveNanos);
        if (host.connection(s.clientIp, s.clientPort, s.serverPort) != null) {
            count(MigCounter.CONNECTION_ALREADY_HERE);
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
            release(s);
            return;
        }
        TcpConnection c = restore(s.state_, 0, s.total, s.connKey);
        if (c == null) {
            count(MigCounter.STATE_INVALID);
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
            release(s);
            return;
        }
        long t1 = metrics.lap(MigrationStep.TARGET_DESERIALIZE, self, id, t0);
        for (int i = 0; i < s.frameCount; i++) {
            if (replayDecoder.decode(s.frames, s.frameOffset[i], s.frameLength[i], replayFrame)
                    == DecodedFrame.Kind.TCP
                    && host.connection(s.clientIp, s.clientPort, s.serverPort) == c) {
                c.onSegment(replayFrame.tcp, now());
                count(MigCounter.SEGMENTS_REPLAYED);
            }
        }
        long t2 = t1;
        if (s.frameCount > 0) {
            t2 = metrics.lap(MigrationStep.TARGET_REPLAY, self, id, t1);
        } else {
            metrics.record(MigrationStep.TARGET_REPLAY, self, id, 0); // nothing buffered: nothing to time
        }
        count(MigCounter.RESTORED);
        outcomes.remember(mk, OutcomeMemory.RESTORED, s.connKey);
        if (config.policyIntervalNanos() > 0) { // only the policy reads cool-downs
            cooldownUntil.put(s.connKey, now() + config.cooldownNanos());
        }
        if (!forward.isEmpty()) {
            forward.remove(s.connKey);
        }
        send(s.originIp, TcpMigHeader.CONN_STATE_ACK, 0, id, s.clientIp, s.clientPort, s.serverPort, s.originIp, self,
                0);
        count(MigCounter.STATE_ACK_SENT);
        release(s);
        // resume = the outcome is remembered, the origin is told, the application serves it
        // (last, so that the blackout ends with this step)
        if (host.connection(s.clientIp, s.clientPort, s.serverPort) == c) {
            app.resume(c);
        }
        long t3 = metrics.lap(MigrationStep.TARGET_RESUME, self, id, t2);
        metrics.blackoutEnds(mk, t3); // serving again
        s.overhead += t3 - t0;
        metrics.overheadPart(mk, s.overhead);
        metrics.half(s.originIp, id, false, t3, s.overhead);
    }

    private void onAbort(int from) {
        int origin = rx.originIp();
        int id = rx.migrationId();
        long mk = MigrationMetrics.key(origin, id);
        count(MigCounter.ABORT_RECEIVED);
        In s = findIn(mk);
        if (s != null) {
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
            handBack(s, from);
            release(s);
        } else if (outcomes.result(mk) == OutcomeMemory.RESTORED) {
            // The origin's ACKs were lost and it asks before taking the connection back. We
            // have it (and may already have served it): keep it, answer CONN_STATE_ACK, and
            // re-point the switch, which the origin's ABORT just pointed at the origin.
            count(MigCounter.ABORT_AFTER_RESTORE);
            long ck = outcomes.connection(mk);
            TcpConnection c = host.connection((int) (ck >>> 32), (int) (ck >>> 16) & 0xFFFF, (int) ck & 0xFFFF);
            if (c != null) {
                send(origin, TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, id, rx.clientIp(), rx.clientPort(),
                        rx.serverPort(), origin, self, c.localIp());
            }
            send(origin, TcpMigHeader.CONN_STATE_ACK, 0, id, rx.clientIp(), rx.clientPort(), rx.serverPort(), origin,
                    self, 0);
            return;
        } else if (!outcomes.knows(mk) && from == origin && rx.targetIp() == self
                && host.connection(rx.clientIp(), rx.clientPort(), rx.serverPort()) != null) {
            // We forgot this migration (our migration layer restarted) but hold its connection:
            // it was restored here. Same answer as above.
            count(MigCounter.ABORT_AFTER_RESTORE);
            outcomes.remember(mk, OutcomeMemory.RESTORED, connKey(rx.clientIp(), rx.clientPort(), rx.serverPort()));
            send(origin, TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, id, rx.clientIp(), rx.clientPort(),
                    rx.serverPort(), origin, self,
                    host.connection(rx.clientIp(), rx.clientPort(), rx.serverPort()).localIp());
            send(origin, TcpMigHeader.CONN_STATE_ACK, 0, id, rx.clientIp(), rx.clientPort(), rx.serverPort(), origin,
                    self, 0);
            return;
        } else if (!outcomes.knows(mk)) {
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
        }
        if (from == origin && rx.reason() != TcpMigHeader.REASON_CONNECTION_GONE
                && host.connection(rx.clientIp(), rx.clientPort(), rx.serverPort()) == null) {
            // The origin keeps (or takes back) the connection. Should the switch fail to point
            // at it again (undoing a move home needs a free directory slot), packets that still
            // come here are passed on to it rather than reset.
            forward.put(connKey(rx.clientIp(), rx.clientPort(), rx.serverPort()), origin);
        }
        send(from, TcpMigHeader.REJECT, REASON_ABORT_ACK, id, rx.clientIp(), rx.clientPort(), rx.serverPort(), origin,
                self, rx.value());
    }

    /**
     * The client segments a prepared slot buffered belong to the server that holds the
     * connection, which is the sender of the ABORT that ends the slot: the origin keeping it, or
     * the first target re-asserting itself after a retransmitted PREPARE_MIG was steered here.
     * The switch pointed at us until that ABORT passed it, so these segments reached no one
     * else; dropped, each would cost the client a retransmission timeout (200 ms for Linux).
     */
    private void handBack(In s, int holder) {
        if (holder == self) {
            return;
        }
        for (int i = 0; i < s.frameCount; i++) {
            int off = s.frameOffset[i];
            int len = Math.min(s.frameLength[i], fwdFrame.capacity());
            if (replayDecoder.decode(s.frames, off, len, replayFrame) != DecodedFrame.Kind.TCP) {
                continue;
            }
            fwdFrame.putBytes(0, s.frames, off, len);
            int ip = replayFrame.ipOffset - off;
            int ttl = Ipv4Header.ttl(fwdFrame, ip);
            if (ttl <= FORWARD_MIN_TTL) {
                count(MigCounter.FORWARD_TTL_EXPIRED);
                continue;
            }
            Ipv4Header.setTtl(fwdFrame, ip, ttl - 1);
            int oldDst = Ipv4Header.dst(fwdFrame, ip);
            Ipv4Header.setDst(fwdFrame, ip, holder);
            TcpCodec.updateChecksumForAddress(fwdFrame, replayFrame.l4Offset - off, oldDst, holder);
            host.transmitIpv4(fwdFrame, 0, len, holder);
            count(MigCounter.SEGMENTS_HANDED_BACK);
        }
        s.frameCount = 0;
        s.frameBytes = 0;
    }

    /**
     * Loses every migration this server is taking in, as a target dying after PREPARE_MIG_ACK
     * or after part of the state would: prepared buffers (and the segments in them) and partial
     * state are gone, the migrations remembered as aborted. Connections already restored (and the
     * memory of them, which the two-generals answer needs) stay. Origin-side migrations are kept.
     */
    public void restartTargetSide() {
        for (In s : ins) {
            if (s.state == PREPARED) {
                outcomes.remember(s.migKey, OutcomeMemory.ABORTED, 0);
                release(s);
            }
        }
        count(MigCounter.TARGET_RESTARTS);
        // RFC 793's quiet time: segments of a connection that was on its way here are dropped
        // (the client retransmits to wherever the switch ends up pointing), never reset
        quietUntil = now() + config.targetHoldNanos();
    }

    // ------------------------------------------------------------------ segments without a connection

    @Override
    public boolean onUnmatchedSegment(DecodedFrame f) {
        long ck = connKey(f.tcp.srcIp, f.tcp.srcPort, f.tcp.dstPort);
        if (inActive > 0) {
            In s = inByConn.get(ck);
            if (s != null) {
                if (s.frameCount < s.frameOffset.length && s.frameBytes + f.frameLength <= s.frames.capacity()) {
                    s.frames.putBytes(s.frameBytes, f.buffer, f.frameOffset, f.frameLength);
                    s.frameOffset[s.frameCount] = s.frameBytes;
                    s.frameLength[s.frameCount++] = f.frameLength;
                    s.frameBytes += f.frameLength;
                    count(MigCounter.SEGMENTS_BUFFERED);
                } else {
                    count(MigCounter.BUFFER_FULL_DROPS); // the client retransmits
                }
                return true;
            }
        }
        int target = forward.get(ck);
        if (target == 0) {
            if (quietUntil > now() && !f.tcp.has(io.capybara.wire.TcpSegment.SYN)) {
                count(MigCounter.QUIET_TIME_DROPS);
                return true;
            }
            return false;
        }
        int len = Math.min(f.frameLength, fwdFrame.capacity());
        fwdFrame.putBytes(0, f.buffer, f.frameOffset, len);
        int ip = f.ipOffset - f.frameOffset;
        int ttl = Ipv4Header.ttl(fwdFrame, ip);
        if (ttl <= FORWARD_MIN_TTL) {
            count(MigCounter.FORWARD_TTL_EXPIRED);
            return true;
        }
        Ipv4Header.setTtl(fwdFrame, ip, ttl - 1);
        int oldDst = Ipv4Header.dst(fwdFrame, ip);
        Ipv4Header.setDst(fwdFrame, ip, target);
        TcpCodec.updateChecksumForAddress(fwdFrame, f.l4Offset - f.frameOffset, oldDst, target);
        host.transmitIpv4(fwdFrame, 0, len, target);
        count(MigCounter.SEGMENTS_FORWARDED);
        return true;
    }


    /** Connections this server still forwards late segments for. */
    public int forwardingEntries() {
        return forward.size();
    }

    // ------------------------------------------------------------------ restore

    /** Restores (TCP + application) a CONN_STATE body and attaches it; false if unusable. */
    private boolean adopt(UnsafeBuffer state, int base, int total, long ck) {
        return restore(state, base, total, ck) != null;
    }

    private TcpConnection restore(UnsafeBuffer state, int base, int total, long ck) {
        int tcpLen = state.getInt(base + 4, BE);
        int appLen = state.getInt(base + 8, BE);
        if (tcpLen < 0 || appLen < 0 || (long) STATE_PREFIX + tcpLen + appLen != total) {
            return null;
        }
        TcpConnection c;
        try {
            c = TcpConnection.restore(state, base + STATE_PREFIX, tcpLen, now(), host.sink(), false,
                    host.bufferPool(), host.config().tcp());
        } catch (SnapshotException e) {
            return null;
        }
        if (connKey(c.remoteIp(), c.remotePort(), c.localPort()) != ck
                || host.connection(c.remoteIp(), c.remotePort(), c.localPort()) != null) {
            return null;
        }
        host.attach(c, app.handler());
        if (!app.restore(c, state, base + STATE_PREFIX + tcpLen, appLen)) {
            host.detach(c);
            return null;
        }
        watch(c);
        return c;
    }

    // ------------------------------------------------------------------ sending

    /** A message without body, built and sealed in the engine's frame buffer. */
    private void send(int dstIp, int type, int reason, int id, int clientIp, int clientPort, int serverPort,
                      int originIp, int targetIp, long value) {
        int msgLength = headers(txFrame, 0, dstIp, type, reason, id, clientIp, clientPort, serverPort, originIp,
                targetIp, value, 0, 1, 0);
        tx.seal();
        host.transmitIpv4(txFrame, 0, MSG_OFFSET + msgLength, dstIp);
    }

    /**
     * Writes Ethernet (type only: the host fills in the addresses), IPv4, UDP and TCPMig headers
     * at {@code at}, leaving {@link #tx} on the message; returns the message length. The UDP
     * checksum is 0 (RFC 768 allows it on IPv4): the message's CRC32C protects it end to end (a
     * CONN_STATE fragment's covers its header; the state's own CRC32C its body), and the switch
     * edits messages anyway.
     */
    private int headers(UnsafeBuffer b, int at, int dstIp, int type, int reason, int id, int clientIp,
                        int clientPort, int serverPort, int originIp, int targetIp, long value, int fragIndex,
                        int fragCount, int bodyLength) {
        tx.wrap(b, at + MSG_OFFSET).init(type, id).reason(reason).clientIp(clientIp).clientPort(clientPort)
                .serverPort(serverPort).originIp(originIp).targetIp(targetIp).fragment(fragIndex, fragCount)
                .value(value).bodyLength(bodyLength);
        int msgLength = tx.length();
        int udp = at + FrameEncoder.IPV4_HEADERS_LENGTH;
        b.putShort(udp, (short) TcpMigHeader.UDP_PORT, BE);
        b.putShort(udp + 2, (short) TcpMigHeader.UDP_PORT, BE);
        b.putShort(udp + 4, (short) (UdpHeader.LENGTH + msgLength), BE);
        b.putShort(udp + UdpHeader.CHECKSUM_OFFSET, (short) 0, BE);
        Ipv4Header.write(b, at + EthernetHeader.LENGTH, Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH + msgLength,
                ipId++ & 0xFFFF, Ipv4Header.FLAG_DF, Ipv4Header.DEFAULT_TTL, Ipv4Header.PROTO_UDP, self, dstIp);
        b.putShort(at + EthernetHeader.TYPE_OFFSET, (short) EthernetHeader.TYPE_IPV4, BE);
        return msgLength;
    }

    // ------------------------------------------------------------------ bookkeeping

    public static long connKey(int clientIp, int clientPort, int serverPort) {
        return (clientIp & 0xFFFF_FFFFL) << 32 | (long) (clientPort & 0xFFFF) << 16 | (serverPort & 0xFFFF);
    }

    private int nextMigrationId() {
        int id = ++nextId;
        if (id == 0) {
            id = ++nextId;
        }
        return id;
    }

    private Out findOut(int id) {
        if (outActive == 0) {
            return null;
        }
        for (Out m : outs) {
            if (m.state != FREE && m.id == id) {
                return m;
            }
        }
        return null;
    }

    private Out findOutByConn(long ck) {
        if (outActive == 0) {
            return null;
        }
        for (Out m : outs) {
            if (m.state != FREE && m.connKey == ck) {
                return m;
            }
        }
        return null;
    }

    private Out freeOut() {
        for (Out m : outs) {
            if (m.state == FREE) {
                return m;
            }
        }
        return null;
    }

    private void freeOut(Out m) {
        if (m.state == ABORTING) {
            if (abortQuietUntil.size() >= 4096) {
                // bounded without the policy's periodic clear (thousands of aborts within one
                // cool-down do not happen, so what this forgets has expired)
                abortQuietUntil.clear();
            }
            abortQuietUntil.put(m.connKey, now() + config.cooldownNanos());
        }
        if (m.state != FREE) {
            m.state = FREE;
            m.conn = null;
            outActive--;
        }
    }

    private In findIn(long mk) {
        if (inActive == 0) {
            return null;
        }
        for (In s : ins) {
            if (s.state == PREPARED && s.migKey == mk) {
                return s;
            }
        }
        return null;
    }

    private In freeIn() {
        for (In s : ins) {
            if (s.state == FREE) {
                return s;
            }
        }
        return null;
    }

    /** Returns a slot to the pool; its buffered frames are dropped (the client retransmits). */
    private void release(In s) {
        if (s.receiveStart >= 0) { // its partial receive is not a step anyone completes
            s.receiveStart = -1;
            openReceives--;
        }
        if (s.state != FREE) {
            inByConn.remove(s.connKey);
            s.state = FREE;
            inActive--;
        }
    }

    /** The server a recently completed migration of ours went to, or 0 if not remembered. */
    private int completedTarget(int id) {
        for (int i = 0; i < completedIds.length; i++) {
            if (completedIds[i] == id) {
                return completedTargets[i];
            }
        }
        return 0;
    }

    private void count(MigCounter c) {
        counters[c.ordinal()]++;
    }

    /** One migration this server runs as origin; pooled. */
    static final class Out {
        int state = FREE;
        int id;
        TcpConnection conn;
        long connKey;
        int clientIp;
        int clientPort;
        int serverPort;
        int originalIp;
        int targetIp;
        /** The target the trigger asked for (0: the switch's choice). */
        int requestedTarget;
        /** Metrics clock at the decision: where a migration's end-to-end time starts. */
        long decidedAt;
        long deadline;
        int retries;
        int backoff;
        int abortReason;
        /** The state went out and was never acknowledged: the target may hold the connection. */
        boolean stateSent;
        long overhead;
        /** The serialized connection, kept until CONN_STATE_ACK (to resend, or to take it back). */
        UnsafeBuffer state_ = new UnsafeBuffer(new byte[64 * 1024]);
        int stateLength;
    }

    /** One migration this server has prepared to take in: the temporary buffer of the paper. */
    static final class In {
        int state = FREE;
        long migKey;
        long connKey;
        int originIp;
        int id;
        int clientIp;
        int clientPort;
        int serverPort;
        int originalIp;
        long deadline;
        long overhead;
        long receiveNanos;
        /** Clock reading when the open receive interval began; -1 when none is open. */
        long receiveStart = -1;
        final UnsafeBuffer frames;
        final int[] frameOffset;
        final int[] frameLength;
        int frameCount;
        int frameBytes;
        UnsafeBuffer state_ = new UnsafeBuffer(new byte[64 * 1024]);
        long[] fragmentBits = new long[16];
        int total;
        int fragmentCount;
        int received;

        In(int frames, int bytes) {
            this.frames = new UnsafeBuffer(new byte[bytes]);
            this.frameOffset = new int[frames];
            this.frameLength = new int[frames];
        }

        void reset() {
            overhead = 0;
            frameCount = 0;
            frameBytes = 0;
            receiveNanos = 0;
            forgetFragments();
        }

        void forgetFragments() {
            total = 0;
            fragmentCount = 0;
            received = 0;
            java.util.Arrays.fill(fragmentBits, 0);
        }

        void ensure(int bytes, int fragments) {
            if (state_.capacity() < bytes) {
                state_ = new UnsafeBuffer(new byte[Math.max(bytes, 2 * state_.capacity())]);
            }
            int words = (fragments + 63) >>> 6;
            if (fragmentBits.length < words) {
                fragmentBits = new long[words];
            }
        }

        boolean has(int i) {
            return (fragmentBits[i >>> 6] & (1L << i)) != 0;
        }

        void mark(int i) {
            fragmentBits[i >>> 6] |= 1L << i;
            received++;
        }
    }
}
