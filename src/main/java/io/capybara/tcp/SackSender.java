package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.ACK;
import static io.capybara.wire.TcpSegment.FIN;

import io.capybara.wire.TcpSegment;

/**
 * The sending side of a connection with SACK agreed: what an ACK does to the scoreboard, the
 * window and the loss timer, what to retransmit and when (RFC 6675 NextSeg, RFC 8985 RACK and
 * TLP, RFC 6937 PRR). The state is the connection's ({@link LossRecovery} and the groups this
 * reads); this class holds none and acts through the connection's output path.
 */
final class SackSender {
    private final TcpConnection c;

    SackSender(TcpConnection c) {
        this.c = c;
    }

    /**
     * An ACK with SACK agreed: the scoreboard takes the cumulative ACK and the blocks, RACK and
     * IsLost mark losses, fast recovery starts at the first or ends at the recovery point, PRR
     * sets the window in recovery (else the window grows), and the loss timer is re-armed.
     */
    void onAck(TcpSegment seg, int acked, boolean windowUnchanged, long now) {
        boolean clean = seg.sackCount == 0 && c.recovery.clean();
        int sackedBefore = c.recovery.sackedBytes();
        c.recovery.ack(c.snd.una, now);
        if (clean && c.recovery.noneOverdue()) {
            // what the rest comes to without SACK blocks, losses, a recovery or a probe to judge
            if (acked > 0) {
                c.cc.grow(acked, c.opt.sendMss, now, c.rtt.srtt());
            }
            armLossTimer(now, 0, acked > 0);
            return;
        }
        onAckInGeneral(seg, acked, windowUnchanged, sackedBefore, now);
    }

    private void onAckInGeneral(TcpSegment seg, int acked, boolean windowUnchanged, int sackedBefore, long now) {
        boolean dsack = c.recovery.sack(seg, c.snd.una, c.snd.max, now);
        if (dsack) {
            c.stats.dsacksIn++;
        }
        int delivered = acked + c.recovery.sackedBytes() - sackedBefore;
        boolean progress = delivered > 0 || seg.payloadLength > 0 || !windowUnchanged;
        if (c.recovery.probeAcked(c.snd.una, progress)) {
            c.cc.enterRecovery(c.snd.max - c.snd.una, c.opt.sendMss, now); // RFC 8985 7.4: one reduction
            c.cc.exitRecovery();
        }
        boolean ended = c.recovery.exitIfDone(c.snd.una);
        if (ended) {
            c.cc.exitRecovery();
        }
        long wait = c.recovery.detectLoss(now, c.rtt.srtt(), c.opt.sendMss);
        if (lossesFound(now)) {
            c.cc.setCwnd(c.recovery.prrWindow(delivered, c.cc.ssthresh(), c.opt.sendMss));
        } else if (acked > 0 && !ended) {
            c.cc.grow(acked, c.opt.sendMss, now, c.rtt.srtt());
        }
        armLossTimer(now, wait, acked > 0);
    }

    /** Starts fast recovery if the scoreboard holds losses; whether fast recovery is on. */
    private boolean lossesFound(long now) {
        if (!c.recovery.inRecovery() && c.recovery.lostBytes() > 0) {
            c.stats.fastRetransmits++;
            c.cc.enterRecovery(c.snd.max - c.snd.una, c.opt.sendMss, now);
            c.recovery.enterFast(c.snd.max, c.snd.una);
        }
        return c.recovery.inFastRecovery();
    }

    /**
     * RACK's reorder timer when a segment waits out the reorder window; else, outside recovery
     * with data in flight, the tail loss probe (restarted on progress, RFC 8985 7.2).
     */
    private void armLossTimer(long now, long reorderWait, boolean restartProbe) {
        if (reorderWait > 0) {
            c.timers.loss = now + reorderWait;
            c.recovery.timerKind(LossRecovery.TIMER_REORDER);
        } else if (c.recovery.mayProbe()) {
            if (restartProbe || c.recovery.timerKind() != LossRecovery.TIMER_PROBE) {
                c.timers.loss = now + c.recovery.probeTimeout(c.rtt.srtt(), c.currentRto());
                c.recovery.timerKind(LossRecovery.TIMER_PROBE);
            }
        } else {
            c.timers.loss = Timers.NONE;
            c.recovery.timerKind(LossRecovery.TIMER_NONE);
        }
    }

    void onLossTimer(long now) {
        c.timers.loss = Timers.NONE;
        int kind = c.recovery.timerKind();
        c.recovery.timerKind(LossRecovery.TIMER_NONE);
        if (!c.opt.sackOk || !c.canSendData()) {
            return;
        }
        if (kind == LossRecovery.TIMER_REORDER) {
            long wait = c.recovery.detectLoss(now, c.rtt.srtt(), c.opt.sendMss);
            if (lossesFound(now)) {
                c.cc.setCwnd(c.recovery.prrWindow(0, c.cc.ssthresh(), c.opt.sendMss));
            }
            armLossTimer(now, wait, false);
            c.output(now);
        } else if (kind == LossRecovery.TIMER_PROBE) {
            sendProbe(now);
        }
    }

    /** RFC 8985 7.3: new data if the peer's window allows, else the last segment again. */
    private void sendProbe(long now) {
        int unsent = c.snd.unsent(c.sendRing.length());
        int room = c.snd.wnd - (c.snd.nxt - c.snd.una);
        if (unsent > 0 && room > 0) {
            int len = Math.min(Math.min(unsent, room), Math.min(c.opt.sendMss, c.sendRing.contiguous(c.snd.nxt - c.snd.bufSeq)));
            c.sendNew(len, unsent, now);
            c.recovery.onProbe(c.snd.max, false);
        } else if (c.recovery.count() > 0) {
            int last = c.recovery.count() - 1;
            retransmitRecord(last, now);
            c.recovery.onProbe(c.recovery.end(last), true);
        } else {
            return;
        }
        c.stats.lossProbes++;
        c.timers.loss = Timers.NONE;
        c.recovery.timerKind(LossRecovery.TIMER_NONE);
        c.timers.rtx = now + c.currentRto();
    }

    /** Sends scoreboard record {@code i} again (two segments if the send ring wraps inside it). */
    private void retransmitRecord(int i, long now) {
        int seq = c.recovery.start(i);
        int len = c.recovery.end(i) - seq;
        boolean fin = c.snd.finQueued && seq + len == c.snd.finSeq && Seq.gt(c.snd.max, c.snd.finSeq);
        c.recovery.onRetransmit(i, now);
        c.rtt.timing = false; // Karn
        int first = Math.min(len, c.sendRing.contiguous(seq - c.snd.bufSeq));
        if (first < len) {
            c.transmit(seq, first, ACK, now);
            seq += first;
            len -= first;
        }
        c.transmit(seq, len, ACK | (fin ? FIN : 0), now);
    }

    /** No new segment may go: nothing queued, or the peer's window has no room for the next one. */
    private boolean newDataBlocked() {
        int unsent = c.snd.unsent(c.sendRing.length());
        return unsent <= 0 || c.snd.wnd - (c.snd.nxt - c.snd.una) < Math.min(unsent, c.opt.sendMss);
    }

    /** RFC 6675 NextSeg rule (1): lost segments first, while the window has room for each. */
    void repairLost(long now) {
        if (c.recovery.lostBytes() == 0) {
            return; // nothing marked lost, as on almost every call: no scan of the board
        }
        for (int i = c.recovery.nextLost(); i >= 0; i = c.recovery.nextLost()) {
            if (c.cc.cwnd() - c.recovery.pipe() < c.recovery.end(i) - c.recovery.start(i)) {
                return;
            }
            retransmitRecord(i, now);
        }
    }

    /**
     * After an output pass, in fast recovery with nothing lost left to repair and no new data
     * that may go (none queued, or the peer's window full: NextSeg rules (1) and (2) failed):
     * holes below the highest SACK not yet deemed lost (rule 3) while the window has room, then
     * once the rescue retransmission of the tail (rule 4). Then the tail loss probe timer.
     */
    void afterOutput(boolean sentNew, long now) {
        if (c.recovery.inFastRecovery() && c.recovery.nextLost() < 0 && newDataBlocked()) {
            for (int i = c.recovery.nextHole(); i >= 0; i = c.recovery.nextHole()) {
                if (c.cc.cwnd() - c.recovery.pipe() < c.recovery.end(i) - c.recovery.start(i)) {
                    break;
                }
                retransmitRecord(i, now);
            }
            if (c.cc.cwnd() - c.recovery.pipe() >= c.opt.sendMss) {
                int i = c.recovery.rescue();
                if (i >= 0) {
                    retransmitRecord(i, now);
                }
            }
        }
        if (sentNew && c.recovery.timerKind() != LossRecovery.TIMER_REORDER) {
            armLossTimer(now, 0, true);
        }
    }

    /**
     * A retransmission timeout with segments on the scoreboard: all not SACKed are lost, the
     * first goes again at once. Returns false when there is nothing on the board (a FIN only).
     */
    boolean onTimeout(long now) {
        if (c.recovery.count() == 0) {
            return false;
        }
        c.recovery.enterRto(c.snd.max);
        c.timers.loss = Timers.NONE;
        c.recovery.timerKind(LossRecovery.TIMER_NONE);
        repairLost(now);
        c.timers.rtx = now + c.currentRto();
        return true;
    }
}
