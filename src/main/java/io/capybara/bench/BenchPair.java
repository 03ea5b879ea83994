package io.capybara.bench;

import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import org.agrona.concurrent.UnsafeBuffer;

/** Two established connections joined by {@link Loopback} wires, driven on one thread. */
final class BenchPair {
    static final int IP_A = 0x0A000001;
    static final int IP_B = 0x0A000002;

    final Loopback aToB = new Loopback();
    final Loopback bToA = new Loopback();
    final TcpConnection a;
    final TcpConnection b;
    long now = 1_000_000_000L;

    BenchPair(TcpConfig config) {
        a = TcpConnection.connect(config, IP_A, 40000, IP_B, 80, 0x7FFF_0000, now, aToB);
        b = TcpConnection.accept(config, aToB.poll(), 0x1234_5678, now, bToA);
        now += 10_000;
        bToA.deliverAll(a, now);
        now += 10_000;
        aToB.deliverAll(b, now);
        if (a.state() != TcpState.ESTABLISHED || b.state() != TcpState.ESTABLISHED) {
            throw new IllegalStateException("handshake failed: " + a + " / " + b);
        }
    }

    /** Moves segments both ways and runs due timers until the wires are quiet. */
    void settle(long stepNanos) {
        for (int i = 0; i < 100_000 && !(aToB.isEmpty() && bToA.isEmpty()); i++) {
            now += stepNanos;
            aToB.deliverAll(b, now);
            bToA.deliverAll(a, now);
            timers();
        }
    }

    void timers() {
        if (a.nextDeadline() <= now) {
            a.onTimer(now);
        }
        if (b.nextDeadline() <= now) {
            b.onTimer(now);
        }
    }

    static UnsafeBuffer buffer(int size) {
        UnsafeBuffer u = new UnsafeBuffer(new byte[size]);
        for (int i = 0; i < size; i++) {
            u.putByte(i, (byte) i);
        }
        return u;
    }
}
