package io.capybara.mig;

import io.capybara.tcp.TcpConnection;
import io.capybara.wire.ConnStateEnvelope;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.WireCounters;
import java.util.function.ObjLongConsumer;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The target side of TCPMig on one server: the migrations it has agreed to take in
 * (docs/TCPMIG.md).
 *
 * <p>PREPARE_MIG -> a slot from the pool (or REJECT target busy), PREPARED, PREPARE_MIG_ACK;
 * client segments are copied into the slot (the temporary buffer of the paper); the complete
 * CONN_STATE is restored, attached, handed to the application, the buffered segments replayed,
 * CONN_STATE_ACK sent, the slot released to the pool. Outcomes are remembered so duplicates are answered,
 * never applied twice.
 */
final class Target extends EngineSide {
    /** Times a slot whose hold ran out asks its origin for the ABORT that frees it. */
    static final int HOLD_NOTICES = 3;

    private final Forwarder forwarder;
    private final int fragmentBody;
    private final FrameDecoder replayDecoder = new FrameDecoder(new WireCounters(), false);
    private final DecodedFrame replayFrame = new DecodedFrame();
    /** A claimed slot is PREPARED: it buffers its connection's segments until the state comes. */
    private final SlotPool<Slot> slots;
    private final ObjLongConsumer<Slot> onHoldExpired = this::onHoldExpired;
    private final Long2ObjectHashMap<Slot> byConn = new Long2ObjectHashMap<>();
    private final OutcomeMemory outcomes;
    /** Slots whose receive interval is open (see {@link #onState}). */
    private int openReceives;
    /** After a restart of the target side: until then unmatched segments are dropped, not reset. */
    private long quietUntil = Long.MIN_VALUE;

    Target(MigrationEngine engine, ControlSender sender, ForwardTable forward, Forwarder forwarder, TcpMigHeader rx) {
        super(engine, sender, forward, rx);
        this.forwarder = forwarder;
        this.fragmentBody = sender.fragmentBody();
        this.slots = new SlotPool<>(config.tempBufferSlots(), Slot[]::new,
                () -> new Slot(config.tempBufferFrames(), config.tempBufferBytes()));
        this.outcomes = new OutcomeMemory(config.outcomeMemory());
    }

    int active() {
        return slots.claimed();
    }

    boolean isPreparedFor(long ck) {
        return byConn.containsKey(ck);
    }

    /** Ends the receive intervals of states still missing fragments after the last poll's burst. */
    void closeOpenReceives() {
        if (openReceives == 0) {
            return;
        }
        long t = metrics.now();
        for (Slot s : slots.all()) {
            closeReceive(s, t);
        }
    }

    /** Frees the slots whose hold ran out; re-arms the engine's timer for the others. */
    int expire(long now) {
        return slots.expire(now, onHoldExpired, armTimer);
    }

    private void onHoldExpired(Slot s, long now) {
        if (s.notices == 0) {
            engine.count(MigCounter.HOLD_EXPIRED);
        }
        if (s.notices < HOLD_NOTICES) {
            // Our ACK may have pointed the switch here for a connection another target
            // holds (a stray copy of a PREPARE_MIG): tell the origin, which has that
            // target re-assert itself; its ABORT frees this slot. Either message may be
            // lost, so ask again, after the origin's ABORT timeout and its doublings
            // (a round trip, not another hold: a dead origin keeps the slot ~1.4 ms
            // longer by default); state that comes now is refused.
            s.notices++;
            sender.send(s.originIp, TcpMigHeader.REJECT, TcpMigHeader.REASON_HOLD_EXPIRED, s.id, s.clientIp,
                    s.clientPort, s.serverPort, s.originIp, self, s.originalIp);
            s.deadline = now + (config.abortTimeoutNanos() << (s.notices - 1));
        } else {
            outcomes.remember(s.migKey, OutcomeMemory.ABORTED, 0);
            release(s);
        }
    }

    void onPrepare() {
        int origin = rx.originIp();
        int id = rx.migrationId();
        long mk = MigrationMetrics.key(origin, id);
        long t0 = metrics.now();
        if (outcomes.knows(mk)) {
            engine.count(MigCounter.PREPARE_DUPLICATE);
            return;
        }
        Slot s = find(mk);
        int clientIp = rx.clientIp();
        int clientPort = rx.clientPort();
        int serverPort = rx.serverPort();
        if (s == null) {
            long ck = MigrationEngine.connKey(clientIp, clientPort, serverPort);
            if (host.connection(clientIp, clientPort, serverPort) != null) {
                engine.count(MigCounter.CONNECTION_ALREADY_HERE);
                sender.send(origin, TcpMigHeader.REJECT, TcpMigHeader.REASON_TARGET_BUSY, id, clientIp, clientPort,
                        serverPort, origin, self, rx.value());
                return;
            }
            Slot stale = byConn.get(ck);
            if (stale != null) {
                outcomes.remember(stale.migKey, OutcomeMemory.ABORTED, 0);
                release(stale);
            }
            s = engine.isDraining() ? null : slots.claim(); // a draining server takes nothing in
            if (s == null) {
                engine.count(MigCounter.REJECTED_BUSY_SENT);
                sender.send(origin, TcpMigHeader.REJECT, TcpMigHeader.REASON_TARGET_BUSY, id, clientIp, clientPort,
                        serverPort, origin, self, rx.value());
                return;
            }
            s.migKey = mk;
            s.connKey = ck;
            s.originIp = origin;
            s.id = id;
            s.clientIp = clientIp;
            s.clientPort = clientPort;
            s.serverPort = serverPort;
            s.originalIp = (int) rx.value();
            s.deadline = engine.arm(engine.now() + config.targetHoldNanos());
            s.notices = 0;
            s.reset();
            byConn.put(ck, s);
            engine.count(MigCounter.PREPARED);
        } else {
            engine.count(MigCounter.PREPARE_DUPLICATE);
            if (s.notices > 0) {
                return; // our hold ran out: no ACK may point the switch here again
            }
        }
        long t1 = metrics.lap(MigrationStep.TARGET_RECEIVE_PREPARE, self, id, t0);
        sender.send(origin, TcpMigHeader.PREPARE_MIG_ACK, 0, id, clientIp, clientPort, serverPort, origin, self,
                s.originalIp);
        long t2 = metrics.lap(MigrationStep.TARGET_SEND_ACK, self, id, t1);
        s.overhead += t2 - t0;
        metrics.blackoutStarts(mk, t2);
    }

    /** A CONN_STATE fragment; its body lies in {@code message} at {@code rx.bodyOffset()}. */
    void onState(DirectBuffer message) {
        int origin = rx.originIp();
        int id = rx.migrationId();
        long mk = MigrationMetrics.key(origin, id);
        Slot s = find(mk); // a prepared slot has no outcome yet: the common case skips the map
        long known = s != null ? 0 : outcomes.result(mk);
        if (known == OutcomeMemory.RESTORED) {
            if (rx.fragmentIndex() != rx.fragmentCount() - 1) {
                engine.count(MigCounter.STATE_FRAGMENT_DUPLICATE); // one answer per resent state, on its last fragment
                return;
            }
            engine.count(MigCounter.STATE_REACKED);
            sender.send(origin, TcpMigHeader.CONN_STATE_ACK, 0, id, rx.clientIp(), rx.clientPort(), rx.serverPort(),
                    origin, self, 0);
            return;
        }
        if (s != null && s.claimed() && (s.notices > 0 || s.deadline <= engine.now())) {
            // The hold ran out before this (late) state was read: the origin takes the
            // connection back then, so restoring it too would give it two holders.
            engine.count(MigCounter.HOLD_EXPIRED);
            outcomes.remember(s.migKey, OutcomeMemory.ABORTED, 0);
            release(s);
            return;
        }
        if (s == null) {
            engine.count(MigCounter.STATE_FOR_UNKNOWN_MIGRATION);
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
        if (total > config.maxStateBytes() || total < ConnStateEnvelope.PREFIX_LENGTH
                || (long) count * fragmentBody < total || (long) (count - 1) * fragmentBody >= total) {
            engine.count(MigCounter.STATE_TOO_LARGE);
            return;
        }
        if (s.total == 0) {
            s.total = (int) total;
            s.fragmentCount = count;
            s.ensure((int) total, count);
        } else if (s.total != total || s.fragmentCount != count) {
            engine.count(MigCounter.STATE_INVALID);
            return;
        }
        int expected = Math.min(fragmentBody, s.total - index * fragmentBody);
        if (bodyLength != expected) {
            engine.count(MigCounter.STATE_INVALID);
            return;
        }
        if (s.has(index)) {
            engine.count(MigCounter.STATE_FRAGMENT_DUPLICATE);
            return;
        }
        s.assembled.putBytes(index * fragmentBody, message, rx.bodyOffset(), bodyLength);
        s.mark(index);
        engine.count(MigCounter.STATE_FRAGMENTS_RECEIVED);
        if (s.received == s.fragmentCount) {
            long t1 = metrics.now();
            closeReceive(s, t1);
            complete(s, t1);
        }
    }

    private void closeReceive(Slot s, long nowClock) {
        if (s.receiveStart >= 0) {
            s.receiveNanos += Math.max(0, nowClock - s.receiveStart);
            s.receiveStart = -1;
            openReceives--;
        }
    }

    private void complete(Slot s, long t0) {
        if (!envelope.wrap(s.assembled, 0).checksumMatches(s.total)) {
            // a body damaged on the way (fragment CRCs cover headers only): start over, and take
            // the origin's resend; the slot, the segments it buffered and the receive time so
            // far stay (recorded once, when a state restores)
            engine.count(MigCounter.STATE_CORRUPT);
            s.forgetFragments();
            return;
        }
        int id = s.id;
        long mk = s.migKey;
        s.overhead += s.receiveNanos;
        metrics.record(MigrationStep.TARGET_RECEIVE_STATE, self, id, s.receiveNanos);
        if (host.connection(s.clientIp, s.clientPort, s.serverPort) != null) {
            engine.count(MigCounter.CONNECTION_ALREADY_HERE);
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
            release(s);
            return;
        }
        TcpConnection c = engine.restore(envelope, s.total, s.connKey);
        if (c == null) {
            engine.count(MigCounter.STATE_INVALID);
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
            release(s);
            return;
        }
        long t1 = metrics.lap(MigrationStep.TARGET_DESERIALIZE, self, id, t0);
        for (int i = 0; i < s.frameCount; i++) {
            if (replayDecoder.decode(s.frames, s.frameOffset[i], s.frameLength[i], replayFrame)
                    == DecodedFrame.Kind.TCP
                    && host.connection(s.clientIp, s.clientPort, s.serverPort) == c) {
                c.onSegment(replayFrame.tcp, engine.now());
                engine.count(MigCounter.SEGMENTS_REPLAYED);
            }
        }
        long t2 = t1;
        if (s.frameCount > 0) {
            t2 = metrics.lap(MigrationStep.TARGET_REPLAY, self, id, t1);
        } else {
            metrics.record(MigrationStep.TARGET_REPLAY, self, id, 0); // nothing buffered: nothing to time
        }
        engine.count(MigCounter.RESTORED);
        outcomes.remember(mk, OutcomeMemory.RESTORED, s.connKey);
        engine.coolDown(s.connKey, engine.now());
        if (!forward.isEmpty()) {
            forward.remove(s.connKey);
        }
        sender.send(s.originIp, TcpMigHeader.CONN_STATE_ACK, 0, id, s.clientIp, s.clientPort, s.serverPort, s.originIp,
                self, 0);
        engine.count(MigCounter.STATE_ACK_SENT);
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

    void onAbort(int from) {
        int origin = rx.originIp();
        int id = rx.migrationId();
        long mk = MigrationMetrics.key(origin, id);
        engine.count(MigCounter.ABORT_RECEIVED);
        Slot s = find(mk);
        if (s != null) {
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
            handBack(s, from);
            release(s);
        } else if (outcomes.result(mk) == OutcomeMemory.RESTORED) {
            // The origin's ACKs were lost and it asks before taking the connection back. We
            // have it (and may already have served it): keep it, answer CONN_STATE_ACK, and
            // re-point the switch, which the origin's ABORT just pointed at the origin.
            engine.count(MigCounter.ABORT_AFTER_RESTORE);
            long ck = outcomes.connection(mk);
            TcpConnection c = host.connection((int) (ck >>> 32), (int) (ck >>> 16) & 0xFFFF, (int) ck & 0xFFFF);
            if (c != null) {
                sender.send(origin, TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, id, rx.clientIp(),
                        rx.clientPort(), rx.serverPort(), origin, self, c.localIp());
            }
            sender.send(origin, TcpMigHeader.CONN_STATE_ACK, 0, id, rx.clientIp(), rx.clientPort(), rx.serverPort(),
                    origin, self, 0);
            return;
        } else if (!outcomes.knows(mk) && from == origin && rx.targetIp() == self
                && host.connection(rx.clientIp(), rx.clientPort(), rx.serverPort()) != null) {
            // We forgot this migration (our migration layer restarted) but hold its connection:
            // it was restored here. Same answer as above.
            engine.count(MigCounter.ABORT_AFTER_RESTORE);
            outcomes.remember(mk, OutcomeMemory.RESTORED,
                    MigrationEngine.connKey(rx.clientIp(), rx.clientPort(), rx.serverPort()));
            sender.send(origin, TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, id, rx.clientIp(), rx.clientPort(),
                    rx.serverPort(), origin, self,
                    host.connection(rx.clientIp(), rx.clientPort(), rx.serverPort()).localIp());
            sender.send(origin, TcpMigHeader.CONN_STATE_ACK, 0, id, rx.clientIp(), rx.clientPort(), rx.serverPort(),
                    origin, self, 0);
            return;
        } else if (!outcomes.knows(mk)) {
            outcomes.remember(mk, OutcomeMemory.ABORTED, 0);
        }
        if (from == origin && rx.reason() != TcpMigHeader.REASON_CONNECTION_GONE
                && host.connection(rx.clientIp(), rx.clientPort(), rx.serverPort()) == null) {
            // The origin keeps (or takes back) the connection. Should the switch fail to point
            // at it again (undoing a move home needs a free directory slot), packets that still
            // come here are passed on to it rather than reset.
            forward.put(MigrationEngine.connKey(rx.clientIp(), rx.clientPort(), rx.serverPort()), origin);
        }
        sender.send(from, TcpMigHeader.REJECT, TcpMigHeader.REASON_ABORT_ACK, id, rx.clientIp(), rx.clientPort(),
                rx.serverPort(), origin, self, rx.value());
    }

    /**
     * REJECT(re-assert): someone prepared a stray target for a connection we hold or are taking
     * in. An ABORT from us makes the switch point the entry at us (or drop it if we are the
     * original server); the stray target, its destination, frees its slot.
     */
    void onReassert(boolean migratingOut) {
        int clientIp = rx.clientIp();
        int clientPort = rx.clientPort();
        int serverPort = rx.serverPort();
        long ck = MigrationEngine.connKey(clientIp, clientPort, serverPort);
        if (host.connection(clientIp, clientPort, serverPort) == null && !byConn.containsKey(ck)) {
            engine.count(MigCounter.CONTROL_UNEXPECTED);
            return;
        }
        if (migratingOut) {
            // we are moving it on already: that migration's ACK (or the ABORT that follows a
            // REJECT) sets the directory; an ABORT from us now could land after that ACK
            engine.count(MigCounter.CONTROL_UNEXPECTED);
            return;
        }
        sender.send(rx.targetIp(), TcpMigHeader.ABORT, TcpMigHeader.REASON_TIMEOUT, rx.migrationId(), clientIp,
                clientPort, serverPort, rx.originIp(), rx.targetIp(), rx.value());
    }

    /**
     * The client segments a prepared slot buffered belong to the server that holds the
     * connection, which is the sender of the ABORT that ends the slot: the origin keeping it, or
     * the first target re-asserting itself after a retransmitted PREPARE_MIG was steered here.
     * The switch pointed at us until that ABORT passed it, so these segments reached no one
     * else; dropped, each would cost the client a retransmission timeout (200 ms for Linux).
     */
    private void handBack(Slot s, int holder) {
        if (holder == self) {
            return;
        }
        for (int i = 0; i < s.frameCount; i++) {
            int off = s.frameOffset[i];
            int len = Math.min(s.frameLength[i], Forwarder.MAX_FRAME);
            if (replayDecoder.decode(s.frames, off, len, replayFrame) != DecodedFrame.Kind.TCP) {
                continue;
            }
            if (forwarder.forward(s.frames, off, len, replayFrame.ipOffset, replayFrame.l4Offset, holder)) {
                engine.count(MigCounter.SEGMENTS_HANDED_BACK);
            } else {
                engine.count(MigCounter.FORWARD_TTL_EXPIRED);
            }
        }
        s.frameCount = 0;
        s.frameBytes = 0;
    }

    /**
     * A client segment for a connection that is not (yet) here: kept in the slot prepared for
     * it, or dropped during the quiet time after a restart.
     *
     * @return true if consumed (buffered or dropped), false if no slot and no quiet time claims it
     */
    boolean onSegment(DecodedFrame f, long ck) {
        if (slots.claimed() > 0) {
            Slot s = byConn.get(ck);
            if (s != null) {
                if (s.frameCount < s.frameOffset.length && s.frameBytes + f.frameLength <= s.frames.capacity()) {
                    s.frames.putBytes(s.frameBytes, f.buffer, f.frameOffset, f.frameLength);
                    s.frameOffset[s.frameCount] = s.frameBytes;
                    s.frameLength[s.frameCount++] = f.frameLength;
                    s.frameBytes += f.frameLength;
                    engine.count(MigCounter.SEGMENTS_BUFFERED);
                } else {
                    engine.count(MigCounter.BUFFER_FULL_DROPS); // the client retransmits
                }
                return true;
            }
        }
        return false;
    }

    /** Whether a segment no one claims is dropped (quiet time after a restart) rather than answered. */
    boolean quietDrop(DecodedFrame f) {
        if (quietUntil > engine.now() && !f.tcp.has(TcpSegment.SYN)) {
            engine.count(MigCounter.QUIET_TIME_DROPS);
            return true;
        }
        return false;
    }

    /** See {@link MigrationEngine#restartTargetSide}. */
    void restart() {
        for (Slot s : slots.all()) {
            if (s.claimed()) {
                outcomes.remember(s.migKey, OutcomeMemory.ABORTED, 0);
                release(s);
            }
        }
        engine.count(MigCounter.TARGET_RESTARTS);
        // RFC 793's quiet time: segments of a connection that was on its way here are dropped
        // (the client retransmits to wherever the switch ends up pointing), never reset
        quietUntil = engine.now() + config.targetHoldNanos();
    }

    private Slot find(long mk) {
        return slots.find(s -> s.migKey, mk);
    }

    /** Returns a slot to the pool; its buffered frames are dropped (the client retransmits). */
    private void release(Slot s) {
        if (s.receiveStart >= 0) { // its partial receive is not a step anyone completes
            s.receiveStart = -1;
            openReceives--;
        }
        if (slots.release(s)) {
            byConn.remove(s.connKey);
        }
    }

    /** One migration this server has prepared to take in: the temporary buffer of the paper. */
    private static final class Slot extends SlotPool.Slot {
        long migKey;
        long connKey;
        int originIp;
        int id;
        int clientIp;
        int clientPort;
        int serverPort;
        int originalIp;
        /** Hold-expired notices sent to the origin (the slot waits for an ABORT, refusing state). */
        int notices;
        long overhead;
        long receiveNanos;
        /** Clock reading when the open receive interval began; -1 when none is open. */
        long receiveStart = -1;
        final UnsafeBuffer frames;
        final int[] frameOffset;
        final int[] frameLength;
        int frameCount;
        int frameBytes;
        /** The CONN_STATE body (a {@link ConnStateEnvelope}) as its fragments arrive. */
        UnsafeBuffer assembled = new UnsafeBuffer(new byte[64 * 1024]);
        long[] fragmentBits = new long[16];
        int total;
        int fragmentCount;
        int received;

        Slot(int frames, int bytes) {
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
            if (assembled.capacity() < bytes) {
                assembled = new UnsafeBuffer(new byte[Math.max(bytes, 2 * assembled.capacity())]);
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
