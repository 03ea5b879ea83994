package io.capybara.tcp;

import static io.capybara.wire.TcpSegment.FIN;

import io.capybara.wire.TcpSegment;

/**
 * The receiving side of a connection: in-order data into the receive ring, out-of-order data
 * kept at its offset (and reported by {@link SackBlocks}), duplicates noted for D-SACK, the
 * ACK policy (delayed, or at once for out-of-order data and filled holes, RFC 5681 4.2) and the
 * peer's FIN. It holds no state: everything lives in the connection's groups.
 */
final class DataReceiver {
    private final TcpConnection c;

    DataReceiver(TcpConnection c) {
        this.c = c;
    }

    /**
     * The payload and FIN of an acceptable segment in a state that takes data. The bodies of its
     * branches are methods of their own, so that this stays small enough for the JIT to inline
     * into the path of every segment, a pure ACK too.
     */
    void onData(TcpSegment seg, long now) {
        int seq = seg.seq;
        int len = seg.payloadLength;
        int off = seg.payloadOffset;
        boolean fin = seg.has(FIN);
        ReceiveSpace rcv = c.rcv;
        if (Seq.gt(seq, rcv.nxt) && c.noteDuplicate(seq, len)) {
            heldAlready(seq + len, fin);
            return;
        }
        if (Seq.lt(seq, rcv.nxt)) {
            int d = rcv.nxt - seq; // already received: trim the front
            if (d > len) {
                d = len;
            }
            off += d;
            len -= d;
            seq += d;
        }
        // trim to what fits: the advertised edge and the ring's real free space
        int limit = rcv.nxt + c.recvRing.free();
        if (Seq.lt(rcv.advEdge, limit)) {
            limit = rcv.advEdge;
        }
        if (Seq.gt(seq + len, limit)) {
            len = Math.max(0, limit - seq);
            fin = false;
            c.timers.ackNow = true; // data beyond the window: tell the peer where the window is
        }
        if (seq == rcv.nxt) {
            if (len > 0) {
                inOrder(seg, off, len, now);
            }
            if (fin || (rcv.oooFin && rcv.nxt == rcv.oooFinSeq)) {
                receiveFin(now);
            }
        } else if (len > 0 || fin) {
            outOfOrder(seg, seq, off, len, fin);
        }
    }

    /** All of the segment is held out of order already: nothing to store, ACK at once with the D-SACK. */
    private void heldAlready(int end, boolean fin) {
        c.stats.oooSegments++;
        c.timers.ackNow = true;
        if (fin) {
            c.rcv.oooFin = true;
            c.rcv.oooFinSeq = end;
        }
    }

    /** {@code len} bytes at RCV.NXT (from {@code off} in the segment's payload) into the ring. */
    private void inOrder(TcpSegment seg, int off, int len, long now) {
        ReceiveSpace rcv = c.rcv;
        Timers timers = c.timers;
        c.recvRing.put(c.recvRing.readable(), seg.payload, off, len);
        c.recvRing.commit(len);
        rcv.nxt += len;
        c.stats.bytesIn += len;
        c.events |= TcpConnection.EV_READABLE;
        if (len > rcv.mss) {
            rcv.mss = Math.min(len, c.config.mss());
        }
        if (c.recvRing.oooCount() > 0) {
            int before = rcv.nxt;
            rcv.nxt = c.recvRing.absorb(rcv.nxt);
            if (rcv.nxt != before) {
                c.stats.bytesIn += rcv.nxt - before;
            }
            timers.ackNow = true; // filled all or part of a hole (RFC 5681 4.2)
        }
        if (!timers.ackNow) {
            if (rcv.nxt - rcv.lastAckSent >= 2 * rcv.mss) {
                timers.ackNow = true; // at least every second full-sized segment
            } else if (timers.delack == Timers.NONE) {
                timers.delack = now + c.config.delayedAckNanos();
            }
        }
    }

    /** Out of order: keep the bytes at their offset, ACK at once (the peer counts dup ACKs). */
    private void outOfOrder(TcpSegment seg, int seq, int off, int len, boolean fin) {
        c.stats.oooSegments++;
        c.timers.ackNow = true;
        boolean stored = true;
        if (len > 0) {
            stored = c.recvRing.addInterval(seq, seq + len);
            if (stored) {
                c.recvRing.put(c.recvRing.readable() + (seq - c.rcv.nxt), seg.payload, off, len);
                c.sackBlocks.trigger(seq);
            } else {
                c.stats.oooDropped++;
            }
        }
        if (fin && stored) {
            c.rcv.oooFin = true;
            c.rcv.oooFinSeq = seq + len;
        }
    }

    private void receiveFin(long now) {
        c.rcv.nxt += 1;
        c.rcv.peerFin = true;
        c.rcv.oooFin = false;
        c.timers.ackNow = true;
        c.events |= TcpConnection.EV_READABLE;
        switch (c.state) {
            case ESTABLISHED -> c.state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> {
                if (c.snd.finQueued && Seq.gt(c.snd.una, c.snd.finSeq)) {
                    c.enterTimeWait(now);
                } else {
                    c.state = TcpState.CLOSING; // simultaneous close
                }
            }
            case FIN_WAIT_2 -> c.enterTimeWait(now);
            default -> {
            }
        }
    }
}
