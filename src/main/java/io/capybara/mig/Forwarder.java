package io.capybara.mig;

import io.capybara.host.Host;
import io.capybara.io.FrameChannel;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpCodec;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Passes a client's TCP segment on to the server that holds its connection: a copy with the
 * destination address rewritten (TCP checksum updated incrementally) and the TTL decremented.
 * Used for late segments after a connection left (origin) and for segments a target buffered
 * for a migration that was aborted (handed back to the holder).
 */
final class Forwarder {
    /**
     * A segment that has been passed on this many times is dropped: two servers that each
     * believe the other holds the connection would otherwise bounce it until the TTL runs out.
     */
    private static final int MIN_TTL = Ipv4Header.DEFAULT_TTL - 8;
    /** Longest frame passed on; longer ones are cut (no migrated rack uses larger frames). */
    static final int MAX_FRAME = FrameChannel.DEFAULT_MTU_FRAME;

    private final Host host;
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[MAX_FRAME]);

    Forwarder(Host host) {
        this.host = host;
    }

    /**
     * Forwards the frame at {@code [frameOffset, frameOffset + frameLength)} of {@code src}, whose
     * IPv4 and TCP headers start at the absolute {@code ipOffset} and {@code l4Offset}, to {@code dstIp}.
     *
     * @return false if its TTL is spent (dropped)
     */
    boolean forward(DirectBuffer src, int frameOffset, int frameLength, int ipOffset, int l4Offset, int dstIp) {
        int len = Math.min(frameLength, MAX_FRAME);
        frame.putBytes(0, src, frameOffset, len);
        int ip = ipOffset - frameOffset;
        int ttl = Ipv4Header.ttl(frame, ip);
        if (ttl <= MIN_TTL) {
            return false;
        }
        Ipv4Header.setTtl(frame, ip, ttl - 1);
        int oldDst = Ipv4Header.dst(frame, ip);
        Ipv4Header.setDst(frame, ip, dstIp);
        TcpCodec.updateChecksumForAddress(frame, l4Offset - frameOffset, oldDst, dstIp);
        host.transmitIpv4(frame, 0, len, dstIp);
        return true;
    }
}
