package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * With segmentation offload a host holds a connection's output while it reads a batch of
 * frames, so that ACKs read together release one large segment; it lets the output go before
 * a migration control message can move the connection.
 */
class HostOutputHoldTest {
    static final long HOST_MAC = 0x02_00_00_00_00_01L;
    static final long PEER_MAC = 0x02_00_00_00_00_02L;
    static final int HOST_IP = Ipv4Address.parse("10.9.0.1");
    static final int PEER_IP = Ipv4Address.parse("10.9.0.2");
    static final int PEER_PORT = 8080;
    static final int MSS = 1460;
    static final int PEER_ISN = 5000;

    /** Offers offload and records every TCP frame the host hands it; delivers its inbox in polls of {@code perPoll}. */
    static final class Recorder implements FrameChannel {
        final ArrayDeque<byte[]> inbox = new ArrayDeque<>();
        /** Per offloaded frame: {seq, flags, payload length}. */
        final List<int[]> out = new ArrayList<>();
        int perPoll = Integer.MAX_VALUE;
        int plainFrames;

        @Override
        public int poll(FrameHandler handler, int limit) {
            int n = 0;
            while (n < Math.min(limit, perPoll) && !inbox.isEmpty()) {
                byte[] f = inbox.poll();
                handler.onFrame(new UnsafeBuffer(f), 0, f.length);
                n++;
            }
            return n;
        }

        @Override
        public boolean send(DirectBuffer buffer, int offset, int length) {
            plainFrames++; // the host's gratuitous ARP, a RST to a segment for no connection
            return true;
        }

        @Override
        public int segmentationOffloadBytes() {
            return 65_535 + 14;
        }

        @Override
        public boolean sendTcpOffloaded(DirectBuffer headers, int headersOffset, int headersLength, DirectBuffer payload,
                                        int payloadOffset, int payloadLength, int l4Offset, int segmentSize) {
            int tcp = headersOffset + l4Offset;
            out.add(new int[]{Integer.reverseBytes(headers.getInt(tcp + 4)), headers.getByte(tcp + 13) & 0xFF,
                    payloadLength});
            return true;
        }

        @Override
        public String name() {
            return "recorder";
        }

        /** Payload lengths of the data frames sent from the {@code from}-th on. */
        List<Integer> dataFrom(int from) {
            List<Integer> lengths = new ArrayList<>();
            for (int i = from; i < out.size(); i++) {
                if (out.get(i)[2] > 0) {
                    lengths.add(out.get(i)[2]);
                }
            }
            return lengths;
        }
    }

    final Recorder channel = new Recorder();
    final Host host = new Host(HostConfig.of("h", HOST_MAC, HOST_IP, 24)
            .withStaticArp(Map.of(PEER_IP, PEER_MAC)).withSegmentOffload(HostConfig.MAX_SEGMENT_OFFLOAD_BYTES), channel);
    long now = 1_000_000_000L;
    int isn;
    int iwSegments;
    TcpConnection conn;

    /** Connects, and on connecting writes {@code bytes}: the initial window goes out as one frame. */
    void connectAndWrite(int bytes) {
        UnsafeBuffer data = new UnsafeBuffer(new byte[bytes]);
        conn = host.connect(PEER_IP, PEER_PORT, new ConnectionHandler() {
            @Override
            public void onConnected(TcpConnection c) {
                c.send(data, 0, bytes, host.now());
            }
        });
        assertNotNull(conn);
        host.poll(now);
        int[] syn = channel.out.getLast();
        assertEquals(TcpSegment.SYN, syn[1] & TcpSegment.SYN);
        isn = syn[0];
        TcpSegment synAck = new TcpSegment().between(PEER_IP, PEER_PORT, HOST_IP, conn.localPort());
        synAck.seq = PEER_ISN;
        synAck.ack = isn + 1;
        synAck.flags = TcpSegment.SYN | TcpSegment.ACK;
        synAck.window = 65535;
        synAck.mss = MSS;
        channel.inbox.add(encode(synAck));
        host.poll(now += 20_000);
        assertEquals(TcpState.ESTABLISHED, conn.state());
        iwSegments = conn.congestionWindow() / MSS;
        assertTrue(iwSegments >= 2);
        assertEquals(List.of(iwSegments * MSS), channel.dataFrom(0), "the initial window, in one frame");
    }

    static byte[] encode(TcpSegment s) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[1514]);
        int len = FrameEncoder.encodeTcp(b, 0, HOST_MAC, PEER_MAC, 1, s);
        byte[] f = new byte[len];
        b.getBytes(0, f);
        return f;
    }

    /** An ACK of each segment of the initial window, queued for the host. */
    void queueAcks() {
        for (int i = 1; i <= iwSegments; i++) {
            channel.inbox.add(ackTo(isn + 1 + i * MSS));
        }
    }

    byte[] ackTo(int ack) {
        TcpSegment s = new TcpSegment().between(PEER_IP, PEER_PORT, HOST_IP, conn.localPort());
        s.seq = PEER_ISN + 1;
        s.ack = ack;
        s.flags = TcpSegment.ACK;
        s.window = 65535;
        return encode(s);
    }

    @Test
    void acksReadInOneBatchReleaseOneLargeSegment() {
        connectAndWrite(60_000);
        int before = channel.out.size();
        queueAcks();
        host.poll(now += 20_000);
        // the window acknowledged, and slow start doubled it: twice as much may be in flight
        assertEquals(List.of(2 * iwSegments * MSS), channel.dataFrom(before));
    }

    @Test
    void acksReadOneAPollReleaseASegmentEach() {
        connectAndWrite(60_000);
        int before = channel.out.size();
        channel.perPoll = 1;
        queueAcks();
        List<Integer> each = new ArrayList<>();
        for (int i = 0; i < iwSegments; i++) {
            host.poll(now += 1_000);
            each.add(2 * MSS);
        }
        // the same ACKs one poll at a time: each releases the MSS it acknowledged plus one
        assertEquals(each, channel.dataFrom(before));
    }

    @Test
    void aControlMessageInTheBatchLetsTheHeldOutputGoBeforeItCanMoveTheConnection() {
        connectAndWrite(60_000);
        int before = channel.out.size();
        int[] sentWhenDetached = {-1};
        host.migrationHook(new MigrationHook() {
            @Override
            public void onControl(DecodedFrame frame) {
                sentWhenDetached[0] = channel.dataFrom(before).stream().mapToInt(Integer::intValue).sum();
                assertTrue(host.detach(conn));
            }

            @Override
            public boolean onUnmatchedSegment(DecodedFrame frame) {
                return false;
            }
        });
        queueAcks();
        UnsafeBuffer b = new UnsafeBuffer(new byte[1514]);
        UnsafeBuffer body = new UnsafeBuffer(new byte[8]);
        int len = FrameEncoder.encodeUdp(b, 0, HOST_MAC, PEER_MAC, 2, PEER_IP, HOST_IP, TcpMigHeader.UDP_PORT,
                TcpMigHeader.UDP_PORT, body, 0, body.capacity());
        byte[] control = new byte[len];
        b.getBytes(0, control);
        channel.inbox.add(control);
        channel.inbox.add(ackTo(isn + 1 + (iwSegments + 1) * MSS)); // after the move: not this host's any more
        int plainBefore = channel.plainFrames;
        host.poll(now += 20_000);
        assertEquals(2 * iwSegments * MSS, sentWhenDetached[0], "what the ACKs released left before the move");
        assertEquals(List.of(2 * iwSegments * MSS), channel.dataFrom(before), "and nothing after it");
        assertEquals(plainBefore + 1, channel.plainFrames, "the late ACK found no connection here (a RST)");
    }
}
