package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.ABSENT;
import static io.capybara.wire.TcpSegment.ACK;
import static io.capybara.wire.TcpSegment.FIN;
import static io.capybara.wire.TcpSegment.PSH;
import static io.capybara.wire.TcpSegment.RST;
import static io.capybara.wire.TcpSegment.SYN;

import io.capybara.wire.TcpCodec;
import io.capybara.wire.TcpSegment;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * One TCP connection as a pure state machine (RFC 9293). Inputs are segments, application
 * calls and the current time; outputs are segments handed to a {@link SegmentSink} and events
 * for a {@link ConnectionObserver}. It never reads a clock, starts a thread or does I/O.
 *
 * <p>Implemented: all RFC 9293 states (active, passive and simultaneous open; simultaneous close;
 * TIME_WAIT, RFC 1337), RFC 5961 RST/SYN/ACK checks with challenge ACKs (not rate-limited),
 * RFC 7323 window scaling, timestamps (TSval in microsecond ticks) with RTTM and PAWS, MSS and
 * SACK-permitted negotiation with receiver-side SACK blocks (RFC 2018) and D-SACK blocks for
 * duplicate data (RFC 2883; incoming blocks are ignored),
 * receive- and send-side SWS avoidance, optional Nagle, delayed ACK, RFC 6298 retransmission
 * timer with Karn's rule, RFC 5681 congestion control with RFC 6582 NewReno recovery, zero
 * window probing, bounded out-of-order reassembly, and snapshot/restore.
 *
 * <p>Observer events are deferred to the end of each public call, so an observer may call back
 * into the connection (send, receive, close) and its reply can piggyback the pending ACK.
 * Take snapshots between calls, not from inside an observer callback (events still being
 * delivered are not part of the snapshot).
 */
public final class TcpConnection {
    static final int DEFAULT_MSS = 536;
    static final int MIN_MSS = 88;
    static final int TS_OPTION_BYTES = 12;
    static final int MAX_WINDOW_SHIFT = 14;
    static final int MAX_BUFFER = 1 << 26;
    static final int MAX_OOO_INTERVALS = 4096;
    static final long NONE = Timers.NONE;
    /**
     * RFC 7323 5.5 invalidates TS.Recent after 24 days idle for millisecond clocks; a peer
     * ticking in microseconds (like us) wraps half its clock in ~35 minutes, so we stop trusting
     * TS.Recent for PAWS after 30 minutes without an update.
     */
    /** Peer timestamp ticks a segment may lag TS.Recent and still pass PAWS (Linux: 1). */
    private static final int PAWS_SLACK_TICKS = 1;
    static final long PAWS_IDLE_NANOS = 30L * 60 * 1_000_000_000L;

    private static final int EV_ESTABLISHED = 1;
    static final int EV_READABLE = 2;
    static final int EV_WRITABLE = 4;
    private static final int EV_CLOSED = 8;
    private static final int EV_RESET = 16;


    final TcpConfig config;
    final int localIp;
    final int localPort;
    final int remoteIp;
    final int remotePort;
    private SegmentSink sink;
    private ConnectionObserver observer = ConnectionObserver.NONE;
    private final TcpSegment out = new TcpSegment();
    final TcpStats stats;
    SendRing sendRing;
    ReceiveRing recvRing;

    TcpState state;
    // the snapshot groups, in snapshot order (each writes and reads itself)
    final SendSpace snd = new SendSpace();
    final ReceiveSpace rcv = new ReceiveSpace();
    final Options opt = new Options();
    /** RFC 6298 estimator, Karn timing, and the timeouts since the last new ACK (for giving up). */
    final RttEstimator rtt;
    /** Congestion control: CUBIC (RFC 9438) or NewReno (RFC 5681, RFC 6582). */
    final NewReno cc;
    /** With SACK: the scoreboard, RFC 6675 recovery, RACK-TLP and PRR. */
    final LossRecovery recovery = new LossRecovery();
    /** The SACK sender's decisions (RFC 6675, RFC 8985, RFC 6937), acting on this connection. */
    final SackSender sack = new SackSender(this);
    final Timers timers = new Timers();

    int events;
    /** {@link #nextDeadline()} as last reported to the observer (the host's timer wheel). */
    private long reportedDeadline = NONE;
    /** {@link #queuedBytes()} as last reported to the observer (not part of a snapshot; none yet). */
    private int reportedQueued = Integer.MIN_VALUE;
    private Object attachment;
    private boolean firing;
    /**
     * Set by the host while it reads a batch of frames ({@link #holdOutput}): sending waits until
     * the batch is read, and {@code outputHeld} says whether anything asked to send meanwhile.
     * Within one host poll only, so never part of a snapshot.
     */
    private boolean holdOutput;
    private boolean outputHeld;
    /** Receiver-side SACK and D-SACK blocks; state only within one call. */
    final SackBlocks sackBlocks = new SackBlocks();
    /** The receiving side: data into the ring, out-of-order intervals, the peer's FIN. */
    private final DataReceiver receiver = new DataReceiver(this);
    /** The sending side's handling of an acceptable ACK. */
    private final AckProcessor acks = new AckProcessor(this);

    TcpConnection(TcpConfig config, int localIp, int localPort, int remoteIp, int remotePort,
                          SegmentSink sink, SendRing sendRing, ReceiveRing recvRing, RttEstimator rtt,
                          NewReno cc, TcpStats stats) {
        this.config = config;
        this.localIp = localIp;
        this.localPort = localPort;
        this.remoteIp = remoteIp;
        this.remotePort = remotePort;
        this.sink = sink;
        this.sendRing = sendRing;
        this.recvRing = recvRing;
        this.rtt = rtt;
        this.cc = cc;
        this.stats = stats;
    }

    private static TcpConnection create(TcpConfig config, int localIp, int localPort, int remoteIp,
                                        int remotePort, int iss, SegmentSink sink) {
        config.check();
        int sendMax = ringCapacity(config.sendBufferBytes());
        int recvMax = ringCapacity(config.receiveBufferBytes());
        TcpConnection c = new TcpConnection(config, localIp, localPort, remoteIp, remotePort, sink,
                new SendRing(sendMax), new ReceiveRing(recvMax, config.maxOutOfOrderSegments()),
                new RttEstimator(config.initialRtoNanos(), config.minRtoNanos(), config.maxRtoNanos()),
                NewReno.create(config.congestion(), iss, initialSendMss(config)), new TcpStats());
        c.snd.init(iss);
        // TSval offset: per-connection and unpredictable to off-path attackers (RFC 7323 5.4)
        c.opt.tsOffset = iss;
        c.opt.sendMss = initialSendMss(config);
        c.rcv.mss = c.opt.sendMss;
        return c;
    }

    static int ringCapacity(int bytes) {
        return bytes <= 1 ? 1 : Integer.highestOneBit(bytes - 1) << 1;
    }

    /** Until the peer's SYN says otherwise: RFC 9293's default 536. */
    private static int initialSendMss(TcpConfig config) {
        return Math.max(MIN_MSS, Math.min(config.mss(), DEFAULT_MSS));
    }

    /** Active open: creates the connection in SYN_SENT and emits the SYN. */
    public static TcpConnection connect(TcpConfig config, int localIp, int localPort, int remoteIp,
                                        int remotePort, int iss, long nowNanos, SegmentSink sink) {
        TcpConnection c = create(config, localIp, localPort, remoteIp, remotePort, iss, sink);
        c.state = TcpState.SYN_SENT;
        c.opt.rtoTsVal = c.opt.tsNow(nowNanos);
        c.sendSyn(nowNanos);
        return c;
    }

    /**
     * Passive open: a listener got {@code syn}; creates the connection in SYN_RECEIVED and
     * emits the SYN-ACK. Local address and port are the SYN's destination.
     */
    public static TcpConnection accept(TcpConfig config, TcpSegment syn, int iss, long nowNanos,
                                       SegmentSink sink) {
        TcpConnection c = create(config, syn.dstIp, syn.dstPort, syn.srcIp, syn.srcPort, iss, sink);
        c.state = TcpState.SYN_RECEIVED;
        c.opt.rtoTsVal = c.opt.tsNow(nowNanos);
        c.synReceived(syn, nowNanos);
        c.sendSyn(nowNanos);
        return c;
    }

    // ---------------------------------------------------------------------------------------
    // input

    /**
     * For a host that has no connection (and no listener) for {@code in}: fills {@code out} with
     * the RST that RFC 9293 3.10.7.1 prescribes (addresses swapped). Returns false, leaving
     * {@code out} untouched, when no reply is due (in is itself a RST).
     */
    public static boolean fillReset(TcpSegment in, TcpSegment out) {
        if (in.has(RST)) {
            return false;
        }
        out.clear();
        out.srcIp = in.dstIp;
        out.dstIp = in.srcIp;
        out.srcPort = in.dstPort;
        out.dstPort = in.srcPort;
        if (in.has(ACK)) {
            out.seq = in.ack;
            out.flags = RST;
        } else {
            out.seq = 0;
            out.ack = in.seq + in.sequenceLength();
            out.flags = RST | ACK;
        }
        return true;
    }

    /**
     * True when this connection is in TIME_WAIT and {@code syn} (a SYN without ACK for the same
     * four-tuple) may start a new incarnation: per RFC 6191, its timestamp is newer than TS.Recent
     * or, without timestamps, its sequence number lies beyond RCV.NXT (RFC 9293 3.6.1). The host
     * then drops this connection and accepts the SYN as a new one; otherwise it hands the SYN to
     * {@link #onSegment}, which answers with a challenge ACK.
     */
    public boolean acceptsNewIncarnation(TcpSegment syn) {
        if (state != TcpState.TIME_WAIT || !syn.has(SYN) || syn.has(ACK) || syn.has(RST)) {
            return false;
        }
        if (opt.tsOk && syn.hasTimestamps) {
            return Seq.gt(syn.tsVal, opt.tsRecent);
        }
        return Seq.gt(syn.seq, rcv.nxt);
    }

    /** Processes one received segment addressed to this connection. */
    public void onSegment(TcpSegment segment, long nowNanos) {
        stats.segmentsIn++;
        sackBlocks.clear();
        switch (state) {
            case CLOSED, LISTEN -> onSegmentClosed(segment);
            case SYN_SENT -> onSegmentSynSent(segment, nowNanos);
            default -> onSegmentSynchronized(segment, nowNanos);
        }
        finish(nowNanos);
        sackBlocks.clear();
    }

    /** RFC 9293 3.10.7.1: a closed connection answers everything but a RST with a RST. */
    private void onSegmentClosed(TcpSegment seg) {
        if (seg.has(RST)) {
            return;
        }
        if (seg.has(ACK)) {
            sendRst(seg.ack, 0, false);
        } else {
            sendRst(0, seg.seq + seg.sequenceLength(), true);
        }
    }

    private void onSegmentSynSent(TcpSegment seg, long now) {
        boolean ackOk = false;
        if (seg.has(ACK)) {
            if (Seq.le(seg.ack, snd.iss) || Seq.gt(seg.ack, snd.max)) {
                // acknowledges something we never sent
                if (!seg.has(RST)) {
                    sendRst(seg.ack, 0, false);
                }
                stats.dropped++;
                return;
            }
            ackOk = true;
        }
        if (seg.has(RST)) {
            if (ackOk) {
                stats.resetsIn++;
                enterClosed(true);
            } else {
                stats.dropped++;
            }
            return;
        }
        if (!seg.has(SYN)) {
            stats.dropped++;
            return;
        }
        synReceived(seg, now);
        if (ackOk) {
            acks.takeRttSample(seg, seg.ack, now);
            snd.una = seg.ack;
            rtt.retries = 0;
            rtt.resetBackoff();
            timers.rtx = NONE;
            establish();
            timers.ackNow = true;
            output(now);
        } else {
            // simultaneous open: answer with SYN-ACK for our original ISS
            state = TcpState.SYN_RECEIVED;
            sendSyn(now);
        }
    }

    /** Records the peer's SYN: IRS and the option negotiation (RFC 7323, RFC 9293 3.7.1). */
    private void synReceived(TcpSegment syn, long now) {
        rcv.irs = syn.seq;
        rcv.nxt = syn.seq + 1;
        rcv.lastAckSent = rcv.nxt;
        opt.negotiate(config, syn, recvRing.maxCapacity(), now);
        rcv.mss = opt.sendMss;
        cc.reset(opt.sendMss);
        // the window in a SYN is never scaled
        snd.wnd = syn.window;
        snd.maxWnd = snd.wnd;
        snd.wl1 = syn.seq;
        snd.wl2 = syn.has(ACK) ? syn.ack : snd.iss;
        rcv.advEdge = rcv.nxt + synWindow();
    }

    private void establish() {
        state = TcpState.ESTABLISHED;
        events |= EV_ESTABLISHED;
        if (snd.finQueued) {
            state = TcpState.FIN_WAIT_1; // close() was called during the handshake
        }
    }

    private void onSegmentSynchronized(TcpSegment seg, long now) {
        if (!admitted(seg, now)) {
            return;
        }
        if (opt.tsOk && seg.hasTimestamps && Seq.ge(seg.tsVal, opt.tsRecent) && Seq.le(seg.seq, rcv.lastAckSent)) {
            opt.tsRecent = seg.tsVal; // RFC 7323 4.3: only from segments at the left window edge
            opt.tsRecentTime = now;
        }
        acks.onAck(seg, now);
        if (state == TcpState.CLOSED) {
            return;
        }
        if (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2) {
            receiver.onData(seg, now);
        }
        output(now);
    }

    /**
     * The checks before an ACK is processed, in order: a SYN, PAWS, the sequence number, a RST,
     * no ACK, the ACK of the handshake in SYN_RECEIVED, the ACK's range. Whether the segment goes
     * on; if not, this dealt with it. The rare outcomes are methods of their own, so that this
     * stays small enough for the JIT to inline.
     */
    private boolean admitted(TcpSegment seg, long now) {
        int seq = seg.seq;
        boolean rst = seg.has(RST);
        if (seg.has(SYN) && !rst) {
            onSyn(seg, now);
            return false;
        }
        // RFC 7323 5.3 R1, PAWS: a segment older than TS.Recent is an old duplicate. One tick of
        // slack, as Linux allows (TCP_PAWS_WINDOW): a reordered segment sent in the same or the
        // previous tick of the peer's clock is not old, and rejecting it costs a retransmission.
        if (opt.tsOk && seg.hasTimestamps && !rst && Seq.lt(seg.tsVal, opt.tsRecent - PAWS_SLACK_TICKS)
                && now - opt.tsRecentTime < PAWS_IDLE_NANOS) {
            stats.pawsRejected++;
            timers.ackNow = true;
            noteDuplicate(seq, seg.payloadLength);
            return false;
        }
        if (!rcv.acceptable(seq, seg.sequenceLength(), seg.payloadLength == 0 && seg.has(FIN))) {
            onUnacceptable(seg, rst, now);
            return false;
        }
        if (state == TcpState.FIN_WAIT_2 && !rst) {
            timers.timeWait = finWait2Deadline(now); // the peer is alive: restart its FIN_WAIT_2 wait
        }
        if (rst) {
            onRst(seq);
            return false;
        }
        if (!seg.has(ACK) || (state == TcpState.SYN_RECEIVED && !handshakeAcked(seg))) {
            stats.dropped++;
            return false;
        }
        // RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]
        if (Seq.gt(seg.ack, snd.max) || Seq.lt(seg.ack, snd.una - snd.maxWnd)) {
            stats.dropped++;
            timers.ackNow = true;
            return false;
        }
        return true;
    }

    /** A SYN in a synchronized state. */
    private void onSyn(TcpSegment seg, long now) {
        if (state == TcpState.SYN_RECEIVED && seg.seq == rcv.irs) {
            if (!seg.has(ACK)) {
                sendSyn(now); // the peer did not see our SYN-ACK: repeat it
            } else {
                timers.ackNow = true; // simultaneous open: the peer's SYN-ACK crossed ours
            }
            return;
        }
        // RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence number
        challengeAck();
    }

    private void onUnacceptable(TcpSegment seg, boolean rst, long now) {
        stats.dropped++;
        if (!rst) {
            timers.ackNow = true; // RFC 9293: answer an unacceptable segment with an ACK
            noteDuplicate(seg.seq, seg.payloadLength);
            if (state == TcpState.TIME_WAIT && seg.has(FIN)) {
                timers.timeWait = now + config.timeWaitNanos(); // retransmitted FIN: restart 2MSL
            }
        }
    }

    private void onRst(int seq) {
        if (state == TcpState.TIME_WAIT) {
            stats.dropped++; // RFC 1337: no TIME-WAIT assassination
            return;
        }
        // RFC 5961 3.2: only a RST exactly at RCV.NXT resets; in-window ones get a challenge
        if (seq == rcv.nxt) {
            stats.resetsIn++;
            enterClosed(true);
        } else {
            challengeAck();
        }
    }

    /** In SYN_RECEIVED: an ACK of our SYN establishes the connection; any other gets a RST (then dropped). */
    private boolean handshakeAcked(TcpSegment seg) {
        int ack = seg.ack;
        if (Seq.gt(ack, snd.una) && Seq.le(ack, snd.max)) {
            snd.wnd = seg.window << opt.sndShift;
            snd.maxWnd = Math.max(snd.maxWnd, snd.wnd);
            snd.wl1 = seg.seq;
            snd.wl2 = ack;
            establish();
            return true;
        }
        sendRst(ack, 0, false);
        return false;
    }

    /** Owes a D-SACK for a duplicate (see {@link SackBlocks#noteDuplicate}); whether it was one. */
    boolean noteDuplicate(int seq, int len) {
        return opt.sackOk && sackBlocks.noteDuplicate(seq, len, rcv.nxt, recvRing);
    }

    long currentRto() {
        return rtt.current();
    }

    void enterTimeWait(long now) {
        state = TcpState.TIME_WAIT;
        timers.rtx = NONE;
        timers.persist = NONE;
        timers.delack = NONE;
        timers.timeWait = now + config.timeWaitNanos();
    }

    /** FIN_WAIT_2 reuses the TIME_WAIT deadline (the states exclude each other): the peer's silence limit. */
    long finWait2Deadline(long now) {
        return config.finWait2Nanos() > 0 ? now + config.finWait2Nanos() : NONE;
    }

    void enterClosed(boolean reset) {
        disarmClosed();
        events |= EV_CLOSED | (reset ? EV_RESET : 0);
    }

    /** CLOSED with every timer off and nothing owed to the peer. */
    private void disarmClosed() {
        state = TcpState.CLOSED;
        timers.disarm();
    }

    private void challengeAck() {
        stats.challengeAcks++;
        timers.ackNow = true;
    }

    // ---------------------------------------------------------------------------------------
    // timers

    /** Runs every timer due at {@code nowNanos} (retransmission, delayed ACK, persist, TIME_WAIT). */
    public void onTimer(long nowNanos) {
        if (timers.timeWait <= nowNanos) {
            // TIME_WAIT ends normally; FIN_WAIT_2 ending means the peer vanished (its FIN or
            // RST lost): closed quietly, no RST (the peer is gone), reported as a reset
            enterClosed(state == TcpState.FIN_WAIT_2);
        }
        if (timers.rtx <= nowNanos) {
            onRetransmitTimeout(nowNanos);
        }
        if (timers.persist <= nowNanos) {
            onPersistTimeout(nowNanos);
        }
        if (timers.loss <= nowNanos) {
            sack.onLossTimer(nowNanos);
        }
        if (timers.delack <= nowNanos) {
            timers.delack = NONE;
            timers.ackNow = true;
        }
        finish(nowNanos);
    }

    /** The earliest armed timer deadline, or {@link Long#MAX_VALUE} if none is armed. */
    public long nextDeadline() {
        return timers.next();
    }

    private void onRetransmitTimeout(long now) {
        timers.rtx = NONE;
        if (rtt.retries >= config.maxRetransmissions()) {
            enterClosed(true); // give up (RFC 9293 R2)
            return;
        }
        rtt.retries++;
        rtt.backOff();
        stats.timeouts++;
        rtt.timing = false; // Karn: no sample from anything sent before the timeout
        opt.rtoTsVal = opt.tsNow(now);
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            sendSyn(now);
            return;
        }
        if (snd.una == snd.max) {
            return;
        }
        // loss window of one segment; with SACK every segment not SACKed is lost, else go back to SND.UNA
        cc.onTimeout(snd.una, snd.max, opt.sendMss, now);
        if (opt.sackOk && sack.onTimeout(now)) {
            return;
        }
        snd.nxt = snd.una;
        retransmitHead(now, true);
        if (timers.rtx == NONE) {
            timers.rtx = now + currentRto();
        }
    }

    /**
     * For a listener that keeps its own SYN-ACK schedule (the host's, shorter than the data RTO
     * and without its backoff): in SYN_RECEIVED, sends the SYN-ACK again now (Karn: no RTT sample
     * from it). The caller then ignores this connection's own retransmission deadline until the
     * handshake completes. Returns false, doing nothing, in any other state.
     */
    public boolean retransmitSynAck(long nowNanos) {
        if (state != TcpState.SYN_RECEIVED) {
            return false;
        }
        timers.rtx = NONE;
        opt.rtoTsVal = opt.tsNow(nowNanos);
        sendSyn(nowNanos);
        finish(nowNanos);
        return true;
    }

    private void onPersistTimeout(long now) {
        timers.persist = NONE;
        int unsent = snd.bufSeq + sendRing.length() - snd.nxt;
        if (unsent <= 0 || snd.nxt != snd.una || !canSendData()) {
            timers.persistBackoff = 0;
            return;
        }
        if (snd.wnd == 0) {
            // window probe: an old sequence number makes the peer answer with its current window
            stats.windowProbes++;
            transmit(snd.una - 1, 0, ACK, now);
        } else {
            // override timeout (RFC 9293 3.8.6.2.1): send what the small window allows
            int len = Math.min(Math.min(unsent, snd.wnd), Math.min(opt.sendMss, sendRing.contiguous(snd.nxt - snd.bufSeq)));
            sendNew(len, unsent, now);
        }
        if (timers.persistBackoff < 62) {
            timers.persistBackoff++;
        }
        if (snd.nxt == snd.una) {
            timers.persist = now + persistInterval();
        }
    }

    private long persistInterval() {
        return rtt.shifted(timers.persistBackoff);
    }

    // ---------------------------------------------------------------------------------------
    // output

    boolean canSendData() {
        return state.sendsData; // a field, not a switch: read on every call of output()
    }

    /**
     * Defers sending until {@link #releaseOutput}: the host is about to hand this connection the
     * rest of a batch of frames, and the ACKs among them should release data together, as one
     * large segment (with segmentation offload) rather than a small one per ACK. ACKs of received
     * data are not deferred.
     */
    public void holdOutput() {
        holdOutput = true;
    }

    public boolean holdsOutput() {
        return holdOutput;
    }

    /** Ends {@link #holdOutput}: sends what the segments read meanwhile allow. */
    public void releaseOutput(long now) {
        holdOutput = false;
        if (outputHeld) {
            outputHeld = false;
            if (canSendData()) {
                output(now);
                finish(now);
            }
        }
    }

    /** Sends whatever the windows, SWS avoidance and Nagle allow (RFC 9293 3.8.6.2.1). */
    void output(long now) {
        if (holdOutput) {
            outputHeld = true;
            return;
        }
        if (!canSendData()) {
            return;
        }
        if (opt.sackOk) {
            sack.repairLost(now);
        }
        boolean sentNew = false;
        int offload = sink.segmentOffloadBytes();
        for (;;) {
            int unsent = snd.bufSeq + sendRing.length() - snd.nxt;
            boolean finPending = snd.finQueued && snd.nxt == snd.finSeq;
            if (unsent <= 0 && !finPending) {
                break;
            }
            int len = 0;
            if (unsent > 0) {
                len = nextLength(unsent, offload);
                if (len < 0) {
                    break;
                }
            }
            sendNew(len, Math.max(unsent, 0), now);
            sentNew = true;
        }
        if (opt.sackOk) {
            sack.afterOutput(sentNew, now);
        }
        if (snd.nxt == snd.una && timers.rtx == NONE && timers.persist == NONE
                && snd.bufSeq + sendRing.length() - snd.nxt > 0) {
            // data waits on the peer's window with nothing in flight: only this timer can unstick it
            timers.persist = now + persistInterval();
        }
    }

    /**
     * How many of the {@code unsent} bytes the next new segment carries, or -1 when none may go
     * now: the windows, the offload bound and deferral, SWS avoidance and Nagle decide.
     */
    private int nextLength(int unsent, int offload) {
        int inflight = snd.nxt - snd.una;
        int pipe = opt.sackOk ? recovery.pipe() : inflight;
        int usable = recovery.full() ? 0 : Math.min(snd.wnd - inflight, cc.cwnd() - pipe);
        int most = SegmentOffload.maxSegment(this, offload);
        int len = Math.min(unsent, Math.min(usable, most));
        if (len <= 0) {
            return -1; // window or cwnd closed; the FIN waits behind the data
        }
        if (len < most && most > opt.sendMss && SegmentOffload.defer(this, len, inflight)) {
            return -1;
        }
        boolean full = len >= opt.sendMss;
        boolean all = len == unsent && (!config.nagle() || inflight == 0);
        boolean half = len >= (snd.maxWnd >>> 1);
        if (!full && !all && !half) {
            return -1;
        }
        len = Math.min(len, sendRing.contiguous(snd.nxt - snd.bufSeq));
        return len > opt.sendMss ? len - len % opt.sendMss : len; // whole MSS pieces; a shorter rest goes alone, under the rules above
    }

    /** Emits {@code len} new bytes at SND.NXT (plus the FIN when they are the last) and advances. */
    void sendNew(int len, int unsent, long now) {
        boolean fin = snd.finQueued && snd.nxt + len == snd.finSeq;
        int flags = ACK | (fin ? FIN : 0) | (len > 0 && len == unsent ? PSH : 0);
        if (!rtt.timing && !opt.tsOk && Seq.ge(snd.nxt, snd.max)) {
            rtt.time(snd.nxt, now);
        }
        transmit(snd.nxt, len, flags, now);
        if (opt.sackOk && len > 0) {
            recovery.onSendPieces(snd.nxt, snd.nxt + len, opt.sendMss, now);
            recovery.onNewDataSent(len);
        }
        snd.nxt += len + (fin ? 1 : 0);
        if (Seq.gt(snd.nxt, snd.max)) {
            snd.max = snd.nxt;
        }
        if (timers.rtx == NONE) {
            timers.rtx = now + currentRto();
        }
        timers.persist = NONE;
    }

    /** Re-sends the first unacknowledged segment (and the FIN if it is all that is left). */
    void retransmitHead(long now, boolean advance) {
        int dataEnd = snd.bufSeq + sendRing.length();
        int avail = (Seq.lt(snd.max, dataEnd) ? snd.max : dataEnd) - snd.una; // only what was sent
        int len = Math.max(0, Math.min(avail, opt.sendMss));
        if (len > 0) {
            len = Math.min(len, sendRing.contiguous(snd.una - snd.bufSeq));
        }
        boolean fin = snd.finQueued && snd.una + len == snd.finSeq && Seq.gt(snd.max, snd.finSeq);
        if (len == 0 && !fin) {
            return;
        }
        rtt.timing = false; // Karn
        transmit(snd.una, len, ACK | (fin ? FIN : 0), now);
        int end = snd.una + len + (fin ? 1 : 0);
        if (advance && Seq.gt(end, snd.nxt)) {
            snd.nxt = end;
        }
    }

    private void sendSyn(long now) {
        boolean synAck = state == TcpState.SYN_RECEIVED;
        TcpSegment s = out;
        fillHeader(s, snd.iss, synAck ? SYN | ACK : SYN);
        s.ack = synAck ? rcv.nxt : 0;
        s.window = synWindow();
        s.mss = config.mss();
        opt.fillSyn(s, synAck, config, recvRing.maxCapacity(), now);
        if (synAck) {
            rcv.lastAckSent = rcv.nxt;
            timers.ackNow = false;
            timers.delack = NONE;
        }
        if (Seq.lt(snd.iss, snd.max)) {
            stats.retransmits++;
            rtt.timing = false;
        } else {
            snd.nxt = snd.iss + 1;
            snd.max = snd.iss + 1;
            rtt.time(snd.iss, now);
        }
        stats.segmentsOut++;
        if (timers.rtx == NONE) {
            timers.rtx = now + currentRto();
        }
        sink.transmit(this, s);
    }

    private int synWindow() {
        return Math.min(recvRing.free(), 65535);
    }

    private void fillHeader(TcpSegment s, int seq, int flags) {
        s.srcIp = localIp;
        s.dstIp = remoteIp;
        s.srcPort = localPort;
        s.dstPort = remotePort;
        s.seq = seq;
        s.flags = flags;
        s.urgentPointer = 0;
        s.mss = ABSENT;
        s.windowScale = ABSENT;
        s.sackPermitted = false;
        s.hasTimestamps = false;
        s.tsVal = 0;
        s.tsEcr = 0;
        s.sackCount = 0;
        s.payload = sendRing.buffer();
        s.payloadOffset = 0;
        s.payloadLength = 0;
    }

    /** Emits a non-SYN segment carrying ACK, window and timestamps. */
    void transmit(int seq, int len, int flags, long now) {
        TcpSegment s = out;
        fillHeader(s, seq, flags);
        s.ack = rcv.nxt;
        s.window = rcv.windowField(recvRing, config.mss(), opt.rcvShift);
        if (opt.tsOk) {
            s.hasTimestamps = true;
            s.tsVal = opt.tsNow(now);
            s.tsEcr = opt.tsRecent;
        }
        if (len > 0) {
            s.payloadOffset = sendRing.index(seq - snd.bufSeq);
            s.payloadLength = len;
        }
        boolean sackOmitted = false;
        if (opt.sackOk && (recvRing.oooCount() > 0 || sackBlocks.dsackOwed())) {
            // payload and SACK option together stay within what the peer's MSS allows
            int roomBlocks = len >= opt.sendMss ? 0
                    : (opt.sendMss - len - TcpCodec.sackOptionBytes(0)) / TcpCodec.SACK_BLOCK_BYTES;
            int max = Math.min(roomBlocks, TcpCodec.sackBlocksThatFit(opt.tsOk ? TS_OPTION_BYTES : 0));
            sackBlocks.fill(s, max, rcv.nxt, recvRing);
            sackOmitted = s.sackCount == 0;
        }
        rcv.lastAckSent = rcv.nxt;
        // a data segment with no room for any block leaves an owed ACK owed: a pure ACK carries them
        if (!sackOmitted) {
            timers.ackNow = false;
            timers.delack = NONE;
        }
        stats.segmentsOut += len > opt.sendMss ? (len + opt.sendMss - 1) / opt.sendMss : 1; // as on the wire
        stats.bytesOut += len;
        if ((len > 0 || (flags & FIN) != 0) && Seq.lt(seq, snd.max)) {
            stats.retransmits++;
        }
        sink.transmit(this, s);
    }

    private void sendAck(long now) {
        // SND.MAX, not the rolled-back SND.NXT: the peer may hold everything up to it, and a
        // pure ACK below its RCV.NXT would be unacceptable there
        transmit(snd.max, 0, ACK, now);
    }

    /** Emits a RST (RFC 9293 3.10.7.1 forms); no options. */
    private void sendRst(int seq, int ack, boolean withAck) {
        TcpSegment s = out;
        fillHeader(s, seq, withAck ? RST | ACK : RST);
        s.ack = withAck ? ack : 0;
        s.window = 0;
        stats.segmentsOut++;
        stats.resetsOut++;
        sink.transmit(this, s);
    }

    /** Sends the pending ACK (if no other segment carried it) and delivers deferred events. */
    private void finish(long now) {
        if (firing) {
            return;
        }
        firing = true;
        try {
            for (;;) {
                if (events != 0) {
                    int ev = events;
                    events = 0;
                    if ((ev & EV_ESTABLISHED) != 0) {
                        observer.onEstablished(this);
                    }
                    if ((ev & EV_READABLE) != 0) {
                        observer.onReadable(this);
                    }
                    if ((ev & EV_WRITABLE) != 0) {
                        observer.onWritable(this);
                    }
                    if ((ev & EV_CLOSED) != 0) {
                        observer.onClosed(this, (ev & EV_RESET) != 0);
                    }
                    continue;
                }
                if (timers.ackNow) {
                    timers.ackNow = false;
                    if (state != TcpState.CLOSED && state != TcpState.SYN_SENT && state != TcpState.LISTEN) {
                        sendAck(now);
                    }
                }
                break;
            }
            long deadline = nextDeadline();
            if (deadline != reportedDeadline) {
                reportedDeadline = deadline;
                observer.onDeadlineChanged(this);
            }
            int queued = queuedBytes();
            if (queued != reportedQueued) {
                reportedQueued = queued;
                observer.onQueuedChanged(this);
            }
        } finally {
            firing = false;
        }
    }

    // ---------------------------------------------------------------------------------------
    // application calls

    /** Queues up to {@code length} bytes for sending; returns how many were accepted. */
    public int send(DirectBuffer src, int offset, int length, long nowNanos) {
        if (length <= 0 || !canQueue()) {
            return 0;
        }
        int n = sendRing.write(src, offset, length);
        if (n > 0) {
            output(nowNanos);
            finish(nowNanos);
        }
        return n;
    }

    private boolean canQueue() {
        return !snd.finQueued && state.queuesData;
    }

    /** Reads up to {@code length} in-order bytes; returns how many were read (0 if none). */
    public int receive(MutableDirectBuffer dst, int offset, int length, long nowNanos) {
        if (length <= 0) {
            return 0;
        }
        int n = recvRing.read(dst, offset, length);
        if (n > 0) {
            if (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2) {
                // tell the peer when reading opened the window a lot (RFC 9293 3.8.6.2.2)
                int cur = Math.max(0, rcv.advEdge - rcv.nxt);
                int free = recvRing.free();
                if (free - cur >= Math.min(recvRing.maxCapacity() >>> 1, config.mss()) && free >= 2 * cur) {
                    timers.ackNow = true;
                }
            }
            finish(nowNanos); // also in CLOSE_WAIT and later: the queued bytes went down
        }
        return n;
    }

    /**
     * Work this connection still holds for its server, in bytes: its send buffer's size minus
     * what it can still take (queued unsent or unacknowledged; all of it once no more may be
     * queued), plus what was received and not yet read. The observer hears of each change
     * ({@link ConnectionObserver#onQueuedChanged}), so a host keeps the sum without scanning.
     */
    public int queuedBytes() {
        return config.sendBufferBytes() - writableBytes() + readableBytes();
    }

    /** Bytes ready for {@link #receive}. */
    public int readableBytes() {
        return recvRing.readable();
    }

    /** Free space in the send buffer. */
    public int writableBytes() {
        return canQueue() ? sendRing.free() : 0;
    }

    /** True once the peer's FIN has been received and all data before it read. */
    public boolean isPeerClosed() {
        return rcv.peerFin && recvRing.readable() == 0;
    }

    /** Graceful close: a FIN follows the queued data. */
    public void close(long nowNanos) {
        switch (state) {
            // during the handshake the FIN waits for ESTABLISHED (use abort() to give up instead)
            case SYN_SENT, SYN_RECEIVED -> queueFin();
            case ESTABLISHED -> {
                queueFin();
                state = TcpState.FIN_WAIT_1;
                output(nowNanos);
            }
            case CLOSE_WAIT -> {
                queueFin();
                state = TcpState.LAST_ACK;
                output(nowNanos);
            }
            default -> {
            }
        }
        finish(nowNanos);
    }

    private void queueFin() {
        if (!snd.finQueued) {
            snd.finQueued = true;
            snd.finSeq = snd.bufSeq + sendRing.length();
        }
    }

    /** Abortive close: emits a RST and goes to CLOSED. */
    public void abort(long nowNanos) {
        if (state == TcpState.CLOSED) {
            return;
        }
        if (state != TcpState.SYN_SENT && state != TcpState.LISTEN && state != TcpState.TIME_WAIT) {
            sendRst(snd.max, rcv.nxt, true);
        }
        enterClosed(true);
        finish(nowNanos);
    }

    // ---------------------------------------------------------------------------------------
    // accessors

    public TcpState state() {
        return state;
    }

    public int localIp() {
        return localIp;
    }

    public int localPort() {
        return localPort;
    }

    public int remoteIp() {
        return remoteIp;
    }

    public int remotePort() {
        return remotePort;
    }

    public void observer(ConnectionObserver observer) {
        this.observer = observer == null ? ConnectionObserver.NONE : observer;
    }

    /** Who is told of this connection's events (its host, when attached to one). */
    public ConnectionObserver observer() {
        return observer;
    }

    /** Replaces the sink, e.g. after restore on another host. */
    public void sink(SegmentSink sink) {
        this.sink = sink;
    }

    /** Counters of this connection (live view). */
    public TcpStats stats() {
        return stats;
    }

    public TcpConfig config() {
        return config;
    }

    /** Payload bytes per segment we send (negotiated MSS minus the timestamp option). */
    public int sendMss() {
        return opt.sendMss;
    }

    public int congestionWindow() {
        return cc.cwnd();
    }

    public int slowStartThreshold() {
        return cc.ssthresh();
    }

    /** The peer's current send window in bytes (scaled). */
    public int sendWindow() {
        return snd.wnd;
    }

    /** Current retransmission timeout including backoff, nanoseconds. */
    public long retransmissionTimeoutNanos() {
        return currentRto();
    }

    /** Smoothed RTT in nanoseconds, 0 before the first sample. */
    public long smoothedRttNanos() {
        return rtt.srtt();
    }

    /** True when both SYNs carried the window-scale option. */
    public boolean windowScaling() {
        return opt.wsAgreed;
    }

    public int sendWindowShift() {
        return opt.sndShift;
    }

    public int receiveWindowShift() {
        return opt.rcvShift;
    }

    public boolean sackPermitted() {
        return opt.sackOk;
    }

    public boolean timestamps() {
        return opt.tsOk;
    }

    /** Bytes queued but not yet acknowledged (unsent included). */
    public int unacknowledgedBytes() {
        return sendRing.length();
    }

    /** In fast recovery: NewReno's without SACK, RFC 6675's with it. */
    public boolean inFastRecovery() {
        return cc.inRecovery() || recovery.inFastRecovery();
    }

    /** In loss recovery: fast recovery (with or without SACK) or repairing after a timeout (SACK). */
    public boolean inLossRecovery() {
        return cc.inRecovery() || recovery.inRecovery();
    }

    LossRecovery lossRecovery() {
        return recovery;
    }

    long retransmitDeadline() {
        return timers.rtx;
    }

    long delayedAckDeadline() {
        return timers.delack;
    }

    long persistDeadline() {
        return timers.persist;
    }

    long timeWaitDeadline() {
        return timers.timeWait;
    }

    int oooIntervals() {
        return recvRing.oooCount();
    }

    int oooStart(int i) {
        return recvRing.oooStart(i);
    }

    int oooEnd(int i) {
        return recvRing.oooEnd(i);
    }

    int rcvNxt() {
        return rcv.nxt;
    }

    int tsRecent() {
        return opt.tsRecent;
    }

    int sndUna() {
        return snd.una;
    }

    int sndNxt() {
        return snd.nxt;
    }

    @Override
    public String toString() {
        return "TcpConnection{" + state + " " + localPort + "->" + remotePort
                + " una=" + Integer.toUnsignedString(snd.una) + " nxt=" + Integer.toUnsignedString(snd.nxt)
                + " max=" + Integer.toUnsignedString(snd.max) + " wnd=" + snd.wnd + " cwnd=" + cc.cwnd()
                + " rcvNxt=" + Integer.toUnsignedString(rcv.nxt) + " queued=" + sendRing.length()
                + " readable=" + recvRing.readable() +  " srtt=" + rtt.srtt() + " rto=" + currentRto() + '}';
    }

    // ---------------------------------------------------------------------------------------
    // snapshot / restore

    /**
     * The application's own object for this connection (its session, say), so that it finds it
     * without a lookup (like {@code SelectionKey.attach}). It stays on this host: a snapshot does
     * not carry it, and the application attaches its restored state on the target.
     */
    public void attach(Object attachment) {
        this.attachment = attachment;
    }

    /** What the application {@link #attach attached}, or null. */
    public Object attachment() {
        return attachment;
    }

    /** Upper bound of the bytes {@link #snapshot} writes now. */
    public int snapshotSize() {
        return SnapshotFormat.HEADER + SnapshotFormat.FIXED_BODY + recovery.snapshotBytes() + sendRing.length()
                + recvRing.snapshotBytes();
    }

    /**
     * Serializes the whole connection (state, buffers, estimator, congestion, options, timers as
     * deadlines relative to {@code nowNanos}) into a versioned, checksummed form.
     *
     * @return bytes written
     */
    public int snapshot(MutableDirectBuffer dst, int offset, long nowNanos) {
        return snapshot(dst, offset, nowNanos, true);
    }

    /**
     * {@link #snapshot(MutableDirectBuffer, int, long)}, with the snapshot's own CRC32C only when
     * {@code checksum}: a transport that checksums the bytes itself (TCPMig's CONN_STATE body
     * carries a CRC32C over the whole state) saves a pass over the buffers. Without it the CRC field is
     * 0, and only {@code restore(..., false, pool)} accepts the bytes. The body is a sequence of
     * groups, each writing itself; {@link #restore} reads them in the same order.
     */
    public int snapshot(MutableDirectBuffer dst, int offset, long nowNanos, boolean checksum) {
        return SnapshotFormat.write(this, dst, offset, nowNanos, checksum);
    }

    /**
     * Rebuilds a connection from {@link #snapshot} bytes; timers are re-armed relative to
     * {@code nowNanos}. The result continues exactly as the original would have.
     *
     * @throws SnapshotException if the bytes are truncated, corrupt or of another version
     */
    public static TcpConnection restore(DirectBuffer src, int offset, int length, long nowNanos,
                                        SegmentSink sink) throws SnapshotException {
        return restore(src, offset, length, nowNanos, sink, true, null);
    }

    /**
     * {@link #restore(DirectBuffer, int, int, long, SegmentSink)}; {@code verifyChecksum} false
     * skips the CRC32C check, for bytes a transport has already verified (every field is still
     * range-checked, so crafted input still fails with a SnapshotException), and ring memory is
     * taken from {@code pool} (null: allocated), e.g. the memory of connections that moved away.
     */
    public static TcpConnection restore(DirectBuffer src, int offset, int length, long nowNanos,
                                        SegmentSink sink, boolean verifyChecksum, BufferPool pool)
            throws SnapshotException {
        return restore(src, offset, length, nowNanos, sink, verifyChecksum, pool, null);
    }

    /**
     * {@link #restore(DirectBuffer, int, int, long, SegmentSink, boolean, BufferPool)}; when the
     * snapshot's configuration equals {@code usual} (e.g. the restoring host's), the connection
     * shares that instance instead of its own copy, one whose lines the host keeps warm.
     */
    public static TcpConnection restore(DirectBuffer src, int offset, int length, long nowNanos,
                                        SegmentSink sink, boolean verifyChecksum, BufferPool pool,
                                        TcpConfig usual) throws SnapshotException {
        return SnapshotFormat.read(src, offset, length, nowNanos, sink, verifyChecksum, pool, usual);
    }

    /**
     * Ring memory comes from {@code pool} when bytes are queued or arrive and goes back to it
     * when the rings empty, so an idle connection holds none (null: heap memory, kept).
     */
    public void bufferPool(BufferPool pool) {
        sendRing.pool = pool;
        recvRing.pool = pool;
        recovery.pool = pool;
    }

    /**
     * Hands the connection's ring memory to {@code pool} for good (it migrated away, or it closed
     * and the host is done with it) and disconnects it from the pool. The connection must not be
     * attached to a host. It is left CLOSED with empty buffers, so a stale reference reads
     * nothing and cannot send, rather than touching memory another connection now uses.
     */
    public void recycle(BufferPool pool) {
        bufferPool(null);
        attachment = null;
        sendRing.release(pool);
        recvRing.release(pool);
        recovery.release(pool);
        disarmClosed(); // no events: nobody is told, the connection lives on elsewhere
        snd.finQueued = false;
        rcv.peerFin = false;
        rcv.oooFin = false;
    }

    /**
     * True when both connections are in the identical full state (everything {@link #snapshot}
     * captures: variables, buffers, timers relative to {@code nowNanos}, counters). Allocates;
     * meant for tests and debugging, not for the data path.
     */
    public boolean sameStateAs(TcpConnection other, long nowNanos) {
        byte[] x = new byte[snapshotSize()];
        byte[] y = new byte[other.snapshotSize()];
        int nx = snapshot(new org.agrona.concurrent.UnsafeBuffer(x), 0, nowNanos);
        int ny = other.snapshot(new org.agrona.concurrent.UnsafeBuffer(y), 0, nowNanos);
        return java.util.Arrays.equals(x, 0, nx, y, 0, ny);
    }

}
