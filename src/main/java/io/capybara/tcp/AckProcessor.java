package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.FIN;
import static io.capybara.wire.TcpSegment.SYN;

import io.capybara.wire.TcpSegment;

/**
 * What an acceptable ACK does to the sending side: the peer's window (RFC 9293 3.10.7.4), SND.UNA
 * and the send buffer, the RTT sample, duplicate ACKs and NewReno without SACK ({@link SackSender}
 * with it), the retransmission timer, and the state once our FIN is acknowledged. It holds no
 * state: everything lives in the connection's groups. The branches an ACK rarely takes are methods
 * of their own so that the per-ACK path stays small enough for the JIT to inline.
 */
final class AckProcessor {
    private final TcpConnection c;
    /** The connection's send sequence space (a final group, like the others this reads). */
    private final SendSpace snd;

    AckProcessor(TcpConnection c) {
        this.c = c;
        this.snd = c.snd;
    }

    /** An ACK that passed the connection's checks (sequence number, RST, the ACK's range). */
    void onAck(TcpSegment seg, long now) {
        int ack = seg.ack;
        int newWnd = seg.window << c.opt.sndShift;
        boolean windowUnchanged = newWnd == snd.wnd;
        // RFC 9293 3.10.7.4: window update only from segments not older than the last one used
        if (Seq.le(snd.una, ack) && (Seq.lt(snd.wl1, seg.seq) || (snd.wl1 == seg.seq && Seq.le(snd.wl2, ack)))) {
            updateWindow(seg.seq, ack, newWnd);
        }
        int acked = 0;
        if (Seq.gt(ack, snd.una)) {
            acked = ack - snd.una;
            advance(seg, ack, acked, now);
        } else if (ack == snd.una && seg.payloadLength == 0 && (seg.flags & (SYN | FIN)) == 0
                && snd.max != snd.una && windowUnchanged) {
            duplicate(now);
        }
        if (c.opt.sackOk) {
            c.sack.onAck(seg, acked, windowUnchanged, now);
        }
        if (acked > 0 && snd.finQueued && Seq.gt(snd.una, snd.finSeq)) {
            finAcknowledged(now);
        }
    }

    private void updateWindow(int seq, int ack, int newWnd) {
        snd.wnd = newWnd;
        snd.wl1 = seq;
        snd.wl2 = ack;
        if (snd.wnd > snd.maxWnd) {
            snd.maxWnd = snd.wnd;
        }
        if (snd.wnd > 0) {
            c.timers.persist = Timers.NONE;
            c.timers.persistBackoff = 0;
        }
    }

    /** SND.UNA advances by {@code acked} to {@code ack}. */
    private void advance(TcpSegment seg, int ack, int acked, long now) {
        takeRttSample(seg, ack, now);
        int dataAcked = ack - snd.bufSeq;
        if (dataAcked > c.sendRing.length()) {
            dataAcked = c.sendRing.length(); // the rest acknowledges our FIN
        }
        if (dataAcked > 0) {
            c.sendRing.consume(dataAcked);
            snd.bufSeq += dataAcked;
            c.events |= TcpConnection.EV_WRITABLE;
        }
        snd.una = ack;
        if (Seq.lt(snd.nxt, ack)) {
            snd.nxt = ack; // after a go-back-N rollback the peer may already hold more
        }
        c.rtt.retries = 0;
        c.rtt.resetBackoff();
        if (!c.opt.sackOk && c.cc.onNewAck(acked, snd.una, snd.max, c.opt.sendMss, now, c.rtt.srtt())) {
            c.retransmitHead(now, false); // NewReno partial ACK: the next hole is lost too
        }
        c.timers.rtx = snd.una == snd.max ? Timers.NONE : now + c.currentRto();
    }

    private void duplicate(long now) {
        c.stats.dupAcks++;
        if (!c.opt.sackOk && c.cc.onDupAck(snd.una, snd.max, c.opt.sendMss, now)) {
            c.stats.fastRetransmits++;
            c.retransmitHead(now, false);
        }
    }

    /** Our FIN is acknowledged. */
    private void finAcknowledged(long now) {
        switch (c.state) {
            case FIN_WAIT_1 -> {
                c.state = TcpState.FIN_WAIT_2;
                c.timers.timeWait = c.finWait2Deadline(now);
            }
            case CLOSING -> c.enterTimeWait(now);
            case LAST_ACK -> c.enterClosed(false);
            default -> {
            }
        }
    }

    void takeRttSample(TcpSegment seg, int ack, long now) {
        long sample = -1;
        Options opt = c.opt;
        RttEstimator rtt = c.rtt;
        if (opt.tsOk && seg.hasTimestamps && seg.tsEcr != 0) {
            // RFC 7323 RTTM; but an echo older than our last timeout measures the timeout too
            int ticks = opt.tsNow(now) - seg.tsEcr;
            if (ticks >= 0 && Seq.ge(seg.tsEcr, opt.rtoTsVal)) {
                sample = ticks * 1000L;
            }
        } else if (rtt.timing && Seq.gt(ack, rtt.timedSeq)) {
            sample = now - rtt.timedStart;
        }
        if (Seq.gt(ack, rtt.timedSeq)) {
            rtt.timing = false;
        }
        if (sample >= 0) {
            rtt.sample(sample);
        }
    }
}
