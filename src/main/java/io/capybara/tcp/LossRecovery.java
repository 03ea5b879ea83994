package io.capybara.tcp;

import io.capybara.wire.TcpSegment;

/**
 * The sender's SACK scoreboard and loss recovery: which sent segments the peer holds, which are
 * lost, how much is in the network, and what to send next. One record per segment sent (its
 * sequence range, when it was last sent, and SACKED / LOST / RETRANS flags), in sequence order,
 * in a ring of parallel arrays that grows by doubling (so the steady state allocates nothing).
 * In a host the arrays come from its {@link BufferPool} and go back when the board empties, as
 * the rings' memory does.
 *
 * <ul>
 * <li>RFC 6675: the scoreboard from SACK blocks (a D-SACK block, RFC 2883, marks nothing),
 * IsLost (DupThresh SACKed segments or more than (DupThresh - 1) SMSS SACKed bytes above),
 * {@link #pipe} (in Linux's form: out - SACKed - lost + retransmitted), NextSeg rules (1)
 * {@link #nextLost}, (3) {@link #nextHole} (a hole below the highest SACK not yet deemed lost,
 * when no new data can go) and (4) {@link #rescue}, recovery from the first loss until the ACK
 * covers the recovery point. RACK also marks a lost retransmission lost again.</li>
 * <li>RFC 8985 RACK: a segment is lost once a segment sent after it was delivered and it has
 * been outstanding for the RTT of that one plus the reorder window ({@link #detectLoss}); the
 * window is 0 until reordering has been seen and grows with D-SACKs. TLP: {@link #probeTimeout}
 * (Linux's: 2 SRTT plus 2 ms, or plus WCDelAckT with one segment out), one probe at a time,
 * and the RFC 8985 7.4 check of what the ACK of a retransmitted probe means
 * ({@link #probeAcked}); {@link TcpConnection} sends it.</li>
 * <li>RFC 6937 PRR: {@link #prrWindow} spreads the reduction to ssthresh over the recovery.</li>
 * </ul>
 * The whole state is a snapshot group, so a connection restored in the middle of a recovery
 * continues exactly as it would have (RFC 2018 would allow dropping it, as a receiver may
 * renege, at the price of retransmitting what the peer already holds).
 */
final class LossRecovery {
    static final int SACKED = 1;
    static final int LOST = 2;
    /** Retransmitted and not yet known to be lost again: counted in the pipe. */
    static final int RETRANS = 4;
    static final int EVER_RETRANS = 8;
    static final int DUP_THRESH = 3;
    static final int MAX_RECORDS = 1 << 14;
    private static final int INITIAL_RECORDS = 32;

    static final int OPEN = 0;
    static final int FAST = 1;
    static final int RTO = 2;

    static final int TIMER_NONE = 0;
    static final int TIMER_REORDER = 1;
    static final int TIMER_PROBE = 2;
    /** RFC 8985 7.2: WCDelAckT, the peer's worst-case delayed ACK when one segment is in flight. */
    static final long WORST_CASE_DELACK_NANOS = 200_000_000L;
    /**
     * Added to 2 SRTT when more than one segment is out, as Linux does (TCP_TIMEOUT_MIN, 2 ms):
     * on a LAN 2 SRTT is microseconds, within the peer's and the scheduler's noise. RFC 8985
     * 7.2 has no floor; the 10 ms floor used before delayed the repair of a tail loss on a
     * 50 us path by 10 ms where Linux waits about 2.1 ms.
     */
    static final long PTO_SLACK_NANOS = 2_000_000L;
    private static final long NONE = Long.MAX_VALUE;

    /** The record arrays below, held together so that a host's pool can keep them. */
    private Records records = Records.NONE;
    /** Where a growing board takes its arrays and leaves its old ones (the host's; may be null). */
    BufferPool pool;
    private int[] start = records.start;
    private int[] end = records.end;
    private long[] sent = records.sent;
    private byte[] flags = records.flags;
    private int head;
    private int count;
    /**
     * The last send stamp: a segment's stamp is {@code now}, or one nanosecond after the previous
     * segment's when several go out at the same time, so "sent after" (RACK) is exact within a
     * burst. RFC 8985 breaks such ties by sequence number, which misjudges a retransmission
     * sent after higher data in the same instant.
     */
    private long lastStamp = Long.MIN_VALUE;
    /** No record below this logical index is lost and waiting for retransmission. */
    private int lostScan;

    private int sackedBytes;
    private int sackedCount;
    /** Bytes of records marked lost and not SACKED. */
    private int lostBytes;
    /** Bytes of records retransmitted and not SACKED or lost again. */
    private int retransBytes;

    private int phase = OPEN;
    private int recoveryPoint;
    private boolean rescueSent;
    private int prrDelivered;
    private int prrOut;
    private int recoverFs;

    private boolean rackValid;
    private long rackXmit;
    private int rackEndSeq;
    private long rackRtt;
    private long minRtt = NONE;
    private boolean fackValid;
    private int fack;
    private boolean reorderingSeen;
    private int reoWndMult = 1;
    private int reoWndPersist;
    private boolean dsackRoundValid;
    private int dsackRound;

    private int timerKind = TIMER_NONE;
    private boolean probeOutstanding;
    private int probeEndSeq;
    private boolean probeRetransmitted;
    /** The right edge of the D-SACK block of the ACK being processed, if it had one (not state). */
    private boolean dsackSeen;
    private int dsackRight;

    // ------------------------------------------------------------------ records

    int count() {
        return count;
    }

    private int phys(int i) {
        return (head + i) & (start.length - 1);
    }

    int start(int i) {
        return start[phys(i)];
    }

    int end(int i) {
        return end[phys(i)];
    }

    int flags(int i) {
        return flags[phys(i)];
    }

    /** Records the arrays hold now (0 when the board gave them back). */
    int capacity() {
        return start.length;
    }

    boolean full() {
        return count == MAX_RECORDS;
    }

    /** Records that may still be added. */
    int recordsFree() {
        return MAX_RECORDS - count;
    }

    /**
     * New data [s, e) went out now as one segment, cut into {@code mss} pieces on the wire by
     * segmentation offload: one record per piece, the books of (e - s) / mss segments sent now.
     */
    void onSendPieces(int s, int e, int mss, long now) {
        while (s != e) {
            int pieceEnd = e - s > mss ? s + mss : e;
            onSend(s, pieceEnd, now);
            s = pieceEnd;
        }
    }

    /** New data [s, e) went out now. */
    void onSend(int s, int e, long now) {
        if (count == start.length) {
            grow();
        }
        int p = phys(count);
        start[p] = s;
        end[p] = e;
        sent[p] = stamp(now);
        flags[p] = 0;
        count++;
    }

    private long stamp(long now) {
        lastStamp = now > lastStamp ? now : lastStamp + 1;
        return lastStamp;
    }

    private void grow() {
        int cap = Math.max(INITIAL_RECORDS, start.length * 2);
        Records r = pool == null ? new Records(cap) : pool.takeRecords(cap);
        for (int i = 0; i < count; i++) {
            int p = phys(i);
            r.start[i] = start[p];
            r.end[i] = end[p];
            r.sent[i] = sent[p];
            r.flags[i] = flags[p];
        }
        if (pool != null && records != Records.NONE) {
            pool.giveRecords(records);
        }
        use(r);
        head = 0;
    }

    private void use(Records r) {
        records = r;
        start = r.start;
        end = r.end;
        sent = r.sent;
        flags = r.flags;
    }

    /** The record arrays go to {@code pool} (the connection left); the board is empty after. */
    void release(BufferPool pool) {
        if (records != Records.NONE) {
            pool.giveRecords(records);
        }
        use(Records.NONE);
        head = 0;
        count = 0;
    }

    /** Record {@code i} was sent again now (a repair, a rescue or a probe). */
    void onRetransmit(int i, long now) {
        int p = phys(i);
        if ((flags[p] & RETRANS) == 0) {
            retransBytes += end[p] - start[p];
        }
        flags[p] |= RETRANS | EVER_RETRANS;
        sent[p] = stamp(now);
        if (phase == FAST) {
            prrOut += end[p] - start[p];
        }
    }

    /** New data sent during recovery counts for PRR too. */
    void onNewDataSent(int bytes) {
        if (phase == FAST) {
            prrOut += bytes;
        }
    }

    // ------------------------------------------------------------------ RFC 6675 scoreboard

    /** Bytes in the network (RFC 6675 pipe). */
    int pipe() {
        if (count == 0) {
            return 0;
        }
        return end(count - 1) - start(0) - sackedBytes - lostBytes + retransBytes;
    }

    int sackedBytes() {
        return sackedBytes;
    }

    int lostBytes() {
        return lostBytes;
    }

    /**
     * The cumulative ACK reached {@code una}: records below it leave the scoreboard (those not
     * SACKED before are delivered now, for RACK).
     */
    void ack(int una, long now) {
        int removed = 0;
        while (count > 0) {
            int p = phys(0);
            if (Seq.le(end[p], una)) {
                int len = end[p] - start[p];
                int f = flags[p];
                if ((f & SACKED) != 0) {
                    sackedBytes -= len;
                    sackedCount--;
                } else {
                    uncount(f, len);
                    delivered(p, now);
                }
                head = (head + 1) & (start.length - 1);
                count--;
                removed++;
            } else {
                if (Seq.lt(start[p], una)) {
                    int d = una - start[p]; // a partially acknowledged segment keeps its rest
                    if ((flags[p] & SACKED) != 0) {
                        sackedBytes -= d;
                    } else {
                        uncount(flags[p], d);
                    }
                    start[p] = una;
                }
                break;
            }
        }
        lostScan = Math.max(0, lostScan - removed);
        if (count == 0 && pool != null && records != Records.NONE) {
            release(pool); // as the rings do: an idle connection in a host holds no board
        }
    }

    /**
     * Nothing on the board is SACKed, lost or resent, and neither a recovery nor a loss probe is
     * under way: an ACK without SACK blocks then only removes records.
     */
    boolean clean() {
        return (sackedCount | lostBytes | retransBytes) == 0 && phase == OPEN && !probeOutstanding;
    }

    /**
     * With nothing SACKed, whether {@link #detectLoss} would mark nothing and wait for nothing:
     * no RACK time yet, or the first record was sent after the most recently delivered one and
     * never resent (so every record above it was too).
     */
    boolean noneOverdue() {
        if (!rackValid || count == 0) {
            return true;
        }
        int p = phys(0);
        return (flags[p] & EVER_RETRANS) == 0 && sent[p] > rackXmit;
    }

    private void uncount(int f, int len) {
        if ((f & LOST) != 0) {
            lostBytes -= len;
        }
        if ((f & RETRANS) != 0) {
            retransBytes -= len;
        }
    }

    /**
     * Marks the records the SACK blocks of {@code seg} cover. A first block below {@code una}
     * or inside the second is a D-SACK (RFC 2883 4): it marks nothing and makes RACK's reorder
     * window wider (RFC 8985 6.2 step 4). Returns whether the segment carried a D-SACK.
     */
    boolean sack(TcpSegment seg, int una, int sndMax, long now) {
        boolean dsack = false;
        dsackSeen = false;
        int n = seg.sackCount;
        for (int b = 0; b < n; b++) {
            int l = seg.sackLeft[b];
            int r = seg.sackRight[b];
            if (!Seq.lt(l, r)) {
                continue;
            }
            if (b == 0 && (Seq.le(r, una) || (n > 1 && Seq.ge(l, seg.sackLeft[1]) && Seq.le(r, seg.sackRight[1])))) {
                dsack = true;
                dsackSeen = true;
                dsackRight = r;
                continue;
            }
            if (Seq.le(r, una) || Seq.gt(r, sndMax)) {
                continue; // stale or beyond anything sent: ignored
            }
            markSacked(Seq.lt(l, una) ? una : l, r, now);
        }
        if (dsack && (!dsackRoundValid || Seq.ge(una, dsackRound))) {
            reoWndMult = Math.min(reoWndMult + 1, 64);
            dsackRound = sndMax;
            dsackRoundValid = true;
            reoWndPersist = 16;
        }
        return dsack;
    }

    private void markSacked(int l, int r, long now) {
        for (int i = firstEndingAbove(l); i < count; i++) {
            int p = phys(i);
            if (Seq.gt(end[p], r)) {
                break;
            }
            if (Seq.lt(start[p], l) || (flags[p] & SACKED) != 0) {
                continue;
            }
            int len = end[p] - start[p];
            uncount(flags[p], len);
            flags[p] = (byte) ((flags[p] | SACKED) & ~(LOST | RETRANS));
            sackedBytes += len;
            sackedCount++;
            delivered(p, now);
        }
    }

    /** The lowest logical index whose record ends above {@code seq} (binary search). */
    private int firstEndingAbove(int seq) {
        int lo = 0;
        int hi = count;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Seq.gt(end[phys(mid)], seq)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * RFC 6675 IsLost(seq): DupThresh or more SACKed segments lie above it, or more than
     * (DupThresh - 1) * SMSS SACKed bytes.
     */
    boolean isLost(int seq, int mss) {
        int bytes = 0;
        int segments = 0;
        for (int i = count - 1; i >= 0; i--) {
            int p = phys(i);
            if (!Seq.gt(end[p], seq)) {
                break;
            }
            if ((flags[p] & SACKED) != 0 && Seq.gt(start[p], seq)) {
                bytes += end[p] - start[p];
                segments++;
            }
        }
        return segments >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss;
    }

    private void markLost(int i) {
        int p = phys(i);
        int f = flags[p];
        int len = end[p] - start[p];
        if ((f & LOST) == 0) {
            lostBytes += len;
        }
        if ((f & RETRANS) != 0) {
            retransBytes -= len; // a lost retransmission: repair it again
        }
        flags[p] = (byte) ((f | LOST) & ~RETRANS);
        if (i < lostScan) {
            lostScan = i;
        }
    }

    /**
     * NextSeg rule (3), in fast recovery when rules (1) and (2) found nothing to send: the
     * lowest record neither SACKed nor lost nor retransmitted that lies above every record
     * retransmitted and not lost again (HighRxt) and below the highest SACKed one, or -1. Its
     * retransmission counts in the pipe twice, as RFC 6675 SetPipe does, until it is SACKed.
     */
    int nextHole() {
        if (phase != FAST) {
            return -1;
        }
        int highestSacked = -1;
        for (int i = count - 1; i >= 0; i--) {
            if ((flags[phys(i)] & SACKED) != 0) {
                highestSacked = i;
                break;
            }
        }
        int candidate = -1;
        for (int i = highestSacked - 1; i >= 0; i--) {
            int f = flags[phys(i)];
            if ((f & RETRANS) != 0) {
                break; // HighRxt: only above it
            }
            if ((f & (SACKED | LOST)) == 0) {
                candidate = i;
            }
        }
        return candidate;
    }

    /** NextSeg rule (1): the first record lost and not yet retransmitted, or -1. */
    int nextLost() {
        for (int i = lostScan; i < count; i++) {
            if ((flags[phys(i)] & (SACKED | LOST | RETRANS)) == LOST) {
                lostScan = i;
                return i;
            }
        }
        lostScan = count;
        return -1;
    }

    /**
     * NextSeg rule (4), once per recovery: when nothing lost is left to repair and no new data
     * can go, the highest segment, unless SACKED or already resent, so that a loss at the tail
     * is repaired without a timeout. Returns its index or -1; the caller sends it.
     */
    int rescue() {
        if (phase != FAST || rescueSent || count == 0) {
            return -1;
        }
        int i = count - 1;
        if ((flags[phys(i)] & (SACKED | RETRANS)) != 0) {
            return -1;
        }
        rescueSent = true;
        return i;
    }

    // ------------------------------------------------------------------ RACK (RFC 8985 6)

    /** RFC 8985 6.2 steps 2 and 3 for the record at physical index {@code p}, delivered now. */
    private void delivered(int p, long now) {
        long rtt = Math.max(0, now - sent[p]);
        boolean retransmitted = (flags[p] & EVER_RETRANS) != 0;
        if (retransmitted && (minRtt == NONE || rtt < minRtt)) {
            return; // may be the ACK of the original: ambiguous, no RTT and no ordering from it
        }
        if (!retransmitted && rtt < minRtt) {
            minRtt = rtt;
        }
        if (!rackValid || sent[p] > rackXmit || (sent[p] == rackXmit && Seq.gt(end[p], rackEndSeq))) {
            rackValid = true;
            rackXmit = sent[p];
            rackEndSeq = end[p];
            rackRtt = rtt;
        }
        if (fackValid && Seq.lt(end[p], fack) && !retransmitted) {
            reorderingSeen = true;
        } else if (!fackValid || Seq.gt(end[p], fack)) {
            fackValid = true;
            fack = end[p];
        }
    }

    /** RFC 8985 6.2 step 4: 0 until reordering was seen (and in recovery), else minRTT/4 scaled by D-SACKs. */
    long reorderWindow(long srtt) {
        if (!reorderingSeen && (phase != OPEN || sackedCount >= DUP_THRESH)) {
            return 0;
        }
        long base = minRtt == NONE ? srtt : minRtt;
        return Math.min(reoWndMult * (base / 4), srtt);
    }

    /**
     * RFC 8985 6.2 step 5 and, while no reordering was seen, RFC 6675 IsLost: marks what is
     * lost now. Returns how long until the next record outstanding within the reorder window
     * would be lost (arm the reorder timer for it), or 0.
     */
    long detectLoss(long now, long srtt, int mss) {
        long wait = 0;
        if (rackValid) {
            long reoWnd = reorderWindow(srtt);
            for (int i = 0; i < count; i++) {
                int p = phys(i);
                int f = flags[p];
                if ((f & EVER_RETRANS) == 0 && sent[p] > rackXmit) {
                    // Records are in the order their data was first sent and a resend only moves
                    // a stamp later: every record above this one went after the delivered one too.
                    // Without this stop each ACK would walk the whole window.
                    break;
                }
                if ((f & SACKED) != 0 || (f & (LOST | RETRANS)) == LOST) {
                    continue;
                }
                if (sent[p] > rackXmit || (sent[p] == rackXmit && !Seq.lt(end[p], rackEndSeq))) {
                    continue; // not sent before the most recently delivered segment
                }
                long remaining = sent[p] + rackRtt + reoWnd - now;
                if (remaining <= 0) {
                    markLost(i);
                } else if (remaining > wait) {
                    wait = remaining;
                }
            }
        }
        if (!reorderingSeen && sackedCount > 0) {
            int bytes = 0;
            int segments = 0;
            for (int i = count - 1; i >= 0; i--) {
                int p = phys(i);
                int f = flags[p];
                if ((f & SACKED) != 0) {
                    bytes += end[p] - start[p];
                    segments++;
                } else if ((f & (LOST | RETRANS)) == 0
                        && (segments >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss)) {
                    markLost(i);
                }
            }
        }
        return wait;
    }

    // ------------------------------------------------------------------ recovery and PRR

    int phase() {
        return phase;
    }

    boolean inFastRecovery() {
        return phase == FAST;
    }

    boolean inRecovery() {
        return phase != OPEN;
    }

    int recoveryPoint() {
        return recoveryPoint;
    }

    /** Fast recovery begins (RFC 6675 5 step 4, RFC 6937 initialization); ends any probe episode. */
    void enterFast(int sndMax, int una) {
        phase = FAST;
        recoveryPoint = sndMax;
        rescueSent = false;
        prrDelivered = 0;
        prrOut = 0;
        recoverFs = Math.max(1, sndMax - una);
        probeOutstanding = false;
    }

    /**
     * A retransmission timeout: a receiver that reneged (the segment at SND.UNA is SACKED yet
     * not acknowledged) loses its SACK marks; every other segment not SACKED is lost (RFC 8985
     * 6.3: RACK then repairs them in order as the window reopens).
     */
    void enterRto(int sndMax) {
        if (count > 0 && (flags[phys(0)] & SACKED) != 0) {
            for (int i = 0; i < count; i++) {
                flags[phys(i)] &= ~SACKED;
            }
            sackedBytes = 0;
            sackedCount = 0;
        }
        lostBytes = 0;
        retransBytes = 0;
        for (int i = 0; i < count; i++) {
            int p = phys(i);
            if ((flags[p] & SACKED) == 0) {
                flags[p] = (byte) ((flags[p] | LOST) & ~RETRANS);
                lostBytes += end[p] - start[p];
            }
        }
        lostScan = 0;
        phase = RTO;
        recoveryPoint = sndMax;
        probeOutstanding = false;
    }

    /** Leaves recovery once {@code una} covers the recovery point; true if it was fast recovery. */
    boolean exitIfDone(int una) {
        if (phase == OPEN || Seq.lt(una, recoveryPoint)) {
            return false;
        }
        boolean fast = phase == FAST;
        phase = OPEN;
        if (reoWndPersist > 0 && --reoWndPersist == 0) {
            reoWndMult = 1; // RFC 8985 6.2 step 4: 16 recoveries without D-SACK
        }
        return fast;
    }

    /**
     * RFC 6937 PRR with slow-start reduction bound: {@code delivered} bytes left the network
     * on this ACK; returns the congestion window for it (pipe plus what may be sent now).
     */
    int prrWindow(int delivered, int ssthresh, int mss) {
        prrDelivered += delivered;
        int pipe = pipe();
        long sndcnt;
        if (pipe > ssthresh) {
            sndcnt = ((long) prrDelivered * ssthresh + recoverFs - 1) / recoverFs - prrOut;
        } else {
            long limit = Math.max((long) prrDelivered - prrOut, delivered) + mss;
            sndcnt = Math.min((long) ssthresh - pipe, limit);
        }
        if (sndcnt < 0) {
            sndcnt = 0;
        }
        if (prrOut == 0 && sndcnt < mss) {
            sndcnt = mss; // the fast retransmit goes out on the first ACK
        }
        return (int) Math.min(pipe + sndcnt, NewReno.MAX_CWND);
    }

    // ------------------------------------------------------------------ TLP (RFC 8985 7)

    int timerKind() {
        return timerKind;
    }

    void timerKind(int kind) {
        timerKind = kind;
    }

    /**
     * Whether a probe may be scheduled (RFC 8985 7.2): nothing in recovery, no SACKed segment on
     * the board, data in flight, no probe outstanding. With a SACKed segment RACK's reorder
     * timer does the work, and a probe of the last segment could resend one the peer holds.
     */
    boolean mayProbe() {
        return phase == OPEN && !probeOutstanding && count > 0 && sackedCount == 0;
    }

    /**
     * RFC 8985 7.2 with Linux's slack (tcp_schedule_loss_probe): 2 SRTT plus WCDelAckT with one
     * segment in flight, else plus {@link #PTO_SLACK_NANOS}; 1 s without an RTT sample; at most
     * the RTO.
     */
    long probeTimeout(long srtt, long rto) {
        long pto = srtt > 0 ? 2 * srtt + (count == 1 ? WORST_CASE_DELACK_NANOS : PTO_SLACK_NANOS) : 1_000_000_000L;
        return Math.min(pto, rto);
    }

    /** A probe went out, ending at {@code endSeq}; {@code retransmission} if it resent the last segment. */
    void onProbe(int endSeq, boolean retransmission) {
        probeOutstanding = true;
        probeEndSeq = endSeq;
        probeRetransmitted = retransmission;
    }

    /**
     * RFC 8985 7.4 (TLP_process_ack), after {@link #sack} took this ACK's blocks. Once the ACK
     * reaches the probe's end: a probe of new data is simply over; a D-SACK for the probe means
     * the original arrived too (no loss); an ACK beyond the probe without one means the probe
     * repaired a loss, and the caller reduces the window once (returns true); a pure duplicate
     * ACK means both arrived. Otherwise the episode stays open for a later ACK to decide.
     *
     * @param progress the ACK advanced SND.UNA, SACKed new data or carried data or a window change
     */
    boolean probeAcked(int una, boolean progress) {
        if (!probeOutstanding || Seq.lt(una, probeEndSeq)) {
            return false;
        }
        if (!probeRetransmitted || (dsackSeen && dsackRight == probeEndSeq)) {
            probeOutstanding = false;
            return false;
        }
        if (Seq.gt(una, probeEndSeq)) {
            probeOutstanding = false;
            return true;
        }
        if (!progress) {
            probeOutstanding = false;
        }
        return false;
    }

    boolean probeOutstanding() {
        return probeOutstanding;
    }

    // ------------------------------------------------------------------ snapshot group

    int snapshotBytes() {
        return 13 + count * 17 + 128;
    }

    void write(SnapshotWriter w, long now) {
        w.putBoolean(lastStamp != Long.MIN_VALUE);
        w.putLong(lastStamp == Long.MIN_VALUE ? 0 : now - lastStamp);
        w.putInt(count);
        for (int i = 0; i < count; i++) {
            int p = phys(i);
            w.putInt(start[p]);
            w.putInt(end[p] - start[p]);
            w.putLong(now - sent[p]);
            w.putByte(flags[p]);
        }
        w.putByte(phase);
        w.putInt(recoveryPoint);
        w.putBoolean(rescueSent);
        w.putInt(prrDelivered);
        w.putInt(prrOut);
        w.putInt(recoverFs);
        w.putBoolean(rackValid);
        w.putLong(rackValid ? now - rackXmit : 0);
        w.putInt(rackEndSeq);
        w.putLong(rackRtt);
        w.putLong(minRtt);
        w.putBoolean(fackValid);
        w.putInt(fack);
        w.putBoolean(reorderingSeen);
        w.putInt(reoWndMult);
        w.putInt(reoWndPersist);
        w.putBoolean(dsackRoundValid);
        w.putInt(dsackRound);
        w.putByte(timerKind);
        w.putBoolean(probeOutstanding);
        w.putInt(probeEndSeq);
        w.putBoolean(probeRetransmitted);
    }

    /**
     * Reads the group; the records must lie contiguously in [una, sndMax]. Their arrays come
     * from {@code pool} when it has some of the size (null: allocated).
     */
    void read(SnapshotReader r, long now, int una, int sndMax, BufferPool pool) throws SnapshotException {
        boolean stamped = r.getBoolean("sack.stamped");
        long stampAge = r.getLong("sack.stampAge", -(1L << 62), 1L << 62);
        lastStamp = stamped ? now - stampAge : Long.MIN_VALUE;
        int n = r.getInt("sack.records", 0, MAX_RECORDS);
        if (n > 0) {
            int cap = INITIAL_RECORDS;
            while (cap < n) {
                cap <<= 1;
            }
            use(pool == null ? new Records(cap) : pool.takeRecords(cap));
        }
        head = 0;
        count = 0;
        int prevEnd = una;
        for (int i = 0; i < n; i++) {
            int s = r.getInt("sack.start");
            int len = r.getInt("sack.length", 1, 65535);
            long age = r.getLong("sack.age", -(1L << 62), 1L << 62);
            int f = r.getByte("sack.flags");
            if (s != prevEnd || Seq.gt(s + len, sndMax) || f > 15 || ((f & SACKED) != 0 && (f & (LOST | RETRANS)) != 0)) {
                throw new SnapshotException("snapshot corrupt: scoreboard record " + i + " out of order or flags " + f);
            }
            start[i] = s;
            end[i] = s + len;
            sent[i] = now - age;
            flags[i] = (byte) f;
            count++;
            prevEnd = s + len;
            if ((f & SACKED) != 0) {
                sackedBytes += len;
                sackedCount++;
            } else {
                uncountInverse(f, len);
            }
        }
        phase = r.getByte("sack.phase");
        if (phase > RTO) {
            throw new SnapshotException("snapshot corrupt: recovery phase " + phase);
        }
        recoveryPoint = r.getInt("sack.recoveryPoint");
        rescueSent = r.getBoolean("sack.rescueSent");
        prrDelivered = r.getInt("sack.prrDelivered", 0, Integer.MAX_VALUE);
        prrOut = r.getInt("sack.prrOut", 0, Integer.MAX_VALUE);
        recoverFs = r.getInt("sack.recoverFs", 0, Integer.MAX_VALUE);
        if (phase == FAST && recoverFs == 0) {
            throw new SnapshotException("snapshot corrupt: fast recovery with no recovery flight size");
        }
        rackValid = r.getBoolean("rack.valid");
        rackXmit = now - r.getLong("rack.xmitAge", -(1L << 62), 1L << 62);
        rackEndSeq = r.getInt("rack.endSeq");
        rackRtt = r.getLong("rack.rtt", 0, 1L << 62);
        minRtt = r.getLong("rack.minRtt", 0, Long.MAX_VALUE);
        fackValid = r.getBoolean("rack.fackValid");
        fack = r.getInt("rack.fack");
        reorderingSeen = r.getBoolean("rack.reorderingSeen");
        reoWndMult = r.getInt("rack.reoWndMult", 1, 64);
        reoWndPersist = r.getInt("rack.reoWndPersist", 0, 16);
        dsackRoundValid = r.getBoolean("rack.dsackRoundValid");
        dsackRound = r.getInt("rack.dsackRound");
        timerKind = r.getByte("tlp.timerKind");
        if (timerKind > TIMER_PROBE) {
            throw new SnapshotException("snapshot corrupt: loss timer kind " + timerKind);
        }
        probeOutstanding = r.getBoolean("tlp.outstanding");
        probeEndSeq = r.getInt("tlp.endSeq");
        probeRetransmitted = r.getBoolean("tlp.retransmitted");
    }

    private void uncountInverse(int f, int len) {
        if ((f & LOST) != 0) {
            lostBytes += len;
        }
        if ((f & RETRANS) != 0) {
            retransBytes += len;
        }
    }

    /**
     * The scoreboard's parallel record arrays, of one power-of-two capacity. Pooled records come
     * back dirty; the board reads only records it wrote.
     */
    static final class Records {
        static final Records NONE = new Records(0);
        static final int BYTES_PER_RECORD = 4 + 4 + 8 + 1;

        final int[] start;
        final int[] end;
        final long[] sent;
        final byte[] flags;

        Records(int capacity) {
            start = new int[capacity];
            end = new int[capacity];
            sent = new long[capacity];
            flags = new byte[capacity];
        }

        int capacity() {
            return start.length;
        }
    }
}
