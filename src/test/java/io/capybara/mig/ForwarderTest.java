package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.WireCounters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Passing a late segment on: the copy goes to the new holder with a valid checksum, one hop older, and dies after 8 hops. */
class ForwarderTest {
    static final int SELF = Ipv4Address.parse("10.0.0.1");
    static final int HOLDER = Ipv4Address.parse("10.0.0.2");
    static final int CLIENT = Ipv4Address.parse("10.0.1.1");
    static final long HOLDER_MAC = 0x020000000002L;

    final List<byte[]> sent = new ArrayList<>();
    final FrameChannel channel = new FrameChannel() {
        @Override
        public int poll(FrameHandler handler, int limit) {
            return 0;
        }

        @Override
        public boolean send(DirectBuffer buffer, int offset, int length) {
            byte[] f = new byte[length];
            buffer.getBytes(offset, f);
            sent.add(f);
            return true;
        }

        @Override
        public String name() {
            return "capture";
        }
    };
    final Host host = new Host(HostConfig.of("origin", 0x020000000001L, SELF, 16)
            .withStaticArp(Map.of(HOLDER, HOLDER_MAC)), channel);
    final Forwarder forwarder = new Forwarder(host);

    /** A client's data segment to this server, with {@code ttl}, placed at {@code at} inside a larger buffer. */
    static UnsafeBuffer segment(int at, int ttl, byte[] payload) {
        byte[] f = LoneEngine.clientSegment(CLIENT, SELF, ttl, TcpSegment.ACK | TcpSegment.PSH, 1234, 5678, payload);
        byte[] buf = new byte[at + f.length + 32];
        Arrays.fill(buf, (byte) 0x77);
        System.arraycopy(f, 0, buf, at, f.length);
        return new UnsafeBuffer(buf);
    }

    static int frameLength(byte[] payload) {
        return FrameEncoder.IPV4_HEADERS_LENGTH + 20 + payload.length;
    }

    @Test
    void theCopyGoesToTheHolderOneHopOlderWithValidChecksums() {
        byte[] payload = "late bytes for the new holder".getBytes();
        int at = 50;
        UnsafeBuffer b = segment(at, 64, payload);
        assertTrue(forwarder.forward(b, at, frameLength(payload), at + 14, at + 34, HOLDER));
        assertEquals(1, sent.size());
        byte[] out = sent.get(0);
        assertEquals(frameLength(payload), out.length, "the frame's own length, nothing around it");
        DecodedFrame d = new DecodedFrame();
        assertNotEquals(DecodedFrame.Kind.DROPPED, new FrameDecoder(new WireCounters()).decode(new UnsafeBuffer(out), 0,
                out.length, d), "checksums must stay valid: " + d.dropReason);
        assertEquals(HOLDER, d.dstIp);
        assertEquals(CLIENT, d.srcIp, "still from the client");
        assertEquals(HOLDER_MAC, d.dstMac);
        assertEquals(63, Ipv4Header.ttl(new UnsafeBuffer(out), 14));
        assertEquals(payload.length, d.tcp.payloadLength);
        assertEquals(1234, d.tcp.seq);
        // the caller's frame is left as it was
        assertEquals(SELF, Ipv4Header.dst(b, at + 14));
        assertEquals(64, Ipv4Header.ttl(b, at + 14));
    }

    @Test
    void aSegmentPassedOnEightTimesIsDropped() {
        byte[] payload = new byte[10];
        UnsafeBuffer b = segment(0, 57, payload); // passed on 7 times: one more is allowed
        assertTrue(forwarder.forward(b, 0, frameLength(payload), 14, 34, HOLDER));
        assertEquals(56, Ipv4Header.ttl(new UnsafeBuffer(sent.get(0)), 14));
        b = segment(0, 56, payload); // 8 times: dropped
        assertFalse(forwarder.forward(b, 0, frameLength(payload), 14, 34, HOLDER));
        assertEquals(1, sent.size());
    }
}
