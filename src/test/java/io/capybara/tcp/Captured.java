package io.capybara.tcp;

import io.capybara.wire.TcpSegment;
import java.util.Arrays;
import org.agrona.concurrent.UnsafeBuffer;

/** A deep copy of an emitted segment (the sink must copy; the payload is a view). */
final class Captured {
    final int srcIp;
    final int dstIp;
    final int srcPort;
    final int dstPort;
    final int seq;
    final int ack;
    final int flags;
    final int window;
    final int mss;
    final int windowScale;
    final boolean sackPermitted;
    final boolean hasTimestamps;
    final int tsVal;
    final int tsEcr;
    /** SACK blocks as left, right pairs. */
    final int[] sack;
    final byte[] payload;

    Captured(TcpSegment s) {
        srcIp = s.srcIp;
        dstIp = s.dstIp;
        srcPort = s.srcPort;
        dstPort = s.dstPort;
        seq = s.seq;
        ack = s.ack;
        flags = s.flags;
        window = s.window;
        mss = s.mss;
        windowScale = s.windowScale;
        sackPermitted = s.sackPermitted;
        hasTimestamps = s.hasTimestamps;
        tsVal = s.tsVal;
        tsEcr = s.tsEcr;
        sack = new int[2 * s.sackCount];
        for (int i = 0; i < s.sackCount; i++) {
            sack[2 * i] = s.sackLeft[i];
            sack[2 * i + 1] = s.sackRight[i];
        }
        payload = new byte[s.payloadLength];
        if (s.payloadLength > 0) {
            s.payload.getBytes(s.payloadOffset, payload);
        }
    }

    private Captured(Captured whole, int offset, int length) {
        boolean last = offset + length == whole.payload.length;
        srcIp = whole.srcIp;
        dstIp = whole.dstIp;
        srcPort = whole.srcPort;
        dstPort = whole.dstPort;
        seq = whole.seq + offset;
        ack = whole.ack;
        flags = last ? whole.flags : whole.flags & ~(TcpSegment.FIN | TcpSegment.PSH);
        window = whole.window;
        mss = whole.mss;
        windowScale = whole.windowScale;
        sackPermitted = whole.sackPermitted;
        hasTimestamps = whole.hasTimestamps;
        tsVal = whole.tsVal;
        tsEcr = whole.tsEcr;
        sack = whole.sack.clone();
        payload = Arrays.copyOfRange(whole.payload, offset, offset + length);
    }

    /**
     * The piece {@code [offset, offset + length)} of this segment's payload as TSO cuts it: the
     * same header with the sequence number advanced, FIN and PSH only on the last piece.
     */
    Captured piece(int offset, int length) {
        return new Captured(this, offset, length);
    }

    /** A fresh TcpSegment as a parser would hand it to a connection. */
    TcpSegment toSegment(TcpSegment s) {
        s.clear().between(srcIp, srcPort, dstIp, dstPort);
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.window = window;
        s.mss = mss;
        s.windowScale = windowScale;
        s.sackPermitted = sackPermitted;
        s.hasTimestamps = hasTimestamps;
        s.tsVal = tsVal;
        s.tsEcr = tsEcr;
        s.sackCount = sack.length / 2;
        for (int i = 0; i < s.sackCount; i++) {
            s.sackLeft[i] = sack[2 * i];
            s.sackRight[i] = sack[2 * i + 1];
        }
        s.payload = new UnsafeBuffer(payload);
        s.payloadOffset = 0;
        s.payloadLength = payload.length;
        return s;
    }

    TcpSegment toSegment() {
        return toSegment(new TcpSegment());
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    int sackBlocks() {
        return sack.length / 2;
    }

    int sackLeft(int i) {
        return sack[2 * i];
    }

    int sackRight(int i) {
        return sack[2 * i + 1];
    }

    int len() {
        return payload.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Captured c && srcIp == c.srcIp && dstIp == c.dstIp && srcPort == c.srcPort
                && dstPort == c.dstPort && seq == c.seq && ack == c.ack && flags == c.flags
                && window == c.window && mss == c.mss && windowScale == c.windowScale
                && sackPermitted == c.sackPermitted && hasTimestamps == c.hasTimestamps && tsVal == c.tsVal
                && tsEcr == c.tsEcr && Arrays.equals(sack, c.sack) && Arrays.equals(payload, c.payload);
    }

    @Override
    public int hashCode() {
        return seq * 31 + ack;
    }

    @Override
    public String toString() {
        TcpSegment s = toSegment();
        return s + (hasTimestamps ? " ts=" + Integer.toUnsignedString(tsVal) + "/" + Integer.toUnsignedString(tsEcr) : "")
                + (mss >= 0 ? " mss=" + mss : "") + (windowScale >= 0 ? " ws=" + windowScale : "")
                + (sackPermitted ? " sackOK" : "");
    }
}
