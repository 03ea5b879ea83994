package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Events arrive after the connection's state is consistent, so observers may call back in. */
class TcpObserverTest {
    static final long MS = 1_000_000L;

    @Test
    void echoServerInsideCallbacksPiggybacksAndCloses() {
        TcpPair p = new TcpPair(61, TcpConfig.defaults().withTimeWait(100 * MS));
        p.b.reading = false; // the observer reads instead
        p.open(1, 2);
        assertTrue(p.runUntil(() -> p.b.conn != null, p.now + 10 * MS));
        List<String> events = new ArrayList<>();
        UnsafeBuffer tmp = new UnsafeBuffer(new byte[65536]);
        p.b.conn.observer(new ConnectionObserver() {
            @Override
            public void onEstablished(TcpConnection c) {
                events.add("established");
            }

            @Override
            public void onReadable(TcpConnection c) {
                int n;
                while ((n = c.receive(tmp, 0, tmp.capacity(), p.now)) > 0) {
                    int sent = c.send(tmp, 0, n, p.now);
                    assertEquals(n, sent);
                }
                if (c.isPeerClosed()) {
                    events.add("peer closed");
                    c.close(p.now);
                }
            }

            @Override
            public void onClosed(TcpConnection c, boolean reset) {
                events.add(reset ? "reset" : "closed");
            }
        });
        byte[] msg = TcpBasicsTest.data(61, 30_000);
        p.a.toSend = msg;
        p.a.closeWhenSent = true;
        assertTrue(p.runUntil(() -> p.a.received.size() == msg.length && p.a.conn.state() == TcpState.CLOSED
                && p.b.conn.state() == TcpState.CLOSED, p.now + 10_000 * MS));
        assertArrayEquals(msg, p.a.received.toByteArray());
        assertEquals(List.of("established", "peer closed", "closed"), events);
        // replies rode on data segments: B sent no more pure ACKs than it got data segments
        assertTrue(p.b.conn.stats().segmentsOut() <= p.b.conn.stats().segmentsIn() + 2);
    }

    @Test
    void writableFiresWhenAcksFreeSpace() {
        TcpPair p = new TcpPair(62, TcpConfig.defaults().withBuffers(8192, 65536));
        p.open(1, 2);
        assertTrue(p.runUntil(p::established, p.now + 10 * MS));
        int[] writable = {0};
        byte[] all = TcpBasicsTest.data(62, 100_000);
        UnsafeBuffer src = new UnsafeBuffer(all);
        int[] pos = {0};
        p.a.conn.observer(new ConnectionObserver() {
            @Override
            public void onWritable(TcpConnection c) {
                writable[0]++;
                while (pos[0] < all.length) {
                    int n = c.send(src, pos[0], all.length - pos[0], p.now);
                    if (n == 0) {
                        break;
                    }
                    pos[0] += n;
                }
            }
        });
        pos[0] += p.a.conn.send(src, 0, all.length, p.now);
        p.a.flush();
        assertEquals(8192, pos[0]);
        assertEquals(0, p.a.conn.writableBytes());
        assertTrue(p.runUntil(() -> p.b.received.size() == all.length, p.now + 10_000 * MS));
        assertArrayEquals(all, p.b.received.toByteArray());
        assertTrue(writable[0] > 10);
    }
}
