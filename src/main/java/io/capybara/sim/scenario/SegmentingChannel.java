package io.capybara.sim.scenario;

import io.capybara.io.FrameChannel;
import io.capybara.io.ForwardingChannel;
import io.capybara.wire.Checksums;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.WireCounters;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A channel that offers segmentation offload in software, as a NIC's TSO or the kernel's GSO
 * under {@code PacketChannel} do: a large TCP frame handed to {@link #sendTcpOffloaded} goes out
 * as MSS-sized frames, each with a copy of the headers (options and SACK blocks included),
 * sequence numbers and IPv4 ids advanced, FIN and PSH only on the last, every checksum whole.
 * So a simulated host sends as a host on a real offloading channel does (large segments, and
 * output held while it reads a batch of frames), over a lossy, reordering simulated link.
 */
final class SegmentingChannel extends ForwardingChannel {
    private static final int MAX_SEGMENT_FRAME = 65_535 + EthernetHeader.LENGTH;

    private final UnsafeBuffer whole = new UnsafeBuffer(new byte[MAX_SEGMENT_FRAME]);
    private final UnsafeBuffer piece = new UnsafeBuffer(new byte[MAX_SEGMENT_FRAME]);
    private final FrameDecoder decoder = new FrameDecoder(new WireCounters());
    private final DecodedFrame decoded = new DecodedFrame();
    private final TcpSegment out = new TcpSegment();
    private long framesCut;
    private long piecesSent;

    SegmentingChannel(FrameChannel inner) {
        super(inner);
    }

    @Override
    public int segmentationOffloadBytes() {
        return MAX_SEGMENT_FRAME;
    }

    @Override
    public boolean sendTcpOffloaded(DirectBuffer headers, int headersOffset, int headersLength, DirectBuffer payload,
                                    int payloadOffset, int payloadLength, int l4Offset, int segmentSize) {
        int length = headersLength + payloadLength;
        if (length > MAX_SEGMENT_FRAME) {
            return false;
        }
        whole.putBytes(0, headers, headersOffset, headersLength);
        whole.putBytes(headersLength, payload, payloadOffset, payloadLength);
        // the checksum field holds the pseudo-header's sum: summing from the TCP header on finishes it
        whole.putShort(l4Offset + 16, (short) Checksums.finish(Checksums.sum(whole, l4Offset, length - l4Offset)),
                ByteOrder.BIG_ENDIAN);
        if (decoder.decode(whole, 0, length, decoded) != DecodedFrame.Kind.TCP) {
            throw new IllegalStateException("an offloaded frame that does not decode as TCP: " + decoded.kind);
        }
        TcpSegment t = decoded.tcp;
        long dst = EthernetHeader.dst(whole, 0);
        long src = EthernetHeader.src(whole, 0);
        int ipId = Ipv4Header.id(whole, EthernetHeader.LENGTH);
        int step = segmentSize > 0 ? segmentSize : Math.max(1, t.payloadLength);
        if (t.payloadLength > step) {
            framesCut++;
        }
        int k = 0;
        int at = 0;
        do {
            int n = Math.min(step, t.payloadLength - at);
            boolean last = at + n == t.payloadLength;
            out.copyHeader(t);
            System.arraycopy(t.sackLeft, 0, out.sackLeft, 0, t.sackCount);
            System.arraycopy(t.sackRight, 0, out.sackRight, 0, t.sackCount);
            out.sackCount = t.sackCount;
            out.seq = t.seq + at;
            out.flags = last ? t.flags : t.flags & ~(TcpSegment.FIN | TcpSegment.PSH);
            out.payload = whole;
            out.payloadOffset = t.payloadOffset + at;
            out.payloadLength = n;
            int len = FrameEncoder.encodeTcp(piece, 0, dst, src, (ipId + k) & 0xFFFF, out);
            if (!inner.send(piece, 0, len)) {
                return false; // a full link drops the rest, as a NIC's full ring would
            }
            piecesSent++;
            k++;
            at += n;
        } while (at < t.payloadLength);
        return true;
    }

    /** Frames handed to {@link #sendTcpOffloaded} with more than one segment's payload. */
    long framesCut() {
        return framesCut;
    }

    /** Frames sent for everything handed to {@link #sendTcpOffloaded} (pure ACKs and SYNs included). */
    long piecesSent() {
        return piecesSent;
    }

    @Override
    public String name() {
        return inner.name() + "+gso";
    }
}
