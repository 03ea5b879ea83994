package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.ABSENT;
import static io.capybara.wire.TcpSegment.ACK;
import static io.capybara.wire.TcpSegment.FIN;
import static io.capybara.wire.TcpSegment.PSH;
import static io.capybara.wire.TcpSegment.RST;
import static io.capybara.wire.TcpSegment.SYN;

import io.capybara.wire.TcpCodec;
import io.capybara.wire.TcpSegment;
import java.nio.ByteOrder;
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
    static final long NONE = Long.MAX_VALUE;
    /**
     * RFC 7323 5.5 invalidates TS.Recent after 24 days idle for millisecond clocks; a peer
     * ticking in microseconds (like us) wraps half its clock in ~35 minutes, so we stop trusting
     * TS.Recent for PAWS after 30 minutes without an update.
     */
    /** Peer timestamp ticks a segment may lag TS.Recent and still pass PAWS (Linux: 1). */
    private static final int PAWS_SLACK_TICKS = 1;
    static final long PAWS_IDLE_NANOS = 30L * 60 * 1_000_000_000L;

    private static final int EV_ESTABLISHED = 1;
    private static final int EV_READABLE = 2;
    private static final int EV_WRITABLE = 4;
    private static final int EV_CLOSED = 8;
    private static final int EV_RESET = 16;

    static final int SNAPSHOT_MAGIC = 0x43505443; // "CPTC"
    /** 2: the config's FIN_WAIT_2 limit appended to the config block (1 is still read: default limit). */
    static final int SNAPSHOT_VERSION = 2;
    static final int SNAPSHOT_HEADER = 16;
    private static final int SNAPSHOT_FIXED_BODY = 512;
    private static final TcpState[] STATES = TcpState.values();

    private final TcpConfig config;
    private final int localIp;
    private final int localPort;
    private final int remoteIp;
    private final int remotePort;
    private SegmentSink sink;
    private ConnectionObserver observer = ConnectionObserver.NONE;
    private final TcpSegment out = new TcpSegment();
    private final TcpStats stats;
    private final SendRing sendRing;
    private final ReceiveRing recvRing;

    private TcpState state;

    // send sequence space (RFC 9293 3.3.1); sndMax = highest SND.NXT ever (SND.NXT rolls back on RTO)
    private int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int maxSndWnd;
    /** Sequence number of the send ring's first byte. */
    private int bufSeq;
    private boolean finQueued;
    private int finSeq;

    // receive sequence space
    private int irs;
    private int rcvNxt;
    /** Right edge of the window last advertised; never moves left. */
    private int rcvAdvEdge;
    private int lastAckSent;
    /** Largest payload seen from the peer: what "full-sized" means for delayed ACK. */
    private int rcvMss;
    private boolean peerFin;
    private boolean oooFin;
    private int oooFinSeq;

    // negotiated options
    private int sendMss;
    private int sndShift;
    private int rcvShift;
    private boolean wsAgreed;
    private boolean sackOk;
    private boolean tsOk;
    private int tsRecent;
    /** When TS.Recent was last set: after a long idle period it is no longer valid for PAWS. */
    private long tsRecentTime;
    private int tsOffset;
    /** TS clock at the last retransmission timeout: older echoes would include the RTO wait. */
    private int rtoTsVal;

    // RFC 6298 estimator; retries counts timeouts since the last new ACK (for giving up)
    private final RttEstimator rtt;
    private int retries;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStart;

    // congestion control (RFC 5681, RFC 6582)
    private final NewReno cc;

    // timers: absolute deadlines, NONE when disarmed
    private long rtxDeadline = NONE;
    private long delackDeadline = NONE;
    private long persistDeadline = NONE;
    private long timeWaitDeadline = NONE;
    private int persistBackoff;

    private boolean ackNow;
    private int events;
    /** {@link #nextDeadline()} as last reported to the observer (the host's timer wheel). */
    private long reportedDeadline = NONE;
    private Object attachment;
    private boolean firing;
    /**
     * The out-of-order segment being processed, whose block must lead the SACK option (RFC 2018
     * 4). Set and cleared within one {@link #onSegment} call, so a snapshot (taken between calls)
     * never holds it: SACK blocks are otherwise derived from the receive ring alone.
     */
    private boolean sackTriggered;
    private int sackTriggerSeq;
    /**
     * The D-SACK block (RFC 2883) owed for a segment whose data we already held, until one
     * segment carries it: each duplicate is reported once. Like {@link #sackTriggered} it lives
     * within one {@link #onSegment} call (a duplicate is always ACKed at once) and is never in a
     * snapshot.
     */
    private boolean dsackOwed;
    private int dsackStart;
    private int dsackEnd;

    private TcpConnection(TcpConfig config, int localIp, int localPort, int remoteIp, int remotePort,
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
        validate(config);
        int sendMax = ringCapacity(config.sendBufferBytes());
        int recvMax = ringCapacity(config.receiveBufferBytes());
        TcpConnection c = new TcpConnection(config, localIp, localPort, remoteIp, remotePort, sink,
                new SendRing(sendMax), new ReceiveRing(recvMax, config.maxOutOfOrderSegments()),
                new RttEstimator(config.initialRtoNanos(), config.minRtoNanos(), config.maxRtoNanos()),
                new NewReno(iss, initialSendMss(config)), new TcpStats());
        c.iss = iss;
        c.sndUna = iss;
        c.sndNxt = iss;
        c.sndMax = iss;
        c.bufSeq = iss + 1;
        // TSval offset: per-connection and unpredictable to off-path attackers (RFC 7323 5.4)
        c.tsOffset = iss;
        c.sendMss = initialSendMss(config);
        c.rcvMss = c.sendMss;
        return c;
    }

    private static void validate(TcpConfig c) {
        if (c.mss() < MIN_MSS || c.mss() > 65535) {
            throw new IllegalArgumentException("mss " + c.mss() + " outside [" + MIN_MSS + ", 65535]");
        }
        if (c.sendBufferBytes() < 1 || c.sendBufferBytes() > MAX_BUFFER
                || c.receiveBufferBytes() < 1 || c.receiveBufferBytes() > MAX_BUFFER) {
            throw new IllegalArgumentException("buffer sizes must be in [1, " + MAX_BUFFER + "]");
        }
        if (c.windowScale() > MAX_WINDOW_SHIFT) {
            throw new IllegalArgumentException("windowScale " + c.windowScale() + " > 14");
        }
        if (c.minRtoNanos() <= 0 || c.maxRtoNanos() < c.minRtoNanos() || c.initialRtoNanos() <= 0
                || c.delayedAckNanos() < 0 || c.timeWaitNanos() < 0 || c.maxRetransmissions() < 0
                || c.finWait2Nanos() < 0) {
            throw new IllegalArgumentException("invalid timer configuration: " + c);
        }
        if (c.maxOutOfOrderSegments() < 0 || c.maxOutOfOrderSegments() > MAX_OOO_INTERVALS) {
            throw new IllegalArgumentException("maxOutOfOrderSegments outside [0, " + MAX_OOO_INTERVALS + "]");
        }
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
        c.rtoTsVal = c.tsNow(nowNanos);
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
        c.rtoTsVal = c.tsNow(nowNanos);
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
        if (tsOk && syn.hasTimestamps) {
            return Seq.gt(syn.tsVal, tsRecent);
        }
        return Seq.gt(syn.seq, rcvNxt);
    }

    /** Processes one received segment addressed to this connection. */
    public void onSegment(TcpSegment segment, long nowNanos) {
        stats.segmentsIn++;
        sackTriggered = false;
        dsackOwed = false;
        switch (state) {
            case CLOSED, LISTEN -> onSegmentClosed(segment);
            case SYN_SENT -> onSegmentSynSent(segment, nowNanos);
            default -> onSegmentSynchronized(segment, nowNanos);
        }
        finish(nowNanos);
        sackTriggered = false;
        dsackOwed = false;
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
            if (Seq.le(seg.ack, iss) || Seq.gt(seg.ack, sndMax)) {
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
            takeRttSample(seg, seg.ack, now);
            sndUna = seg.ack;
            retries = 0;
            rtt.resetBackoff();
            rtxDeadline = NONE;
            establish();
            ackNow = true;
            output(now);
        } else {
            // simultaneous open: answer with SYN-ACK for our original ISS
            state = TcpState.SYN_RECEIVED;
            sendSyn(now);
        }
    }

    /** Records the peer's SYN: IRS and the option negotiation (RFC 7323, RFC 9293 3.7.1). */
    private void synReceived(TcpSegment syn, long now) {
        irs = syn.seq;
        rcvNxt = syn.seq + 1;
        lastAckSent = rcvNxt;
        boolean ws = config.windowScale() >= 0 && syn.windowScale != ABSENT;
        wsAgreed = ws;
        sndShift = ws ? Math.min(syn.windowScale, MAX_WINDOW_SHIFT) : 0;
        rcvShift = ws ? offeredWindowScale() : 0;
        sackOk = config.sackPermitted() && syn.sackPermitted;
        tsOk = config.timestamps() && syn.hasTimestamps;
        if (tsOk) {
            tsRecent = syn.tsVal;
            tsRecentTime = now;
        }
        int peerMss = syn.mss == ABSENT ? DEFAULT_MSS : syn.mss;
        sendMss = Math.max(MIN_MSS, Math.min(config.mss(), peerMss)) - (tsOk ? TS_OPTION_BYTES : 0);
        rcvMss = sendMss;
        cc.reset(sendMss);
        // the window in a SYN is never scaled
        sndWnd = syn.window;
        maxSndWnd = sndWnd;
        sndWl1 = syn.seq;
        sndWl2 = syn.has(ACK) ? syn.ack : iss;
        rcvAdvEdge = rcvNxt + synWindow();
    }

    private void establish() {
        state = TcpState.ESTABLISHED;
        events |= EV_ESTABLISHED;
        if (finQueued) {
            state = TcpState.FIN_WAIT_1; // close() was called during the handshake
        }
    }

    private void onSegmentSynchronized(TcpSegment seg, long now) {
        int seq = seg.seq;
        int len = seg.sequenceLength();
        boolean rst = seg.has(RST);

        if (seg.has(SYN) && !rst) {
            if (state == TcpState.SYN_RECEIVED && seq == irs) {
                if (!seg.has(ACK)) {
                    sendSyn(now); // the peer did not see our SYN-ACK: repeat it
                } else {
                    ackNow = true; // simultaneous open: the peer's SYN-ACK crossed ours
                }
                return;
            }
            // RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence number
            challengeAck();
            return;
        }

        // RFC 7323 5.3 R1, PAWS: a segment older than TS.Recent is an old duplicate. One tick of
        // slack, as Linux allows (TCP_PAWS_WINDOW): a reordered segment sent in the same or the
        // previous tick of the peer's clock is not old, and rejecting it costs a retransmission.
        if (tsOk && seg.hasTimestamps && !rst && Seq.lt(seg.tsVal, tsRecent - PAWS_SLACK_TICKS)
                && now - tsRecentTime < PAWS_IDLE_NANOS) {
            stats.pawsRejected++;
            ackNow = true;
            noteDuplicate(seq, seg.payloadLength);
            return;
        }

        if (!acceptable(seq, len, seg.payloadLength == 0 && seg.has(FIN))) {
            stats.dropped++;
            if (!rst) {
                ackNow = true; // RFC 9293: answer an unacceptable segment with an ACK
                noteDuplicate(seq, seg.payloadLength);
                if (state == TcpState.TIME_WAIT && seg.has(FIN)) {
                    timeWaitDeadline = now + config.timeWaitNanos(); // retransmitted FIN: restart 2MSL
                }
            }
            return;
        }

        if (state == TcpState.FIN_WAIT_2 && !rst) {
            timeWaitDeadline = finWait2Deadline(now); // the peer is alive: restart its FIN_WAIT_2 wait
        }
        if (rst) {
            if (state == TcpState.TIME_WAIT) {
                stats.dropped++; // RFC 1337: no TIME-WAIT assassination
                return;
            }
            // RFC 5961 3.2: only a RST exactly at RCV.NXT resets; in-window ones get a challenge
            if (seq == rcvNxt) {
                stats.resetsIn++;
                enterClosed(true);
            } else {
                challengeAck();
            }
            return;
        }

        if (!seg.has(ACK)) {
            stats.dropped++;
            return;
        }
        int ack = seg.ack;
        if (state == TcpState.SYN_RECEIVED) {
            if (Seq.gt(ack, sndUna) && Seq.le(ack, sndMax)) {
                sndWnd = seg.window << sndShift;
                maxSndWnd = Math.max(maxSndWnd, sndWnd);
                sndWl1 = seq;
                sndWl2 = ack;
                establish();
            } else {
                sendRst(ack, 0, false);
                stats.dropped++;
                return;
            }
        }
        // RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]
        if (Seq.gt(ack, sndMax) || Seq.lt(ack, sndUna - maxSndWnd)) {
            stats.dropped++;
            ackNow = true;
            return;
        }
        if (tsOk && seg.hasTimestamps && Seq.ge(seg.tsVal, tsRecent) && Seq.le(seq, lastAckSent)) {
            tsRecent = seg.tsVal; // RFC 7323 4.3: only from segments at the left window edge
            tsRecentTime = now;
        }
        processAck(seg, now);
        if (state == TcpState.CLOSED) {
            return;
        }
        if (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2) {
            processData(seg, now);
        }
        output(now);
    }

    /**
     * RFC 2883: if all of the payload [seq, seq + len) is data we already hold, at or below
     * RCV.NXT or inside one out-of-order interval, owes a D-SACK block for it (the caller makes
     * sure an ACK goes out in this call); in the second case that interval is named right after
     * it, as the triggering segment's block. A segment that also brought new data is not
     * reported: its retransmission was needed, and a D-SACK for part of it would feed the
     * sender's undo logic (which counts needless retransmissions) a wrong signal. Returns whether
     * the segment was a duplicate.
     */
    private boolean noteDuplicate(int seq, int len) {
        if (!sackOk || len <= 0) {
            return false;
        }
        int end = seq + len;
        if (Seq.gt(end, rcvNxt)) {
            if (recvRing.oooHolding(seq, end) < 0) {
                return false;
            }
            sackTriggered = true;
            sackTriggerSeq = seq;
        }
        dsackOwed = true;
        dsackStart = seq;
        dsackEnd = end;
        return true;
    }

    /** RFC 9293 3.10.7.4 segment acceptability, against the window we advertised. */
    private boolean acceptable(int seq, int len, boolean bareFin) {
        int wnd = rcvAdvEdge - rcvNxt;
        if (wnd < 0) {
            wnd = 0;
        }
        if (len == 0) {
            // Inclusive right edge, as Linux does: a peer that filled our window sends its pure
            // ACKs at exactly RCV.NXT + RCV.WND; RFC 9293's half-open test would reject them and
            // our reply ACK would be rejected the same way, an endless ACK war.
            return Seq.ge(seq, rcvNxt) && Seq.le(seq, rcvNxt + wnd);
        }
        if (wnd == 0) {
            return bareFin && seq == rcvNxt; // a bare FIN at RCV.NXT is taken even with a closed window
        }
        return Seq.inRange(seq, rcvNxt, rcvNxt + wnd) || Seq.inRange(seq + len - 1, rcvNxt, rcvNxt + wnd);
    }

    private void processAck(TcpSegment seg, long now) {
        int ack = seg.ack;
        int newWnd = seg.window << sndShift;
        boolean windowUnchanged = newWnd == sndWnd;
        // RFC 9293 3.10.7.4: window update only from segments not older than the last one used
        if (Seq.le(sndUna, ack) && (Seq.lt(sndWl1, seg.seq) || (sndWl1 == seg.seq && Seq.le(sndWl2, ack)))) {
            sndWnd = newWnd;
            sndWl1 = seg.seq;
            sndWl2 = ack;
            if (sndWnd > maxSndWnd) {
                maxSndWnd = sndWnd;
            }
            if (sndWnd > 0) {
                persistDeadline = NONE;
                persistBackoff = 0;
            }
        }

        if (Seq.gt(ack, sndUna)) {
            int acked = ack - sndUna;
            takeRttSample(seg, ack, now);
            int dataAcked = ack - bufSeq;
            if (dataAcked > sendRing.length()) {
                dataAcked = sendRing.length(); // the rest acknowledges our FIN
            }
            if (dataAcked > 0) {
                sendRing.consume(dataAcked);
                bufSeq += dataAcked;
                events |= EV_WRITABLE;
            }
            sndUna = ack;
            if (Seq.lt(sndNxt, ack)) {
                sndNxt = ack; // after a go-back-N rollback the peer may already hold more
            }
            retries = 0;
            rtt.resetBackoff();
            if (cc.onNewAck(acked, sndUna, sndMax, sendMss)) {
                retransmitHead(now, false); // NewReno partial ACK: the next hole is lost too
            }
            rtxDeadline = sndUna == sndMax ? NONE : now + currentRto();

            if (finQueued && Seq.gt(sndUna, finSeq)) {
                switch (state) {
                    case FIN_WAIT_1 -> {
                        state = TcpState.FIN_WAIT_2;
                        timeWaitDeadline = finWait2Deadline(now);
                    }
                    case CLOSING -> enterTimeWait(now);
                    case LAST_ACK -> {
                        enterClosed(false);
                        return;
                    }
                    default -> {
                    }
                }
            }
        } else if (ack == sndUna && seg.payloadLength == 0 && (seg.flags & (SYN | FIN)) == 0
                && sndMax != sndUna && windowUnchanged) {
            stats.dupAcks++;
            if (cc.onDupAck(sndUna, sndMax, sendMss)) {
                stats.fastRetransmits++;
                retransmitHead(now, false);
            }
        }
    }

    private void takeRttSample(TcpSegment seg, int ack, long now) {
        long sample = -1;
        if (tsOk && seg.hasTimestamps && seg.tsEcr != 0) {
            // RFC 7323 RTTM; but an echo older than our last timeout measures the timeout too
            int ticks = tsNow(now) - seg.tsEcr;
            if (ticks >= 0 && Seq.ge(seg.tsEcr, rtoTsVal)) {
                sample = ticks * 1000L;
            }
        } else if (rttTiming && Seq.gt(ack, rttSeq)) {
            sample = now - rttStart;
        }
        if (Seq.gt(ack, rttSeq)) {
            rttTiming = false;
        }
        if (sample >= 0) {
            rtt.sample(sample);
        }
    }

    private long currentRto() {
        return rtt.current();
    }

    private void processData(TcpSegment seg, long now) {
        int seq = seg.seq;
        int len = seg.payloadLength;
        int off = seg.payloadOffset;
        boolean fin = seg.has(FIN);
        if (Seq.gt(seq, rcvNxt) && noteDuplicate(seq, len)) {
            // all of it held out of order already: nothing to store, ACK at once with the D-SACK
            stats.oooSegments++;
            ackNow = true;
            if (fin) {
                oooFin = true;
                oooFinSeq = seq + len;
            }
            return;
        }
        if (Seq.lt(seq, rcvNxt)) {
            int d = rcvNxt - seq; // already received: trim the front
            if (d > len) {
                d = len;
            }
            off += d;
            len -= d;
            seq += d;
        }
        // trim to what fits: the advertised edge and the ring's real free space
        int limit = rcvNxt + recvRing.free();
        if (Seq.lt(rcvAdvEdge, limit)) {
            limit = rcvAdvEdge;
        }
        if (Seq.gt(seq + len, limit)) {
            len = Math.max(0, limit - seq);
            fin = false;
            ackNow = true; // data beyond the window: tell the peer where the window is
        }
        if (seq == rcvNxt) {
            if (len > 0) {
                recvRing.put(recvRing.readable(), seg.payload, off, len);
                recvRing.commit(len);
                rcvNxt += len;
                stats.bytesIn += len;
                events |= EV_READABLE;
                if (len > rcvMss) {
                    rcvMss = Math.min(len, config.mss());
                }
                if (recvRing.oooCount() > 0) {
                    int before = rcvNxt;
                    rcvNxt = recvRing.absorb(rcvNxt);
                    if (rcvNxt != before) {
                        stats.bytesIn += rcvNxt - before;
                    }
                    ackNow = true; // filled all or part of a hole (RFC 5681 4.2)
                }
                if (!ackNow) {
                    if (rcvNxt - lastAckSent >= 2 * rcvMss) {
                        ackNow = true; // at least every second full-sized segment
                    } else if (delackDeadline == NONE) {
                        delackDeadline = now + config.delayedAckNanos();
                    }
                }
            }
            if (fin || (oooFin && rcvNxt == oooFinSeq)) {
                receiveFin(now);
            }
        } else if (len > 0 || fin) {
            // out of order: keep the bytes at their offset, ACK at once (the peer counts dup ACKs)
            stats.oooSegments++;
            ackNow = true;
            boolean stored = true;
            if (len > 0) {
                stored = recvRing.addInterval(seq, seq + len);
                if (stored) {
                    recvRing.put(recvRing.readable() + (seq - rcvNxt), seg.payload, off, len);
                    sackTriggered = true;
                    sackTriggerSeq = seq;
                } else {
                    stats.oooDropped++;
                }
            }
            if (fin && stored) {
                oooFin = true;
                oooFinSeq = seq + len;
            }
        }
    }

    private void receiveFin(long now) {
        rcvNxt += 1;
        peerFin = true;
        oooFin = false;
        ackNow = true;
        events |= EV_READABLE;
        switch (state) {
            case ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> {
                if (finQueued && Seq.gt(sndUna, finSeq)) {
                    enterTimeWait(now);
                } else {
                    state = TcpState.CLOSING; // simultaneous close
                }
            }
            case FIN_WAIT_2 -> enterTimeWait(now);
            default -> {
            }
        }
    }

    private void enterTimeWait(long now) {
        state = TcpState.TIME_WAIT;
        rtxDeadline = NONE;
        persistDeadline = NONE;
        delackDeadline = NONE;
        timeWaitDeadline = now + config.timeWaitNanos();
    }

    /** FIN_WAIT_2 reuses the TIME_WAIT deadline (the states exclude each other): the peer's silence limit. */
    private long finWait2Deadline(long now) {
        return config.finWait2Nanos() > 0 ? now + config.finWait2Nanos() : NONE;
    }

    private void enterClosed(boolean reset) {
        disarmClosed();
        events |= EV_CLOSED | (reset ? EV_RESET : 0);
    }

    /** CLOSED with every timer off and nothing owed to the peer. */
    private void disarmClosed() {
        state = TcpState.CLOSED;
        rtxDeadline = NONE;
        persistDeadline = NONE;
        delackDeadline = NONE;
        timeWaitDeadline = NONE;
        ackNow = false;
    }

    private void challengeAck() {
        stats.challengeAcks++;
        ackNow = true;
    }

    // ---------------------------------------------------------------------------------------
    // timers

    /** Runs every timer due at {@code nowNanos} (retransmission, delayed ACK, persist, TIME_WAIT). */
    public void onTimer(long nowNanos) {
        if (timeWaitDeadline <= nowNanos) {
            // TIME_WAIT ends normally; FIN_WAIT_2 ending means the peer vanished (its FIN or
            // RST lost): closed quietly, no RST (the peer is gone), reported as a reset
            enterClosed(state == TcpState.FIN_WAIT_2);
        }
        if (rtxDeadline <= nowNanos) {
            onRetransmitTimeout(nowNanos);
        }
        if (persistDeadline <= nowNanos) {
            onPersistTimeout(nowNanos);
        }
        if (delackDeadline <= nowNanos) {
            delackDeadline = NONE;
            ackNow = true;
        }
        finish(nowNanos);
    }

    /** The earliest armed timer deadline, or {@link Long#MAX_VALUE} if none is armed. */
    public long nextDeadline() {
        return Math.min(Math.min(rtxDeadline, delackDeadline), Math.min(persistDeadline, timeWaitDeadline));
    }

    private void onRetransmitTimeout(long now) {
        rtxDeadline = NONE;
        if (retries >= config.maxRetransmissions()) {
            enterClosed(true); // give up (RFC 9293 R2)
            return;
        }
        retries++;
        rtt.backOff();
        stats.timeouts++;
        rttTiming = false; // Karn: no sample from anything sent before the timeout
        rtoTsVal = tsNow(now);
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            sendSyn(now);
            return;
        }
        if (sndUna == sndMax) {
            return;
        }
        // loss window of one segment, go back to SND.UNA
        cc.onTimeout(sndUna, sndMax, sendMss);
        sndNxt = sndUna;
        retransmitHead(now, true);
        if (rtxDeadline == NONE) {
            rtxDeadline = now + currentRto();
        }
    }

    private void onPersistTimeout(long now) {
        persistDeadline = NONE;
        int unsent = bufSeq + sendRing.length() - sndNxt;
        if (unsent <= 0 || sndNxt != sndUna || !canSendData()) {
            persistBackoff = 0;
            return;
        }
        if (sndWnd == 0) {
            // window probe: an old sequence number makes the peer answer with its current window
            stats.windowProbes++;
            transmit(sndUna - 1, 0, ACK, now);
        } else {
            // override timeout (RFC 9293 3.8.6.2.1): send what the small window allows
            int len = Math.min(Math.min(unsent, sndWnd), Math.min(sendMss, sendRing.contiguous(sndNxt - bufSeq)));
            sendNew(len, unsent, now);
        }
        if (persistBackoff < 62) {
            persistBackoff++;
        }
        if (sndNxt == sndUna) {
            persistDeadline = now + persistInterval();
        }
    }

    private long persistInterval() {
        return rtt.shifted(persistBackoff);
    }

    // ---------------------------------------------------------------------------------------
    // output

    private boolean canSendData() {
        return switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> true;
            default -> false;
        };
    }

    /** Sends whatever the windows, SWS avoidance and Nagle allow (RFC 9293 3.8.6.2.1). */
    private void output(long now) {
        if (!canSendData()) {
            return;
        }
        for (;;) {
            int unsent = bufSeq + sendRing.length() - sndNxt;
            boolean finPending = finQueued && sndNxt == finSeq;
            if (unsent <= 0 && !finPending) {
                break;
            }
            if (unsent < 0) {
                unsent = 0;
            }
            int len = 0;
            if (unsent > 0) {
                int inflight = sndNxt - sndUna;
                int usable = Math.min(sndWnd, cc.cwnd()) - inflight;
                len = Math.min(unsent, Math.min(usable, sendMss));
                if (len <= 0) {
                    break; // window or cwnd closed; the FIN waits behind the data
                }
                boolean full = len == sendMss;
                boolean all = len == unsent && (!config.nagle() || inflight == 0);
                boolean half = len >= (maxSndWnd >>> 1);
                if (!full && !all && !half) {
                    break;
                }
                len = Math.min(len, sendRing.contiguous(sndNxt - bufSeq));
            }
            sendNew(len, unsent, now);
        }
        if (sndNxt == sndUna && rtxDeadline == NONE && persistDeadline == NONE
                && bufSeq + sendRing.length() - sndNxt > 0) {
            // data waits on the peer's window with nothing in flight: only this timer can unstick it
            persistDeadline = now + persistInterval();
        }
    }

    /** Emits {@code len} new bytes at SND.NXT (plus the FIN when they are the last) and advances. */
    private void sendNew(int len, int unsent, long now) {
        boolean fin = finQueued && sndNxt + len == finSeq;
        int flags = ACK | (fin ? FIN : 0) | (len > 0 && len == unsent ? PSH : 0);
        if (!rttTiming && !tsOk && Seq.ge(sndNxt, sndMax)) {
            rttTiming = true;
            rttSeq = sndNxt;
            rttStart = now;
        }
        transmit(sndNxt, len, flags, now);
        sndNxt += len + (fin ? 1 : 0);
        if (Seq.gt(sndNxt, sndMax)) {
            sndMax = sndNxt;
        }
        if (rtxDeadline == NONE) {
            rtxDeadline = now + currentRto();
        }
        persistDeadline = NONE;
    }

    /** Re-sends the first unacknowledged segment (and the FIN if it is all that is left). */
    private void retransmitHead(long now, boolean advance) {
        int dataEnd = bufSeq + sendRing.length();
        int avail = (Seq.lt(sndMax, dataEnd) ? sndMax : dataEnd) - sndUna; // only what was sent
        int len = Math.max(0, Math.min(avail, sendMss));
        if (len > 0) {
            len = Math.min(len, sendRing.contiguous(sndUna - bufSeq));
        }
        boolean fin = finQueued && sndUna + len == finSeq && Seq.gt(sndMax, finSeq);
        if (len == 0 && !fin) {
            return;
        }
        rttTiming = false; // Karn
        transmit(sndUna, len, ACK | (fin ? FIN : 0), now);
        int end = sndUna + len + (fin ? 1 : 0);
        if (advance && Seq.gt(end, sndNxt)) {
            sndNxt = end;
        }
    }

    private void sendSyn(long now) {
        boolean synAck = state == TcpState.SYN_RECEIVED;
        TcpSegment s = out;
        fillHeader(s, iss, synAck ? SYN | ACK : SYN);
        s.ack = synAck ? rcvNxt : 0;
        s.window = synWindow();
        s.mss = config.mss();
        if (synAck) {
            s.windowScale = wsAgreed ? rcvShift : ABSENT;
            s.sackPermitted = sackOk;
            s.hasTimestamps = tsOk;
        } else {
            s.windowScale = config.windowScale() >= 0 ? offeredWindowScale() : ABSENT;
            s.sackPermitted = config.sackPermitted();
            s.hasTimestamps = config.timestamps();
        }
        s.tsVal = tsNow(now);
        s.tsEcr = synAck ? tsRecent : 0;
        if (synAck) {
            lastAckSent = rcvNxt;
            ackNow = false;
            delackDeadline = NONE;
        }
        if (Seq.lt(iss, sndMax)) {
            stats.retransmits++;
            rttTiming = false;
        } else {
            sndNxt = iss + 1;
            sndMax = iss + 1;
            rttTiming = true;
            rttSeq = iss;
            rttStart = now;
        }
        stats.segmentsOut++;
        if (rtxDeadline == NONE) {
            rtxDeadline = now + currentRto();
        }
        sink.transmit(this, s);
    }

    /**
     * The shift we announce: the configured one, but never so large that a scaled window unit
     * exceeds half the receive buffer (a tiny buffer under a big shift could only ever
     * advertise a zero window).
     */
    private int offeredWindowScale() {
        int log2 = 31 - Integer.numberOfLeadingZeros(recvRing.maxCapacity());
        return Math.min(config.windowScale(), Math.max(0, log2 - 1));
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
    private void transmit(int seq, int len, int flags, long now) {
        TcpSegment s = out;
        fillHeader(s, seq, flags);
        s.ack = rcvNxt;
        s.window = windowField();
        if (tsOk) {
            s.hasTimestamps = true;
            s.tsVal = tsNow(now);
            s.tsEcr = tsRecent;
        }
        if (len > 0) {
            s.payloadOffset = sendRing.index(seq - bufSeq);
            s.payloadLength = len;
        }
        boolean sackOmitted = false;
        if (sackOk && (recvRing.oooCount() > 0 || dsackOwed)) {
            // payload and SACK option together stay within what the peer's MSS allows
            int roomBlocks = (sendMss - len - TcpCodec.sackOptionBytes(0)) / TcpCodec.SACK_BLOCK_BYTES;
            int max = Math.min(roomBlocks, TcpCodec.sackBlocksThatFit(tsOk ? TS_OPTION_BYTES : 0));
            fillSackBlocks(s, max);
            sackOmitted = s.sackCount == 0;
        }
        lastAckSent = rcvNxt;
        // a data segment with no room for any block leaves an owed ACK owed: a pure ACK carries them
        if (!sackOmitted) {
            ackNow = false;
            delackDeadline = NONE;
        }
        stats.segmentsOut++;
        stats.bytesOut += len;
        if ((len > 0 || (flags & FIN) != 0) && Seq.lt(seq, sndMax)) {
            stats.retransmits++;
        }
        sink.transmit(this, s);
    }

    /**
     * Fills up to {@code max} SACK blocks: first an owed D-SACK block (RFC 2883 4), which lies at
     * or below RCV.NXT or inside the block that follows it, and is sent once; then, from the
     * out-of-order intervals (RFC 2018 4), the one holding the segment that triggered this ACK,
     * then the others from the highest sequence down. A sender sending in order fills holes from
     * below, so the highest blocks are the most recent ones, and the order follows from the ring
     * alone (no extra connection state). These always lie above RCV.NXT: the ring absorbs
     * intervals that RCV.NXT reaches. A D-SACK inside an interval is only recognizable beside
     * it: with room for fewer than two blocks none is filled, and the pure ACK that follows
     * carries them.
     */
    private void fillSackBlocks(TcpSegment s, int max) {
        int n = 0;
        if (dsackOwed) {
            if (max < (Seq.gt(dsackEnd, rcvNxt) ? 2 : 1)) {
                s.sackCount = 0;
                return;
            }
            s.sackLeft[0] = dsackStart;
            s.sackRight[0] = dsackEnd;
            n = 1;
            dsackOwed = false;
        }
        int count = recvRing.oooCount();
        int first = -1;
        if (sackTriggered) {
            for (int i = 0; i < count; i++) {
                if (Seq.le(recvRing.oooStart(i), sackTriggerSeq) && Seq.lt(sackTriggerSeq, recvRing.oooEnd(i))) {
                    first = i;
                    break;
                }
            }
        }
        if (first >= 0 && n < max) {
            n = addSackBlock(s, n, first);
        }
        for (int i = count - 1; i >= 0 && n < max; i--) {
            if (i != first) {
                n = addSackBlock(s, n, i);
            }
        }
        s.sackCount = n;
    }

    private int addSackBlock(TcpSegment s, int n, int interval) {
        int start = recvRing.oooStart(interval);
        if (!Seq.gt(start, rcvNxt)) {
            return n;
        }
        s.sackLeft[n] = start;
        s.sackRight[n] = recvRing.oooEnd(interval);
        return n + 1;
    }

    private void sendAck(long now) {
        // SND.MAX, not the rolled-back SND.NXT: the peer may hold everything up to it, and a
        // pure ACK below its RCV.NXT would be unacceptable there
        transmit(sndMax, 0, ACK, now);
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

    /**
     * The window to advertise, scaled: free space, but the right edge only moves right, and by
     * at least min(buffer/2, MSS) at a time (receive-side SWS avoidance, RFC 9293 3.8.6.2.2).
     * Scaling rounds down, so an advertised edge never lies beyond the buffer; the apparent
     * retraction by less than 2^shift that this can cause is the one RFC 7323 2.4 allows, and
     * {@link #rcvAdvEdge} keeps accepting data up to the furthest edge ever advertised.
     */
    private int windowField() {
        int cur = rcvAdvEdge - rcvNxt;
        if (cur < 0) {
            cur = 0;
        }
        int free = recvRing.free();
        int wnd = free - cur >= Math.min(recvRing.maxCapacity() >>> 1, config.mss()) ? free : cur;
        int field = wnd >>> rcvShift;
        if (field > 65535) {
            field = 65535;
        }
        int edge = rcvNxt + (field << rcvShift);
        if (Seq.gt(edge, rcvAdvEdge)) {
            rcvAdvEdge = edge;
        }
        return field;
    }

    private int tsNow(long now) {
        return (int) (now / 1000L) + tsOffset;
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
                if (ackNow) {
                    ackNow = false;
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
        if (finQueued) {
            return false;
        }
        return switch (state) {
            case SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT -> true;
            default -> false;
        };
    }

    /** Reads up to {@code length} in-order bytes; returns how many were read (0 if none). */
    public int receive(MutableDirectBuffer dst, int offset, int length, long nowNanos) {
        if (length <= 0) {
            return 0;
        }
        int n = recvRing.read(dst, offset, length);
        if (n > 0 && (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1
                || state == TcpState.FIN_WAIT_2)) {
            // tell the peer when reading opened the window a lot (RFC 9293 3.8.6.2.2)
            int cur = Math.max(0, rcvAdvEdge - rcvNxt);
            int free = recvRing.free();
            if (free - cur >= Math.min(recvRing.maxCapacity() >>> 1, config.mss()) && free >= 2 * cur) {
                ackNow = true;
            }
            finish(nowNanos);
        }
        return n;
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
        return peerFin && recvRing.readable() == 0;
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
        if (!finQueued) {
            finQueued = true;
            finSeq = bufSeq + sendRing.length();
        }
    }

    /** Abortive close: emits a RST and goes to CLOSED. */
    public void abort(long nowNanos) {
        if (state == TcpState.CLOSED) {
            return;
        }
        if (state != TcpState.SYN_SENT && state != TcpState.LISTEN && state != TcpState.TIME_WAIT) {
            sendRst(sndMax, rcvNxt, true);
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
        return sendMss;
    }

    public int congestionWindow() {
        return cc.cwnd();
    }

    public int slowStartThreshold() {
        return cc.ssthresh();
    }

    /** The peer's current send window in bytes (scaled). */
    public int sendWindow() {
        return sndWnd;
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
        return wsAgreed;
    }

    public int sendWindowShift() {
        return sndShift;
    }

    public int receiveWindowShift() {
        return rcvShift;
    }

    public boolean sackPermitted() {
        return sackOk;
    }

    public boolean timestamps() {
        return tsOk;
    }

    /** Bytes queued but not yet acknowledged (unsent included). */
    public int unacknowledgedBytes() {
        return sendRing.length();
    }

    public boolean inFastRecovery() {
        return cc.inRecovery();
    }

    long retransmitDeadline() {
        return rtxDeadline;
    }

    long delayedAckDeadline() {
        return delackDeadline;
    }

    long persistDeadline() {
        return persistDeadline;
    }

    long timeWaitDeadline() {
        return timeWaitDeadline;
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
        return rcvNxt;
    }

    int tsRecent() {
        return tsRecent;
    }

    int sndUna() {
        return sndUna;
    }

    int sndNxt() {
        return sndNxt;
    }

    @Override
    public String toString() {
        return "TcpConnection{" + state + " " + localPort + "->" + remotePort
                + " una=" + Integer.toUnsignedString(sndUna) + " nxt=" + Integer.toUnsignedString(sndNxt)
                + " max=" + Integer.toUnsignedString(sndMax) + " wnd=" + sndWnd + " cwnd=" + cc.cwnd()
                + " rcvNxt=" + Integer.toUnsignedString(rcvNxt) + " queued=" + sendRing.length()
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
        return SNAPSHOT_HEADER + SNAPSHOT_FIXED_BODY + sendRing.length() + recvRing.snapshotBytes();
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
     * 0, and only {@code restore(..., false, pool)} accepts the bytes.
     */
    public int snapshot(MutableDirectBuffer dst, int offset, long nowNanos, boolean checksum) {
        SnapshotWriter w = new SnapshotWriter().wrap(dst, offset + SNAPSHOT_HEADER);
        TcpConfig c = config;
        w.putInt(c.mss());
        w.putInt(c.sendBufferBytes());
        w.putInt(c.receiveBufferBytes());
        w.putInt(c.windowScale());
        w.putBoolean(c.sackPermitted());
        w.putBoolean(c.timestamps());
        w.putBoolean(c.nagle());
        w.putLong(c.delayedAckNanos());
        w.putLong(c.initialRtoNanos());
        w.putLong(c.minRtoNanos());
        w.putLong(c.maxRtoNanos());
        w.putInt(c.maxRetransmissions());
        w.putLong(c.timeWaitNanos());
        w.putInt(c.maxOutOfOrderSegments());
        w.putLong(c.finWait2Nanos());

        w.putInt(localIp);
        w.putInt(localPort);
        w.putInt(remoteIp);
        w.putInt(remotePort);
        w.putByte(state.ordinal());

        w.putInt(iss);
        w.putInt(sndUna);
        w.putInt(sndNxt);
        w.putInt(sndMax);
        w.putInt(sndWnd);
        w.putInt(sndWl1);
        w.putInt(sndWl2);
        w.putInt(maxSndWnd);
        w.putInt(bufSeq);
        w.putBoolean(finQueued);
        w.putInt(finSeq);

        w.putInt(irs);
        w.putInt(rcvNxt);
        w.putInt(rcvAdvEdge);
        w.putInt(lastAckSent);
        w.putInt(rcvMss);
        w.putBoolean(peerFin);
        w.putBoolean(oooFin);
        w.putInt(oooFinSeq);

        w.putInt(sendMss);
        w.putInt(sndShift);
        w.putInt(rcvShift);
        w.putBoolean(wsAgreed);
        w.putBoolean(sackOk);
        w.putBoolean(tsOk);
        w.putInt(tsRecent);
        w.putLong(nowNanos - tsRecentTime);
        w.putInt(tsNow(nowNanos)); // the TS clock's value now; restore re-bases it on its own now
        w.putInt(rtoTsVal);

        rtt.write(w);
        w.putInt(retries);
        w.putBoolean(rttTiming);
        w.putInt(rttSeq);
        w.putLong(rttTiming ? nowNanos - rttStart : 0);

        cc.write(w);

        putDeadline(w, rtxDeadline, nowNanos);
        putDeadline(w, delackDeadline, nowNanos);
        putDeadline(w, persistDeadline, nowNanos);
        putDeadline(w, timeWaitDeadline, nowNanos);
        w.putInt(persistBackoff);
        w.putBoolean(ackNow);

        stats.write(w);
        sendRing.write(w);
        recvRing.write(w, rcvNxt);

        int bodyLength = w.position() - (offset + SNAPSHOT_HEADER);
        dst.putInt(offset, SNAPSHOT_MAGIC, ByteOrder.BIG_ENDIAN);
        dst.putInt(offset + 4, SNAPSHOT_VERSION, ByteOrder.BIG_ENDIAN);
        dst.putInt(offset + 8, bodyLength, ByteOrder.BIG_ENDIAN);
        dst.putInt(offset + 12, checksum ? crc32c(dst, offset + SNAPSHOT_HEADER, bodyLength) : 0,
                ByteOrder.BIG_ENDIAN);
        return SNAPSHOT_HEADER + bodyLength;
    }

    private static void putDeadline(SnapshotWriter w, long deadline, long now) {
        w.putBoolean(deadline != NONE);
        w.putLong(deadline != NONE ? deadline - now : 0);
    }

    private static long getDeadline(SnapshotReader r, String field, long now) throws SnapshotException {
        boolean armed = r.getBoolean(field);
        long rel = r.getLong(field, -(1L << 62), 1L << 62);
        if (!armed) {
            return NONE;
        }
        long d = now + rel;
        return d == NONE ? NONE - 1 : d;
    }

    static int crc32c(DirectBuffer buffer, int offset, int length) {
        return io.capybara.wire.BufferCrc.crc32c(buffer, offset, length);
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
        if (src == null || offset < 0 || length < 0 || (long) offset + length > src.capacity()) {
            throw new SnapshotException("snapshot range [" + offset + ", +" + length + ") outside the buffer");
        }
        if (length < SNAPSHOT_HEADER) {
            throw new SnapshotException("snapshot truncated: " + length + " bytes, header needs " + SNAPSHOT_HEADER);
        }
        int magic = src.getInt(offset, ByteOrder.BIG_ENDIAN);
        if (magic != SNAPSHOT_MAGIC) {
            throw new SnapshotException("not a TCP connection snapshot: magic 0x" + Integer.toHexString(magic));
        }
        int version = src.getInt(offset + 4, ByteOrder.BIG_ENDIAN);
        if (version != SNAPSHOT_VERSION && version != 1) {
            throw new SnapshotException("unsupported snapshot version " + version + " (expected "
                    + SNAPSHOT_VERSION + ")");
        }
        int bodyLength = src.getInt(offset + 8, ByteOrder.BIG_ENDIAN);
        if (bodyLength != length - SNAPSHOT_HEADER) {
            throw new SnapshotException("snapshot length mismatch: header says " + bodyLength
                    + " body bytes, " + (length - SNAPSHOT_HEADER) + " given");
        }
        int crc = src.getInt(offset + 12, ByteOrder.BIG_ENDIAN);
        int actual = verifyChecksum ? crc32c(src, offset + SNAPSHOT_HEADER, bodyLength) : crc;
        if (crc != actual) {
            throw new SnapshotException("snapshot corrupt: CRC32C 0x" + Integer.toHexString(actual)
                    + " != 0x" + Integer.toHexString(crc));
        }
        SnapshotReader r = new SnapshotReader().wrap(src, offset + SNAPSHOT_HEADER, bodyLength);
        TcpConfig config = new TcpConfig(
                r.getInt("config.mss", MIN_MSS, 65535),
                r.getInt("config.sendBufferBytes", 1, MAX_BUFFER),
                r.getInt("config.receiveBufferBytes", 1, MAX_BUFFER),
                r.getInt("config.windowScale", Integer.MIN_VALUE, MAX_WINDOW_SHIFT),
                r.getBoolean("config.sackPermitted"),
                r.getBoolean("config.timestamps"),
                r.getBoolean("config.nagle"),
                r.getLong("config.delayedAckNanos", 0, Long.MAX_VALUE),
                r.getLong("config.initialRtoNanos", 1, Long.MAX_VALUE),
                r.getLong("config.minRtoNanos", 1, Long.MAX_VALUE),
                r.getLong("config.maxRtoNanos", 1, Long.MAX_VALUE),
                r.getInt("config.maxRetransmissions", 0, Integer.MAX_VALUE),
                r.getLong("config.timeWaitNanos", 0, Long.MAX_VALUE),
                r.getInt("config.maxOutOfOrderSegments", 0, MAX_OOO_INTERVALS),
                version >= 2 ? r.getLong("config.finWait2Nanos", 0, Long.MAX_VALUE) : TcpConfig.DEFAULT_FIN_WAIT_2_NANOS);
        if (config.maxRtoNanos() < config.minRtoNanos()) {
            throw new SnapshotException("snapshot corrupt: maxRto < minRto");
        }
        if (config.equals(usual)) {
            config = usual;
        }
        int localIp = r.getInt("localIp");
        int localPort = r.getInt("localPort", 0, 65535);
        int remoteIp = r.getInt("remoteIp");
        int remotePort = r.getInt("remotePort", 0, 65535);
        int stateOrdinal = r.getByte("state");
        if (stateOrdinal >= STATES.length || STATES[stateOrdinal] == TcpState.LISTEN) {
            throw new SnapshotException("snapshot corrupt: state ordinal " + stateOrdinal);
        }
        int sendMax = ringCapacity(config.sendBufferBytes());
        int recvMax = ringCapacity(config.receiveBufferBytes());
        // rings are read last; collect the scalars first
        int iss = r.getInt("iss");
        int sndUna = r.getInt("sndUna");
        int sndNxt = r.getInt("sndNxt");
        int sndMaxSeq = r.getInt("sndMax");
        int sndWnd = r.getInt("sndWnd", 0, 65535L << MAX_WINDOW_SHIFT);
        int sndWl1 = r.getInt("sndWl1");
        int sndWl2 = r.getInt("sndWl2");
        int maxSndWnd = r.getInt("maxSndWnd", 0, 65535L << MAX_WINDOW_SHIFT);
        int bufSeq = r.getInt("bufSeq");
        boolean finQueued = r.getBoolean("finQueued");
        int finSeq = r.getInt("finSeq");
        int irs = r.getInt("irs");
        int rcvNxt = r.getInt("rcvNxt");
        int rcvAdvEdge = r.getInt("rcvAdvEdge");
        int lastAckSent = r.getInt("lastAckSent");
        int rcvMss = r.getInt("rcvMss", 1, 65535);
        boolean peerFin = r.getBoolean("peerFin");
        boolean oooFin = r.getBoolean("oooFin");
        int oooFinSeq = r.getInt("oooFinSeq");
        int sendMss = r.getInt("sendMss", 1, 65535);
        int sndShift = r.getInt("sndShift", 0, MAX_WINDOW_SHIFT);
        int rcvShift = r.getInt("rcvShift", 0, MAX_WINDOW_SHIFT);
        boolean wsAgreed = r.getBoolean("wsAgreed");
        boolean sackOk = r.getBoolean("sackOk");
        boolean tsOk = r.getBoolean("tsOk");
        int tsRecent = r.getInt("tsRecent");
        long tsRecentAge = r.getLong("tsRecentAge");
        int tsClock = r.getInt("tsClock");
        int rtoTsVal = r.getInt("rtoTsVal");
        RttEstimator rtt = new RttEstimator(config.initialRtoNanos(), config.minRtoNanos(), config.maxRtoNanos());
        rtt.read(r);
        int retries = r.getInt("retries", 0, Integer.MAX_VALUE);
        boolean rttTiming = r.getBoolean("rttTiming");
        int rttSeq = r.getInt("rttSeq");
        long rttAge = r.getLong("rttAge", 0, 1L << 62);
        NewReno cc = new NewReno(iss, MIN_MSS);
        cc.read(r);
        long rtxDeadline = getDeadline(r, "rtxDeadline", nowNanos);
        long delackDeadline = getDeadline(r, "delackDeadline", nowNanos);
        long persistDeadline = getDeadline(r, "persistDeadline", nowNanos);
        long timeWaitDeadline = getDeadline(r, "timeWaitDeadline", nowNanos);
        int persistBackoff = r.getInt("persistBackoff", 0, 62);
        boolean ackNow = r.getBoolean("ackNow");
        TcpStats stats = new TcpStats();
        stats.read(r);
        SendRing sendRing = SendRing.read(r, sendMax, pool);
        ReceiveRing recvRing = ReceiveRing.read(r, recvMax, config.maxOutOfOrderSegments(), rcvNxt, pool);
        if (r.remaining() != 0) {
            throw new SnapshotException("snapshot corrupt: " + r.remaining() + " unexpected trailing body bytes");
        }
        // cross-field invariants the state machine relies on (offsets into the send ring)
        int len = sendRing.length();
        if (!Seq.le(sndUna, sndNxt) || !Seq.le(sndNxt, sndMaxSeq)
                || outside(sndUna - bufSeq, len) || outside(sndNxt - bufSeq, len) || outside(sndMaxSeq - bufSeq, len)
                || (finQueued && finSeq != bufSeq + len)) {
            throw new SnapshotException("snapshot corrupt: send sequence variables inconsistent with the send buffer");
        }

        TcpConnection c = new TcpConnection(config, localIp, localPort, remoteIp, remotePort, sink,
                sendRing, recvRing, rtt, cc, stats);
        c.state = STATES[stateOrdinal];
        c.iss = iss;
        c.sndUna = sndUna;
        c.sndNxt = sndNxt;
        c.sndMax = sndMaxSeq;
        c.sndWnd = sndWnd;
        c.sndWl1 = sndWl1;
        c.sndWl2 = sndWl2;
        c.maxSndWnd = maxSndWnd;
        c.bufSeq = bufSeq;
        c.finQueued = finQueued;
        c.finSeq = finSeq;
        c.irs = irs;
        c.rcvNxt = rcvNxt;
        c.rcvAdvEdge = rcvAdvEdge;
        c.lastAckSent = lastAckSent;
        c.rcvMss = rcvMss;
        c.peerFin = peerFin;
        c.oooFin = oooFin;
        c.oooFinSeq = oooFinSeq;
        c.sendMss = sendMss;
        c.sndShift = sndShift;
        c.rcvShift = rcvShift;
        c.wsAgreed = wsAgreed;
        c.sackOk = sackOk;
        c.tsOk = tsOk;
        c.tsRecent = tsRecent;
        c.tsRecentTime = nowNanos - tsRecentAge;
        c.tsOffset = tsClock - (int) (nowNanos / 1000L);
        c.rtoTsVal = rtoTsVal;
        c.retries = retries;
        c.rttTiming = rttTiming;
        c.rttSeq = rttSeq;
        c.rttStart = nowNanos - rttAge;
        c.rtxDeadline = rtxDeadline;
        c.delackDeadline = delackDeadline;
        c.persistDeadline = persistDeadline;
        c.timeWaitDeadline = timeWaitDeadline;
        c.persistBackoff = persistBackoff;
        c.ackNow = ackNow;
        return c;
    }

    /**
     * Ring memory comes from {@code pool} when bytes are queued or arrive and goes back to it
     * when the rings empty, so an idle connection holds none (null: heap memory, kept).
     */
    public void bufferPool(BufferPool pool) {
        sendRing.pool = pool;
        recvRing.pool = pool;
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
        disarmClosed(); // no events: nobody is told, the connection lives on elsewhere
        finQueued = false;
        peerFin = false;
        oooFin = false;
    }

    /**
     * True when both connections are in the identical full state (everything {@link #snapshot}
     * captures: variables, buffers, timers relative to {@code nowNanos}, counters). Allocates;
     * meant for tests and debugging, not for the data path.
     */
    public boolean sameStateAs(TcpConnection other, long nowNanos) {
        org.agrona.concurrent.UnsafeBuffer x = new org.agrona.concurrent.UnsafeBuffer(new byte[snapshotSize()]);
        org.agrona.concurrent.UnsafeBuffer y = new org.agrona.concurrent.UnsafeBuffer(new byte[other.snapshotSize()]);
        int nx = snapshot(x, 0, nowNanos);
        int ny = other.snapshot(y, 0, nowNanos);
        return nx == ny && equalRange(x, y, nx);
    }

    private static boolean equalRange(DirectBuffer x, DirectBuffer y, int n) {
        for (int i = 0; i < n; i++) {
            if (x.getByte(i) != y.getByte(i)) {
                return false;
            }
        }
        return true;
    }

    /** Offset {@code d} of a sequence variable from bufSeq must lie in [-1, len + 1] (SYN/FIN). */
    private static boolean outside(int d, int len) {
        return d < -1 || d > len + 1;
    }
}
