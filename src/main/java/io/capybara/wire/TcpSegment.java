package io.capybara.wire;

import org.agrona.DirectBuffer;

/**
 * A TCP segment as plain fields: what the codec fills when parsing and reads when writing, and
 * what the TCP state machine consumes and emits. One instance is reused per host loop, so
 * nothing here allocates. The payload is referenced, never copied: it stays valid only while
 * the frame (on receive) or the connection's send buffer (on transmit) is untouched.
 *
 * <p>Options that are absent have the value {@link #ABSENT} (or false).
 */
public final class TcpSegment {
    public static final int ABSENT = -1;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** SACK blocks one segment can hold: 4 fill the 40 option bytes (RFC 2018 3). */
    public static final int MAX_SACK_BLOCKS = 4;

    // addressing (from the IPv4 header and the TCP ports)
    public int srcIp;
    public int dstIp;
    public int srcPort;
    public int dstPort;

    // header
    public int seq;
    public int ack;
    public int flags;
    /** The raw 16-bit window field, before any window-scale shift. */
    public int window;
    public int urgentPointer;

    // options
    public int mss = ABSENT;
    public int windowScale = ABSENT;
    public boolean sackPermitted;
    public boolean hasTimestamps;
    public int tsVal;
    public int tsEcr;
    /**
     * SACK blocks (RFC 2018): [left, right) sequence ranges in {@code sackLeft[i]},
     * {@code sackRight[i]} for i below {@link #sackCount}. Preallocated; entries at or past the
     * count are stale and meaningless.
     */
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];
    public int sackCount;

    // payload: a view, not a copy
    public DirectBuffer payload;
    public int payloadOffset;
    public int payloadLength;

    /** Sets the addressing: from {@code srcIp:srcPort} to {@code dstIp:dstPort}. */
    public TcpSegment between(int srcIp, int srcPort, int dstIp, int dstPort) {
        this.srcIp = srcIp;
        this.srcPort = srcPort;
        this.dstIp = dstIp;
        this.dstPort = dstPort;
        return this;
    }

    /**
     * Copies {@code from}'s addressing, header fields and the MSS, window-scale, SACK-permitted
     * and timestamp options; not its SACK blocks, nor its payload view.
     */
    public TcpSegment copyHeader(TcpSegment from) {
        srcIp = from.srcIp;
        dstIp = from.dstIp;
        srcPort = from.srcPort;
        dstPort = from.dstPort;
        seq = from.seq;
        ack = from.ack;
        flags = from.flags;
        window = from.window;
        urgentPointer = from.urgentPointer;
        mss = from.mss;
        windowScale = from.windowScale;
        sackPermitted = from.sackPermitted;
        hasTimestamps = from.hasTimestamps;
        tsVal = from.tsVal;
        tsEcr = from.tsEcr;
        return this;
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Resets every field so a reused instance carries nothing from the previous segment. */
    public TcpSegment clear() {
        srcIp = dstIp = srcPort = dstPort = 0;
        seq = ack = flags = window = urgentPointer = 0;
        mss = ABSENT;
        windowScale = ABSENT;
        sackPermitted = false;
        hasTimestamps = false;
        tsVal = tsEcr = 0;
        sackCount = 0;
        payload = null;
        payloadOffset = payloadLength = 0;
        return this;
    }

    /** Sequence space this segment occupies: payload bytes plus one each for SYN and FIN. */
    public int sequenceLength() {
        return payloadLength + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TCP ").append(srcPort).append("->").append(dstPort).append(" [");
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                sb.append(sb.charAt(sb.length() - 1) == '[' ? "" : ",").append(names[i]);
            }
        }
        sb.append("] seq=").append(Integer.toUnsignedString(seq))
                .append(" ack=").append(Integer.toUnsignedString(ack))
                .append(" win=").append(window).append(" len=").append(payloadLength);
        for (int i = 0; i < sackCount; i++) {
            sb.append(i == 0 ? " sack=" : ",").append(Integer.toUnsignedString(sackLeft[i]))
                    .append('-').append(Integer.toUnsignedString(sackRight[i]));
        }
        return sb.toString();
    }
}
