package io.capybara.host;

import io.capybara.io.FrameChannel;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.WireCounters;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;

/** A test peer that speaks raw frames: it crafts them with the wire encoder and decodes replies. */
final class RawPeer {
    final FrameChannel channel;
    final long mac;
    final int ip;
    final UnsafeBuffer tx = new UnsafeBuffer(new byte[1514]);
    final FrameDecoder decoder = new FrameDecoder(new WireCounters());

    RawPeer(FrameChannel channel, long mac, int ip) {
        this.channel = channel;
        this.mac = mac;
        this.ip = ip;
    }

    /** A decoded copy of one received frame. */
    record Frame(DecodedFrame.Kind kind, long dstMac, long srcMac, int arpOp, long arpSenderMac, int arpSenderIp,
                 long arpTargetMac, int arpTargetIp, int srcIp, int dstIp, int srcPort, int dstPort, int seq,
                 int ack, int flags, int window, int payloadLength) {
    }

    List<Frame> receive() {
        List<Frame> out = new ArrayList<>();
        DecodedFrame f = new DecodedFrame();
        channel.poll((buf, off, len) -> {
            decoder.decode(buf, off, len, f);
            TcpSegment t = f.tcp;
            out.add(new Frame(f.kind, f.dstMac, f.srcMac, f.arpOp, f.arpSenderMac, f.arpSenderIp, f.arpTargetMac,
                    f.arpTargetIp, f.srcIp, f.dstIp, t.srcPort, t.dstPort, t.seq, t.ack, t.flags, t.window,
                    t.payloadLength));
        }, 1000);
        return out;
    }

    void sendArp(long ethDst, int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        int len = FrameEncoder.encodeArp(tx, 0, ethDst, mac, op, senderMac, senderIp, targetMac, targetIp);
        channel.send(tx, 0, len);
    }

    int encodeTcp(long dstMac, int dstIp, int srcPort, int dstPort, int seq, int ack, int flags) {
        TcpSegment s = new TcpSegment().between(ip, srcPort, dstIp, dstPort);
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.window = 65535;
        if ((flags & TcpSegment.SYN) != 0) {
            s.mss = 1460;
        }
        return FrameEncoder.encodeTcp(tx, 0, dstMac, mac, 1, s);
    }

    void sendTcp(long dstMac, int dstIp, int srcPort, int dstPort, int seq, int ack, int flags) {
        int len = encodeTcp(dstMac, dstIp, srcPort, dstPort, seq, ack, flags);
        channel.send(tx, 0, len);
    }
}
