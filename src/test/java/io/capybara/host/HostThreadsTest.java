package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.MemoryLink;
import io.capybara.sim.scenario.StreamContent;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.wire.Ipv4Address;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Two hosts on two threads joined by a {@link MemoryLink}, each in its own busy-poll loop with
 * real time: the in-memory link is a correct SPSC channel and the host needs no simulator.
 */
class HostThreadsTest {
    static final long A_MAC = 0x02_00_00_00_00_0AL;
    static final long B_MAC = 0x02_00_00_00_00_0BL;
    static final int A_IP = Ipv4Address.parse("10.2.0.1");
    static final int B_IP = Ipv4Address.parse("10.2.0.2");

    @Test
    void transferBetweenTwoThreads() throws Exception {
        MemoryLink link = MemoryLink.pair("threads", 512);
        Host a = new Host(HostConfig.of("a", A_MAC, A_IP, 24).withStaticArp(Map.of(B_IP, B_MAC)), link.a());
        Host b = new Host(HostConfig.of("b", B_MAC, B_IP, 24).withStaticArp(Map.of(A_IP, A_MAC)), link.b());
        long total = 8 << 20;
        StreamContent content = new StreamContent(42);
        AtomicLong received = new AtomicLong();
        AtomicLong mismatch = new AtomicLong(-1);
        AtomicBoolean serverDone = new AtomicBoolean();
        b.listen(80, new ConnectionHandler() {
            final UnsafeBuffer buf = new UnsafeBuffer(new byte[65536]);

            @Override
            public void onData(TcpConnection conn) {
                int n;
                while ((n = conn.receive(buf, 0, buf.capacity(), b.now())) > 0) {
                    long m = content.firstMismatch(buf, 0, received.get(), n);
                    if (m >= 0) {
                        mismatch.compareAndSet(-1, m);
                    }
                    received.addAndGet(n);
                }
                if (conn.isPeerClosed() && conn.state() == TcpState.CLOSE_WAIT) {
                    conn.close(b.now());
                    serverDone.set(true);
                }
            }
        });
        long start = System.nanoTime();
        Thread server = new Thread(() -> {
            while (!serverDone.get() && System.nanoTime() - start < 30_000_000_000L) {
                if (b.poll(System.nanoTime() - start) == 0) {
                    Thread.yield();
                }
            }
            for (int i = 0; i < 1000; i++) { // let the FIN go out and its ACK in
                b.poll(System.nanoTime() - start);
            }
        }, "server");
        server.start();
        a.poll(0);
        a.connect(B_IP, 80, new ContentSender(a, content, total));
        while (!serverDone.get() && System.nanoTime() - start < 30_000_000_000L) {
            if (a.poll(System.nanoTime() - start) == 0) {
                Thread.yield();
            }
        }
        server.join();
        assertEquals(total, received.get());
        assertEquals(-1, mismatch.get());
        assertTrue(serverDone.get());
    }
}
