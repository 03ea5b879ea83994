package io.capybara.mig;

import io.capybara.tcp.TcpConnection;
import io.capybara.wire.ConnStateEnvelope;
import io.capybara.wire.TcpMigHeader;
import java.util.function.ObjLongConsumer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The origin side of TCPMig on one server: the migrations it runs to move its connections away
 * (docs/TCPMIG.md).
 *
 * <p>PREPARING (PREPARE_MIG sent, resent on timeout) -> on PREPARE_MIG_ACK snapshot, detach,
 * send CONN_STATE, STATE_SENT (resent with backoff) -> CONN_STATE_ACK: done. A REJECT ends it
 * with the connection kept; a prepare timeout or a connection that died ends it with an ABORT
 * (through the switch, which points the directory back), state ABORTING until the target
 * confirms; a target that never acknowledges the state is presumed dead after the whole retry
 * budget: the origin restores its own snapshot.
 */
final class Origin extends EngineSide {
    /** The phases of one outgoing migration (a slot of the pool holds it meanwhile). */
    enum State { PREPARING, STATE_SENT, ABORTING }

    /** Allowance per CONN_STATE fragment in the state timeout (1.2 us per hop at 10 Gb/s, two hops). */
    private static final long FRAGMENT_TIME_NANOS = 4_000;

    private final SlotPool<Migration> migrations;
    private final ObjLongConsumer<Migration> onTimeout = (m, now) -> onTimeout(m);
    private int nextId;
    /** The last completed outgoing migrations (id, target), to answer stray ACKs that follow them. */
    private final int[] completedIds = new int[64];
    private final int[] completedTargets = new int[64];
    private int completedHead;
    /**
     * Connections whose last migration ended in an ABORT, until copies of that ABORT can no
     * longer be in the network: the switch acts on ABORT without state, so a late copy would
     * re-point (or remove) the entry a newer migration of the same connection installed.
     */
    private final Long2LongHashMap abortQuietUntil = new Long2LongHashMap(Long.MIN_VALUE);

    Origin(MigrationEngine engine, ControlSender sender, ForwardTable forward, TcpMigHeader rx) {
        super(engine, sender, forward, rx);
        this.migrations = new SlotPool<>(config.maxOutgoing(), Migration[]::new, Migration::new);
    }

    int active() {
        return migrations.claimed();
    }

    boolean full() {
        return migrations.full();
    }

    boolean isMigrating(long ck) {
        return findByConn(ck) != null;
    }

    /** Forgets the ABORT quiet periods (the policy does it now and then; they are long over). */
    void forgetAbortQuiet() {
        abortQuietUntil.clear();
    }

    /** See {@link MigrationEngine#migrate(TcpConnection, int)}. */
    int migrate(TcpConnection conn, int targetIp) {
        long t0 = metrics.now();
        if (conn == null || !host.holds(conn) || !MigrationEngine.eligible(conn) || app.snapshotSize(conn) < 0) {
            engine.count(MigCounter.NOT_ELIGIBLE); // (the application cannot move it now, e.g. a TLS handshake)
            return -1;
        }
        long ck = MigrationEngine.connKey(conn.remoteIp(), conn.remotePort(), conn.localPort());
        if (findByConn(ck) != null) {
            engine.count(MigCounter.NOT_ELIGIBLE);
            return -1;
        }
        if (!abortQuietUntil.isEmpty()) {
            long quiet = abortQuietUntil.get(ck);
            if (quiet > engine.now()) {
                engine.count(MigCounter.NOT_ELIGIBLE); // its last migration's ABORTs may still be in flight
                return -1;
            }
            if (quiet != Long.MIN_VALUE) {
                abortQuietUntil.remove(ck);
            }
        }
        Migration m = migrations.claim();
        if (m == null) {
            engine.count(MigCounter.TOO_MANY_OUTGOING);
            return -1;
        }
        long at = engine.now();
        m.id = nextMigrationId();
        m.state = State.PREPARING;
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
        m.deadline = engine.arm(at + config.prepareTimeoutNanos());
        long t1 = metrics.lap(MigrationStep.ORIGIN_DECIDE, self, m.id, t0);
        engine.count(MigCounter.STARTED);
        engine.coolDown(ck, at);
        sendPrepare(m);
        m.overhead = metrics.lap(MigrationStep.ORIGIN_SEND_PREPARE, self, m.id, t1) - t0;
        return m.id;
    }

    /** Runs the timers due at {@code now}; re-arms the engine's timer for those still running. */
    int expire(long now) {
        return migrations.expire(now, onTimeout, armTimer);
    }

    void onPrepareAck() {
        int id = rx.migrationId();
        int ackTarget = rx.targetIp();
        if (ackTarget == 0 || ackTarget == self) {
            engine.count(MigCounter.CONTROL_MALFORMED); // no server takes a connection as 0.0.0.0, or from itself
            return;
        }
        Migration m = rx.originIp() == self ? find(id) : null;
        if (m == null || m.state != State.PREPARING) {
            if (m != null && m.targetIp == ackTarget) {
                engine.count(MigCounter.CONTROL_DUPLICATE);
                if (m.state == State.ABORTING) {
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
        if (!host.holds(c) || !MigrationEngine.eligible(c)) {
            // closed (RST, or both FINs done) while we were preparing: give the switch back
            outcome(m, MigCounter.ABORTED_CONNECTION_GONE);
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
        long nowNs = engine.now();
        int appNeed = app.snapshotSize(c);
        int need = ConnStateEnvelope.PREFIX_LENGTH + c.snapshotSize() + appNeed;
        if (appNeed < 0 || need > config.maxStateBytes()) {
            outcome(m, MigCounter.ABORTED_SNAPSHOT_TOO_LARGE);
            startAbort(m, TcpMigHeader.REASON_TARGET_BUSY);
            return;
        }
        if (m.kept.capacity() < need) {
            m.kept = new UnsafeBuffer(new byte[Math.max(need, 2 * m.kept.capacity())]);
        }
        envelope.wrap(m.kept, 0);
        int tcpLen = c.snapshot(m.kept, envelope.tcpOffset(), nowNs, false); // the envelope's CRC covers it
        int appLen = app.snapshot(c, m.kept, envelope.tcpOffset() + tcpLen);
        m.keptLength = envelope.seal(tcpLen, appLen);
        host.detach(c);
        engine.unwatch(c);
        c.recycle(host.bufferPool()); // the snapshot is the connection now; its memory serves restores here
        m.conn = null;
        forward.put(m.connKey, m.targetIp);
        long t3 = metrics.lap(MigrationStep.ORIGIN_SERIALIZE, self, id, t2);
        sendState(m);
        m.state = State.STATE_SENT;
        m.holdEndsAt = nowNs + config.targetHoldNanos();
        m.retries = 0;
        m.backoff = 1;
        m.deadline = engine.arm(nowNs + stateTimeout(m));
        m.overhead += metrics.lap(MigrationStep.ORIGIN_SEND_STATE, self, id, t3) - t0;
    }

    /**
     * An ACK that is not the one we wait for: the switch has just pointed the connection at
     * {@code stray}. If the connection is (again) here, an ABORT points it back and frees the
     * stray target; if it went to another target, that target is asked to re-assert itself.
     */
    private void strayAck(Migration m, int stray) {
        engine.count(MigCounter.STRAY_ACK);
        int clientIp = rx.clientIp();
        int clientPort = rx.clientPort();
        int serverPort = rx.serverPort();
        int id = rx.migrationId();
        long original = rx.value();
        if (stray == self) {
            return;
        }
        TcpConnection here = host.connection(clientIp, clientPort, serverPort);
        if (m != null && m.state == State.ABORTING) {
            // the connection stays with us (or is gone: then originalIp is us and the entry goes)
            sender.send(stray, TcpMigHeader.ABORT, m.abortReason, id, clientIp, clientPort, serverPort, self, stray,
                    m.originalIp);
            return;
        }
        if (m == null && here != null && findByConn(MigrationEngine.connKey(clientIp, clientPort, serverPort)) == null) {
            // a late ACK of a finished migration while the connection is (back) here
            sender.send(stray, TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, id, clientIp, clientPort, serverPort,
                    self, stray, original);
            return;
        }
        // A copy of our PREPARE_MIG was steered to a second target: a retransmitted one while
        // the state travels (the first ACK won), or a duplicated one after the migration
        // completed. The target that took the connection re-asserts itself with an ABORT of its
        // own, which also frees the stray target.
        int holder = m != null ? m.targetIp : here == null ? completedTarget(id) : 0;
        if (holder != 0 && holder != stray) {
            sender.send(holder, TcpMigHeader.REJECT, TcpMigHeader.REASON_REASSERT, id, clientIp, clientPort,
                    serverPort, self, stray, original);
            return;
        }
        // Otherwise: a late duplicate of an ACK whose migration finished re-pointed the switch at
        // the target that took the connection then, which still holds it (the cool-down
        // outlasts network delays).
    }

    /** A REJECT for one of ours (not a re-assert, which is for the holder: {@link Target#onReassert}). */
    void onReject() {
        int id = rx.migrationId();
        int reason = rx.reason();
        Migration m = rx.originIp() == self ? find(id) : null;
        if (reason == TcpMigHeader.REASON_HOLD_EXPIRED) {
            // a target's hold of ours ran out: if it was a stray, repair the switch as for its ACK
            if (rx.originIp() == self) {
                strayAck(m, rx.targetIp());
            } else {
                engine.count(MigCounter.CONTROL_UNEXPECTED);
            }
            return;
        }
        if (m == null) {
            engine.count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        if (reason == TcpMigHeader.REASON_ABORT_ACK) {
            if (m.state == State.ABORTING) {
                engine.count(MigCounter.ABORT_CONFIRMED);
                if (m.stateSent) {
                    // the target confirms it did not restore and never will: take the connection back
                    outcome(m, MigCounter.ABORTED_STATE_REFUSED);
                    restoreLocally(m);
                }
                free(m);
            } else {
                engine.count(MigCounter.CONTROL_DUPLICATE);
            }
            return;
        }
        if (m.state != State.PREPARING) {
            engine.count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        switch (reason) {
            case TcpMigHeader.REASON_NO_TARGET -> outcome(m, MigCounter.REJECTED_NO_TARGET);
            case TcpMigHeader.REASON_DIRECTORY_FULL -> {
                outcome(m, MigCounter.REJECTED_DIRECTORY_FULL);
                // the target holds a slot for nothing: free it now rather than at its hold timeout
                if (rx.targetIp() != 0) {
                    sender.send(rx.targetIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_DIRECTORY_FULL, id, m.clientIp,
                            m.clientPort, m.serverPort, self, rx.targetIp(), m.originalIp);
                }
            }
            default -> outcome(m, MigCounter.REJECTED_TARGET_BUSY);
        }
        if (reason != TcpMigHeader.REASON_DIRECTORY_FULL) {
            // Nothing of this migration reached the directory, but a stray ACK of an earlier one
            // may have: an ABORT from the holder makes the switch agree (idempotent otherwise).
            sender.send(config.switchIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_NONE, id, m.clientIp, m.clientPort,
                    m.serverPort, self, 0, m.originalIp);
        }
        metrics.forget(MigrationMetrics.key(self, id));
        free(m);
    }

    void onStateAck(int from) {
        int id = rx.migrationId();
        Migration m = rx.originIp() == self ? find(id) : null;
        if (m == null || m.targetIp != from) {
            engine.count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        if (m.state == State.ABORTING && m.stateSent) {
            // The target restored after all (its ACKs were lost): it keeps the connection and
            // has re-pointed the switch at itself. We never took ours back: done.
            engine.count(MigCounter.LATE_STATE_ACK);
            m.state = State.STATE_SENT;
        }
        if (m.state != State.STATE_SENT) {
            engine.count(MigCounter.CONTROL_DUPLICATE);
            return;
        }
        long t0 = metrics.now();
        outcome(m, MigCounter.COMPLETED);
        completedIds[completedHead] = id;
        completedTargets[completedHead] = m.targetIp;
        completedHead = (completedHead + 1) & (completedIds.length - 1);
        free(m);
        m.overhead += metrics.step(MigrationStep.ORIGIN_RECEIVE_STATE_ACK, self, id, t0);
        metrics.overheadPart(MigrationMetrics.key(self, id), m.overhead);
        metrics.half(self, id, true, m.decidedAt, m.overhead);
    }

    private void onTimeout(Migration m) {
        long at = engine.now();
        switch (m.state) {
            case PREPARING -> {
                if (m.retries < config.prepareRetries()) {
                    m.retries++;
                    engine.count(MigCounter.PREPARE_RETRANSMITTED);
                    sendPrepare(m);
                    m.deadline = engine.arm(at + config.prepareTimeoutNanos());
                } else {
                    // An ACK may have passed the switch and been lost: make the directory agree.
                    outcome(m, MigCounter.ABORTED_PREPARE_TIMEOUT);
                    startAbort(m, TcpMigHeader.REASON_TIMEOUT);
                }
            }
            case STATE_SENT -> {
                if (m.retries < config.stateRetries()) {
                    m.retries++;
                    m.backoff = Math.min(8, m.backoff * 2);
                    engine.count(MigCounter.STATE_RETRANSMITTED);
                    sendState(m);
                    m.deadline = engine.arm(at + stateTimeout(m));
                } else {
                    // Ask before taking it back: ABORT points the switch at us; a target that did
                    // restore answers CONN_STATE_ACK (and re-points the switch at itself), one that
                    // did not answers ABORT-ACK and will never restore. Silence = dead target.
                    engine.count(MigCounter.STATE_UNANSWERED);
                    m.stateSent = true;
                    startAbort(m, TcpMigHeader.REASON_TIMEOUT);
                }
            }
            case ABORTING -> {
                if (m.retries < config.abortRetries()) {
                    m.retries++;
                    sendAbort(m);
                    m.deadline = engine.arm(at + config.abortTimeoutNanos());
                } else {
                    // with no known target nobody answers; the switch acted on the first ABORT
                    if (m.stateSent && at < m.holdEndsAt) {
                        // Silence from a slow (starved) target is not death: it may still restore
                        // the state it holds until its hold runs out. Take the connection back
                        // only then, or both would hold it.
                        m.deadline = engine.arm(m.holdEndsAt);
                        return;
                    }
                    if (m.targetIp != 0) {
                        engine.count(MigCounter.ABORT_UNCONFIRMED);
                    }
                    if (m.stateSent) {
                        outcome(m, MigCounter.ABORTED_TARGET_DEAD);
                        restoreLocally(m);
                    }
                    free(m);
                }
            }
        }
    }

    /**
     * The connection stays (or is again) here: ABORT through the switch, which points the
     * directory back at us, and tells the target to free its buffer.
     */
    private void startAbort(Migration m, int reason) {
        metrics.forget(MigrationMetrics.key(self, m.id));
        m.state = State.ABORTING;
        m.abortReason = reason;
        m.retries = 0;
        m.conn = null;
        sendAbort(m);
        m.deadline = engine.arm(engine.now() + config.abortTimeoutNanos());
    }

    private void sendAbort(Migration m) {
        if (!m.stateSent && m.originalIp != self
                && host.connection(m.clientIp, m.clientPort, m.serverPort) == null) {
            // The connection ended here while we abort (its watch has told the switch to drop
            // the entry): a resent ABORT naming the original server would re-point, or
            // re-install, the entry at us for a connection that is gone. Name ourselves: release.
            m.originalIp = self;
        }
        sender.send(m.targetIp != 0 ? m.targetIp : config.switchIp(), TcpMigHeader.ABORT, m.abortReason, m.id,
                m.clientIp, m.clientPort, m.serverPort, self, m.targetIp, m.originalIp);
    }

    /** The target never acknowledged the state: the snapshot we kept becomes the connection again. */
    /** Counts a migration's outcome and reports it (one per migration) to the metrics' observer. */
    private void outcome(Migration m, MigCounter c) {
        engine.count(c);
        metrics.outcome(m.clientIp, m.clientPort, m.targetIp, c, m.decidedAt);
    }

    private void restoreLocally(Migration m) {
        if (engine.restore(envelope.wrap(m.kept, 0), m.keptLength, m.connKey) == null) {
            engine.count(MigCounter.STATE_INVALID);
            return;
        }
        forward.remove(m.connKey);
        engine.count(MigCounter.RESTORED_LOCALLY);
    }

    /** The state's timeout grows with its size: each fragment takes time on every link it crosses. */
    private long stateTimeout(Migration m) {
        return (config.stateTimeoutNanos() + sender.fragments(m.keptLength) * FRAGMENT_TIME_NANOS) * m.backoff;
    }

    private void sendPrepare(Migration m) {
        engine.count(MigCounter.PREPARE_SENT);
        sender.send(config.switchIp(), TcpMigHeader.PREPARE_MIG, 0, m.id, m.clientIp, m.clientPort, m.serverPort,
                self, m.requestedTarget, m.originalIp);
    }

    private void sendState(Migration m) {
        int n = sender.sendState(m.targetIp, m.id, m.clientIp, m.clientPort, m.serverPort, m.kept, m.keptLength);
        engine.count(MigCounter.STATE_FRAGMENTS_SENT, n);
    }

    private int nextMigrationId() {
        int id = ++nextId;
        if (id == 0) {
            id = ++nextId;
        }
        return id;
    }

    private Migration find(int id) {
        return migrations.find(m -> m.id, id);
    }

    private Migration findByConn(long ck) {
        return migrations.find(m -> m.connKey, ck);
    }

    private void free(Migration m) {
        if (!m.claimed()) {
            return;
        }
        if (m.state == State.ABORTING) {
            if (abortQuietUntil.size() >= 4096) {
                // bounded without the policy's periodic clear (thousands of aborts within one
                // cool-down do not happen, so what this forgets has expired)
                abortQuietUntil.clear();
            }
            abortQuietUntil.put(m.connKey, engine.now() + config.cooldownNanos());
        }
        migrations.release(m);
        m.conn = null;
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

    /** One migration this server runs as origin; pooled. */
    private static final class Migration extends SlotPool.Slot {
        State state;
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
        int retries;
        int backoff;
        int abortReason;
        /** The state went out and was never acknowledged: the target may hold the connection. */
        boolean stateSent;
        /** When the target's hold of its prepared slot surely ran out (it refuses the state after). */
        long holdEndsAt;
        long overhead;
        /** The serialized connection (a {@link ConnStateEnvelope}), kept until CONN_STATE_ACK (to resend, or to take it back). */
        UnsafeBuffer kept = new UnsafeBuffer(new byte[64 * 1024]);
        int keptLength;
    }
}
