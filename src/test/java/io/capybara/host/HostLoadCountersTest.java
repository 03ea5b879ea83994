package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.sim.LinkProfile;
import io.capybara.sim.SimLink;
import io.capybara.sim.Simulator;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The host's load counters are kept as connections change, never by a scan: the sum of queued
 * bytes ({@link Host#queuedBytes}) and the live count ({@link Host#liveConnections}) must equal
 * what a scan of the table finds after any sequence of events, including the application's
 * sends and reads outside any callback, closes, aborts, TIME_WAIT and removal; and the busy list
 * holds exactly the connections that sent or received a segment.
 */
class HostLoadCountersTest {
    static final long A_MAC = 0x02_00_00_00_00_0AL;
    static final long B_MAC = 0x02_00_00_00_00_0BL;
    static final int A_IP = Ipv4Address.parse("10.1.0.1");
    static final int B_IP = Ipv4Address.parse("10.1.0.2");
    static final long MS = 1_000_000L;

    static long scannedQueued(Host h) {
        long sum = 0;
        for (int i = 0; i < h.connectionCount(); i++) {
            sum += h.connectionAt(i).queuedBytes();
        }
        return sum;
    }

    static int scannedLive(Host h) {
        int n = 0;
        for (int i = 0; i < h.connectionCount(); i++) {
            if (Host.isLive(h.connectionAt(i).state())) {
                n++;
            }
        }
        return n;
    }

    static void check(Host h, String when) {
        assertEquals(scannedQueued(h), h.queuedBytes(), h.name() + " queued bytes " + when);
        assertEquals(scannedLive(h), h.liveConnections(), h.name() + " live connections " + when);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void countersEqualAScanAfterEveryStep(long seed) {
        Simulator sim = new Simulator(seed);
        SimLink link = sim.link("l", LinkProfile.ideal(10_000).withBandwidth(1_000_000_000L).withLoss(0.02));
        Host a = sim.add(new Host(HostConfig.of("a", A_MAC, A_IP, 24).withIsnSeed(1), link.a()));
        Host b = sim.add(new Host(HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2), link.b()));
        List<TcpConnection> conns = new ArrayList<>();
        // the server reads nothing by itself: bytes stay queued until the test reads them
        b.listen(80, 64, new ConnectionHandler() {
            @Override
            public void onAccepted(TcpConnection c) {
                conns.add(c);
            }
        });
        ConnectionHandler quiet = new ConnectionHandler() { };
        Random rnd = new Random(seed);
        UnsafeBuffer data = new UnsafeBuffer(new byte[20_000]);
        for (int step = 0; step < 600; step++) {
            int op = rnd.nextInt(10);
            long now = sim.now();
            if (op == 0 || conns.isEmpty()) {
                TcpConnection c = a.connect(B_IP, 80, quiet);
                if (c != null) {
                    conns.add(c);
                }
            } else {
                TcpConnection c = conns.get(rnd.nextInt(conns.size()));
                Host h = a.holds(c) ? a : b;
                switch (op) {
                    case 1, 2, 3 -> c.send(data, 0, 1 + rnd.nextInt(data.capacity()), h.now());
                    case 4, 5 -> c.receive(data, 0, 1 + rnd.nextInt(data.capacity()), h.now());
                    case 6 -> c.close(h.now());
                    case 7 -> {
                        if (rnd.nextInt(4) == 0) {
                            c.abort(h.now());
                        }
                    }
                    default -> { }
                }
            }
            check(a, "after op " + op + " at step " + step);
            check(b, "after op " + op + " at step " + step);
            sim.runUntil(now + rnd.nextInt(20) * MS, () -> false);
            check(a, "at step " + step);
            check(b, "at step " + step);
        }
        sim.runUntil(sim.now() + 200_000 * MS, () -> false); // everything closes or stays idle
        check(a, "at the end");
        check(b, "at the end");
        assertTrue(b.stats().connectionsAccepted() > 20, "enough happened: " + b.stats());
    }

    @Test
    void theBusyListHoldsTheConnectionsWithSegmentsOnlyEachOnce() {
        Simulator sim = new Simulator(7);
        SimLink link = sim.link("l", LinkProfile.ideal(10_000).withBandwidth(1_000_000_000L));
        // static neighbours: 50 SYNs at once would overflow the ARP parking while B resolves
        Host a = sim.add(new Host(HostConfig.of("a", A_MAC, A_IP, 24).withIsnSeed(1)
                .withStaticArp(java.util.Map.of(B_IP, B_MAC)), link.a()));
        Host b = sim.add(new Host(HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2)
                .withStaticArp(java.util.Map.of(A_IP, A_MAC)), link.b()));
        List<TcpConnection> server = new ArrayList<>();
        b.listen(80, 64, new ConnectionHandler() {
            @Override
            public void onAccepted(TcpConnection c) {
                server.add(c);
            }
        });
        b.trackBusy(true);
        List<TcpConnection> client = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            client.add(a.connect(B_IP, 80, new ConnectionHandler() { }));
        }
        sim.runUntil(sim.now() + 10 * MS, () -> false);
        assertEquals(50, server.size());
        assertEquals(50, b.busyCount(), "each handshake made its connection busy once");
        assertEquals(50, b.liveConnections());
        b.clearBusy();
        sim.runUntil(sim.now() + 10 * MS, () -> false);
        assertEquals(0, b.busyCount(), "idle connections are not busy");
        UnsafeBuffer data = new UnsafeBuffer(new byte[3000]);
        client.get(7).send(data, 0, 3000, a.now());
        client.get(7).send(data, 0, 3000, a.now());
        sim.runUntil(sim.now() + 10 * MS, () -> false);
        assertEquals(1, b.busyCount());
        TcpConnection seven = b.busyAt(0);
        assertEquals(client.get(7).localPort(), seven.remotePort());
        assertEquals(6000, b.queuedBytes(), "received, not read");
        b.clearBusy();
        server.get(3).send(data, 0, 100, b.now()); // the server sending makes it busy too
        assertEquals(1, b.busyCount());
        b.trackBusy(false);
        sim.runUntil(sim.now() + 10 * MS, () -> false);
        client.get(9).send(data, 0, 10, a.now());
        sim.runUntil(sim.now() + 10 * MS, () -> false);
        assertEquals(0, b.busyCount(), "not tracked: nothing kept");
    }
}
