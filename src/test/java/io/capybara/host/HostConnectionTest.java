package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import io.capybara.sim.LinkProfile;
import io.capybara.sim.SimLink;
import io.capybara.sim.Simulator;
import io.capybara.sim.scenario.StreamContent;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.TcpSegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Connections through the host: queue API, callback API, backlog, detach/attach. */
class HostConnectionTest {
    static final long A_MAC = 0x02_00_00_00_00_0AL;
    static final long B_MAC = 0x02_00_00_00_00_0BL;
    static final int A_IP = Ipv4Address.parse("10.1.0.1");
    static final int B_IP = Ipv4Address.parse("10.1.0.2");
    static final long MS = 1_000_000L;
    static final long S = 1_000 * MS;

    Simulator sim = new Simulator(11);
    SimLink link = sim.link("l", LinkProfile.ideal(10_000).withBandwidth(1_000_000_000L));

    Host client() {
        return sim.add(new Host(HostConfig.of("a", A_MAC, A_IP, 24).withIsnSeed(1), link.a()));
    }

    Host server() {
        return sim.add(new Host(HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2), link.b()));
    }

    final Map<Host, QueueApi> queueApis = new java.util.IdentityHashMap<>();

    /** The queue API over {@code h} (one per host). */
    QueueApi q(Host h) {
        return queueApis.computeIfAbsent(h, QueueApi::new);
    }

    /** Runs until {@code token} completes (or a virtual time bound) and returns its result. */
    QResult await(Host h, long token) {
        QResult r = new QResult();
        boolean done = sim.runUntil(sim.now() + 30 * S, () -> q(h).takeCompletion(token, r));
        assertTrue(done, "operation did not complete");
        return r;
    }

    @Test
    void queueApiEndToEnd() {
        Host a = client();
        Host b = server();
        int lqd = q(b).socket();
        assertEquals(QueueError.OK, q(b).bind(lqd, 7000));
        assertEquals(QueueError.OK, q(b).listen(lqd, 8));
        long acceptToken = q(b).accept(lqd);

        int cqd = q(a).socket();
        long connectToken = q(a).connect(cqd, B_IP, 7000);
        QResult connected = await(a, connectToken);
        assertTrue(connected.ok(), connected.toString());
        assertEquals(QueueOp.CONNECT, connected.op);
        QResult accepted = await(b, acceptToken);
        assertTrue(accepted.ok(), accepted.toString());
        int sqd = accepted.value;
        assertEquals(TcpState.ESTABLISHED, q(b).connectionOf(sqd).state());

        // push 300 KB (more than the send buffer) and pop it all on the other side
        int total = 300 * 1024;
        StreamContent content = new StreamContent(99);
        UnsafeBuffer src = new UnsafeBuffer(new byte[total]);
        content.fill(src, 0, 0, total);
        long pushToken = q(a).push(cqd, src, 0, total);
        long got = 0;
        while (got < total) {
            QResult popped = await(b, q(b).pop(sqd));
            assertTrue(popped.ok(), popped.toString());
            assertTrue(popped.value > 0);
            assertEquals(-1, content.firstMismatch(popped.data, popped.dataOffset, got, popped.dataLength));
            got += popped.value;
        }
        QResult pushed = await(a, pushToken);
        assertTrue(pushed.ok());
        assertEquals(total, pushed.value);

        // reply and close both ways; pops then see end-of-stream
        byte[] reply = "bye".getBytes(StandardCharsets.US_ASCII);
        assertTrue(await(b, q(b).push(sqd, new UnsafeBuffer(reply), 0, reply.length)).ok());
        QResult popped = await(a, q(a).pop(cqd));
        assertEquals("bye", popped.data.getStringWithoutLengthAscii(popped.dataOffset, popped.dataLength));
        assertTrue(await(a, q(a).close(cqd)).ok());
        QResult eof = await(b, q(b).pop(sqd));
        assertTrue(eof.ok());
        assertEquals(0, eof.value, "end of stream");
        assertTrue(await(b, q(b).close(sqd)).ok());
        sim.runUntil(sim.now() + 200 * S, () -> a.connectionCount() == 0 && b.connectionCount() == 0);
        assertEquals(0, a.connectionCount(), "TIME_WAIT ended, table empty");
        assertEquals(0, b.connectionCount());
        assertEquals(QueueError.BAD_DESCRIPTOR, await(a, q(a).push(cqd, src, 0, 1)).error);
    }

    @Test
    void queueApiReportsRefusedConnections() {
        Host a = client();
        server();
        int qd = q(a).socket();
        QResult r = await(a, q(a).connect(qd, B_IP, 1234));
        assertEquals(QueueError.CONNECTION_REFUSED, r.error, r.toString());
        assertEquals(0, a.connectionCount());
        QResult bad = await(a, q(a).pop(777));
        assertEquals(QueueError.BAD_DESCRIPTOR, bad.error);
    }

    @Test
    void nextCompletionReturnsCompletionsInOrder() {
        Host a = client();
        Host b = server();
        int lqd = q(b).socket();
        q(b).bind(lqd, 7001);
        q(b).listen(lqd, 4);
        long t1 = q(b).accept(lqd);
        long t2 = q(b).accept(lqd);
        q(a).connect(q(a).socket(), B_IP, 7001);
        q(a).connect(q(a).socket(), B_IP, 7001);
        List<Long> tokens = new ArrayList<>();
        QResult r = new QResult();
        sim.runUntil(sim.now() + S, () -> {
            while (q(b).nextCompletion(r)) {
                tokens.add(r.token);
            }
            return tokens.size() == 2;
        });
        assertEquals(List.of(t1, t2), tokens);
    }

    /** Echo server on the callback API. */
    static final class Echo implements ConnectionHandler {
        final Host host;
        final UnsafeBuffer buf = new UnsafeBuffer(new byte[4096]);
        int accepted;
        int closed;

        Echo(Host host) {
            this.host = host;
        }

        @Override
        public void onAccepted(TcpConnection conn) {
            accepted++;
        }

        @Override
        public void onData(TcpConnection conn) {
            int n;
            while ((n = conn.receive(buf, 0, Math.min(buf.capacity(), conn.writableBytes()), host.now())) > 0) {
                conn.send(buf, 0, n, host.now());
            }
            if (conn.isPeerClosed() && conn.state() == TcpState.CLOSE_WAIT) {
                conn.close(host.now());
            }
        }

        @Override
        public void onClosed(TcpConnection conn, boolean reset) {
            closed++;
        }
    }

    @Test
    void callbackApiEndToEnd() {
        Host a = client();
        Host b = server();
        Echo echo = new Echo(b);
        b.listen(7, echo);
        StringBuilder got = new StringBuilder();
        boolean[] events = new boolean[3];
        ConnectionHandler clientApp = new ConnectionHandler() {
            final UnsafeBuffer buf = new UnsafeBuffer(new byte[1024]);

            @Override
            public void onConnected(TcpConnection conn) {
                events[0] = true;
                byte[] msg = "hello, capybara".getBytes(StandardCharsets.US_ASCII);
                conn.send(new UnsafeBuffer(msg), 0, msg.length, a.now());
            }

            @Override
            public void onData(TcpConnection conn) {
                int n;
                while ((n = conn.receive(buf, 0, buf.capacity(), a.now())) > 0) {
                    got.append(buf.getStringWithoutLengthAscii(0, n));
                }
                if (got.length() == 15 && !events[1]) {
                    events[1] = true;
                    conn.close(a.now());
                }
            }

            @Override
            public void onClosed(TcpConnection conn, boolean reset) {
                events[2] = !reset;
            }
        };
        TcpConnection c = a.connect(B_IP, 7, clientApp);
        assertNotNull(c);
        assertEquals(TcpState.SYN_SENT, c.state());
        sim.runUntil(sim.now() + 300 * S, () -> events[2] && echo.closed == 1);
        assertEquals("hello, capybara", got.toString());
        assertTrue(events[0] && events[1] && events[2]);
        assertEquals(1, echo.accepted);
        assertEquals(1, echo.closed);
        assertEquals(0, a.connectionCount());
        assertEquals(0, b.connectionCount());
    }

    @Test
    void synsBeyondTheAcceptQueueAreDroppedAndCounted() {
        Host a = client();
        Host b = server();
        int lqd = q(b).socket();
        q(b).bind(lqd, 8080);
        q(b).listen(lqd, 2); // never accepted yet: established connections fill the accept queue
        List<TcpConnection> conns = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            conns.add(a.connect(B_IP, 8080, new ConnectionHandler() { }));
        }
        sim.runUntil(sim.now() + 100 * MS, () -> false);
        conns.add(a.connect(B_IP, 8080, new ConnectionHandler() { }));
        sim.runUntil(sim.now() + 100 * MS, () -> false);
        assertEquals(2, b.connectionCount());
        assertEquals(1, b.stats().tcpBacklogDrops());
        assertEquals(2, conns.stream().filter(c -> c.state() == TcpState.ESTABLISHED).count());
        assertEquals(TcpState.SYN_SENT, conns.get(2).state());
        // accepting one frees a slot: the retransmitted SYN gets in
        QResult r = await(b, q(b).accept(lqd));
        assertTrue(r.ok());
        sim.runUntil(sim.now() + 3 * S, () -> conns.get(2).state() == TcpState.ESTABLISHED);
        assertEquals(TcpState.ESTABLISHED, conns.get(2).state());
        assertEquals(3, b.connectionCount());
    }

    @Test
    void pastTheHalfOpenBoundSynCookiesEstablishConnectionsWithTheSameOptions() {
        Host a = client();
        Host b = server();
        Echo echo = new Echo(b);
        b.listen(7002, 2, echo); // two half-open connections at most: the rest get cookies
        int n = 40;
        List<TcpConnection> conns = new ArrayList<>();
        int[] received = new int[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            conns.add(a.connect(B_IP, 7002, new ConnectionHandler() {
                @Override
                public void onData(TcpConnection conn) {
                    received[k] += conn.receive(new UnsafeBuffer(new byte[4096]), 0, 4096, a.now());
                }
            }));
            if (i == 0) { // the first one alone: the client resolves the server's MAC
                sim.runUntil(sim.now() + S, () -> echo.accepted == 1);
            }
        }
        sim.runUntil(sim.now() + S, () -> echo.accepted == n);
        assertEquals(n, echo.accepted, "every client got in, none waited for a retransmission");
        assertEquals(n - 3, b.stats().tcpSynCookiesSent(), "39 SYNs at once: 2 half-open, the rest cookies");
        assertEquals(n - 3, b.stats().tcpSynCookiesAccepted());
        assertEquals(0, b.stats().tcpBacklogDrops());
        TcpConnection stateful = b.connection(A_IP, conns.get(0).localPort(), 7002);
        TcpConnection cookie = b.connection(A_IP, conns.get(n - 1).localPort(), 7002);
        // timestamps carried window scale and SACK-permitted through the cookie
        assertTrue(cookie.timestamps() && cookie.windowScaling() && cookie.sackPermitted());
        assertEquals(stateful.sendWindowShift(), cookie.sendWindowShift());
        assertEquals(stateful.receiveWindowShift(), cookie.receiveWindowShift());
        assertEquals(stateful.sendMss(), cookie.sendMss(), "1460 is in the cookie's MSS table");
        // and they carry data both ways (a scaled window on both sides)
        byte[] data = new byte[3000];
        for (TcpConnection c : conns) {
            c.send(new UnsafeBuffer(data), 0, data.length, a.now());
        }
        sim.runUntil(sim.now() + 5 * S, () -> java.util.Arrays.stream(received).allMatch(x -> x == data.length));
        for (int i = 0; i < n; i++) {
            assertEquals(data.length, received[i], "connection " + i);
        }
    }

    /**
     * A half-open connection follows the listener's SYN-ACK schedule, whatever the data RTO: here
     * TCP's initial RTO is 200 ms (its backoff would retry at 0.2, 0.6, 1.4, 3.0 s), the listener's
     * timeout 1 s: the SYN-ACK goes at 0, 1 and 3 s exactly, and the slot is free at 5 s; an ACK
     * after that is reset.
     */
    @Test
    void halfOpenConnectionsKeepTheListenersShortSynAckScheduleNotTheDataRto() {
        io.capybara.tcp.TcpConfig d = io.capybara.tcp.TcpConfig.defaults();
        io.capybara.tcp.TcpConfig fastRto = new io.capybara.tcp.TcpConfig(d.mss(), d.sendBufferBytes(),
                d.receiveBufferBytes(), d.windowScale(), d.sackPermitted(), d.timestamps(), d.nagle(),
                d.delayedAckNanos(), 200 * MS, 200 * MS, 60 * S, d.maxRetransmissions(), d.timeWaitNanos(),
                d.maxOutOfOrderSegments());
        Host b = sim.add(new Host(HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2).withTcp(fastRto)
                .withListenLimits(256, 2, S).withStaticArp(Map.of(A_IP, A_MAC)), link.b()));
        b.listen(7004, 4, new ConnectionHandler() { });
        RawPeer peer = new RawPeer(link.a(), A_MAC, A_IP);
        sim.runUntil(sim.now() + MS, () -> false);
        peer.receive();
        peer.sendTcp(B_MAC, B_IP, 5000, 7004, 100, 0, io.capybara.wire.TcpSegment.SYN);
        long t0 = sim.now();
        List<Long> synAcks = new java.util.ArrayList<>();
        int iss = 0;
        while (sim.now() < t0 + 5 * S + 10 * MS) {
            sim.runFor(MS);
            for (RawPeer.Frame f : peer.receive()) {
                assertEquals(io.capybara.wire.TcpSegment.SYN | io.capybara.wire.TcpSegment.ACK, f.flags(), f.toString());
                synAcks.add((sim.now() - t0) / MS); // to the millisecond (the link's latency is 10 us)
                iss = f.seq();
            }
            if (sim.now() - t0 < 5 * S - 2 * MS) {
                assertEquals(1, b.connectionCount(), "slot held until 5 s, at " + (sim.now() - t0) / MS + " ms");
            }
        }
        assertEquals(List.of(1L, 1001L, 3001L), synAcks, "SYN-ACK times in ms after the SYN");
        assertEquals(0, b.connectionCount(), "dropped at 5 s");
        assertEquals(2, b.stats().tcpSynAckRetransmits());
        assertEquals(1, b.stats().tcpEmbryonicExpired());
        assertTrue(b.nextDeadline() > sim.now() + 50 * S, "nothing left to time: " + b.nextDeadline());
        // the handshake's ACK arriving now finds no connection and no recent cookie: reset
        peer.sendTcp(B_MAC, B_IP, 5000, 7004, 101, iss + 1, io.capybara.wire.TcpSegment.ACK);
        sim.runFor(MS);
        assertEquals(io.capybara.wire.TcpSegment.RST, peer.receive().get(0).flags());
        assertEquals(0, b.connectionCount());
    }

    /**
     * The handshake completing after a retried SYN-ACK: the connection leaves the listener's
     * schedule and runs on TCP's own timers (its data is retransmitted on the RTO, not at 3 s).
     */
    @Test
    void aHandshakeCompletedAfterARetriedSynAckRunsOnTcpTimers() {
        Host b = sim.add(new Host(HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2)
                .withStaticArp(Map.of(A_IP, A_MAC)), link.b()));
        TcpConnection[] accepted = new TcpConnection[1];
        b.listen(7005, 4, new ConnectionHandler() {
            @Override
            public void onAccepted(TcpConnection c) {
                accepted[0] = c;
            }
        });
        RawPeer peer = new RawPeer(link.a(), A_MAC, A_IP);
        sim.runUntil(sim.now() + MS, () -> false);
        peer.receive();
        peer.sendTcp(B_MAC, B_IP, 5000, 7005, 100, 0, io.capybara.wire.TcpSegment.SYN);
        sim.runFor(1500 * MS);
        List<RawPeer.Frame> synAcks = peer.receive();
        assertEquals(2, synAcks.size(), synAcks.toString());
        assertEquals(synAcks.get(0).seq(), synAcks.get(1).seq(), "the same SYN-ACK again");
        peer.sendTcp(B_MAC, B_IP, 5000, 7005, 101, synAcks.get(1).seq() + 1, io.capybara.wire.TcpSegment.ACK);
        sim.runFor(MS);
        assertNotNull(accepted[0]);
        assertEquals(TcpState.ESTABLISHED, accepted[0].state());
        // past 3 s and 5 s: no SYN-ACK, no expiry; the connection's own timers only
        sim.runFor(6 * S);
        assertTrue(peer.receive().isEmpty());
        assertEquals(1, b.connectionCount());
        assertEquals(1, b.stats().tcpSynAckRetransmits());
        assertEquals(0, b.stats().tcpEmbryonicExpired());
    }

    @Test
    void synAckScheduleDoublesFromItsTimeoutAndWaitsForTheLastRetryAsLongAsForTheOneBefore() {
        HostConfig c = HostConfig.of("h", 1, 1, 24);
        assertEquals(2, c.synAckRetries());
        assertEquals(1 * S, c.synAckRetryNanos(1));
        assertEquals(3 * S, c.synAckRetryNanos(2));
        assertEquals(5 * S, c.embryonicNanos());
        assertEquals(0, c.synAckTimeoutNanos(), "by default the TCP config's initial RTO");
        assertEquals(c.tcp().initialRtoNanos(), c.synAckTimeout());
        assertEquals(100 * MS, c.withListenLimits(8, 0, 100 * MS).embryonicNanos());
        assertEquals(2 * S, c.withListenLimits(8, 1, S).embryonicNanos());
        assertEquals(11 * S, c.withListenLimits(8, 3, S).embryonicNanos());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.withListenLimits(8, -1, S));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.withListenLimits(8, 17, S));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.withListenLimits(8, 2, -1));
    }

    @Test
    void forgedCookieAcksAreResetAndHalfOpenConnectionsExpireQuietly() {
        Host b = sim.add(new Host(HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2)
                .withStaticArp(Map.of(A_IP, A_MAC)), link.b()));
        b.listen(7003, 1, new ConnectionHandler() { });
        RawPeer peer = new RawPeer(link.a(), A_MAC, A_IP);
        sim.runUntil(sim.now() + MS, () -> false);
        peer.receive();
        peer.sendTcp(B_MAC, B_IP, 5000, 7003, 100, 0, io.capybara.wire.TcpSegment.SYN); // stateful
        peer.sendTcp(B_MAC, B_IP, 5001, 7003, 200, 0, io.capybara.wire.TcpSegment.SYN); // cookie
        sim.runUntil(sim.now() + MS, () -> false);
        List<RawPeer.Frame> synAcks = peer.receive();
        assertEquals(2, synAcks.size());
        assertEquals(1, b.stats().tcpSynCookiesSent());
        int cookie = synAcks.get(1).seq();
        // a forged ACK (wrong cookie) is reset and creates nothing
        peer.sendTcp(B_MAC, B_IP, 5001, 7003, 201, cookie + 2, io.capybara.wire.TcpSegment.ACK);
        sim.runUntil(sim.now() + MS, () -> false);
        assertEquals(1, b.stats().tcpSynCookiesFailed());
        assertEquals(io.capybara.wire.TcpSegment.RST, peer.receive().get(0).flags());
        assertEquals(1, b.connectionCount(), "only the stateful half-open one");
        // the half-open one: its SYN-ACK is retried at 1 and 3 s, then it is dropped without a RST
        sim.runUntil(sim.now() + 6 * S, () -> false);
        List<RawPeer.Frame> later = peer.receive();
        assertEquals(2, later.stream().filter(f -> f.srcPort() == 7003 && f.dstPort() == 5000).count(),
                later.toString());
        assertTrue(later.stream().noneMatch(f -> (f.flags() & io.capybara.wire.TcpSegment.RST) != 0));
        assertEquals(0, b.connectionCount());
        assertEquals(1, b.stats().tcpEmbryonicExpired());
        // the genuine ACK of the cookie, even now, still opens the connection (two 69 s periods)
        peer.sendTcp(B_MAC, B_IP, 5001, 7003, 201, cookie + 1, io.capybara.wire.TcpSegment.ACK);
        sim.runUntil(sim.now() + MS, () -> false);
        assertEquals(1, b.stats().tcpSynCookiesAccepted());
        assertEquals(1, b.connectionCount());
    }

    /** A channel that forwards to a real one only while selected: re-pointing the cable. */
    static final class Plug implements FrameChannel {
        final FrameChannel target;
        boolean plugged;
        long sent;

        Plug(FrameChannel target) {
            this.target = target;
        }

        @Override
        public int poll(FrameHandler handler, int limit) {
            return plugged ? target.poll(handler, limit) : 0;
        }

        @Override
        public boolean send(DirectBuffer buffer, int offset, int length) {
            sent++;
            return plugged && target.send(buffer, offset, length);
        }

        @Override
        public String name() {
            return "plug";
        }
    }

    @Test
    void detachIsSilentAndAttachOnAnotherHostResumesTheTransfer() throws Exception {
        // client a sends 4 MB to server; mid-transfer the server's connection moves from host b1 to
        // host b2 (same MAC and IP, the cable re-pointed): the stream must arrive intact.
        Host a = client();
        Plug p1 = new Plug(link.b());
        Plug p2 = new Plug(link.b());
        p1.plugged = true;
        HostConfig serverConfig = HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2)
                .withStaticArp(Map.of(A_IP, A_MAC));
        Host b1 = sim.add(new Host(serverConfig, p1));
        Host b2 = sim.add(new Host(serverConfig, p2));
        long total = 4 << 20;
        StreamContent content = new StreamContent(5);
        long[] received = {0};
        long[] mismatch = {-1};
        boolean[] eof = {false};
        ConnectionHandler sink = new ConnectionHandler() {
            final UnsafeBuffer buf = new UnsafeBuffer(new byte[65536]);

            @Override
            public void onData(TcpConnection conn) {
                Host h = p1.plugged ? b1 : b2;
                int n;
                while ((n = conn.receive(buf, 0, buf.capacity(), h.now())) > 0) {
                    long m = content.firstMismatch(buf, 0, received[0], n);
                    if (m >= 0 && mismatch[0] < 0) {
                        mismatch[0] = m;
                    }
                    received[0] += n;
                }
                if (conn.isPeerClosed()) {
                    eof[0] = true;
                    conn.close(h.now());
                }
            }
        };
        TcpConnection[] serverConn = {null};
        b1.listen(9000, new ConnectionHandler() {
            @Override
            public void onAccepted(TcpConnection conn) {
                serverConn[0] = conn;
            }

            @Override
            public void onData(TcpConnection conn) {
                sink.onData(conn);
            }
        });
        ConnectionHandler source = new ContentSender(a, content, total);
        sim.runUntil(Long.MAX_VALUE, () -> a.stats().txFrames() > 0);
        a.connect(B_IP, 9000, source);
        sim.runUntil(sim.now() + 10 * S, () -> received[0] > total / 3);
        assertTrue(received[0] > total / 3 && received[0] < total, "mid-transfer: " + received[0]);

        TcpConnection old = serverConn[0];
        long framesBefore = p1.sent;
        assertTrue(b1.holds(old));
        assertFalse(b2.holds(old), "held by its own host only");
        assertTrue(b1.detach(old));
        assertFalse(b1.detach(old), "already gone");
        assertFalse(b1.holds(old));
        assertNull(b1.connection(A_IP, old.remotePort(), 9000));
        UnsafeBuffer snap = new UnsafeBuffer(new byte[old.snapshotSize()]);
        int n = old.snapshot(snap, 0, sim.now());
        // the origin goes quiet: no RST, no FIN, no retransmission, even with timers due
        p1.plugged = false;
        sim.runUntil(sim.now() + 5 * S, () -> false);
        assertEquals(framesBefore, p1.sent, "detach emitted nothing");

        TcpConnection restored = TcpConnection.restore(snap, 0, n, sim.now(), b2.sink());
        b2.attach(restored, sink);
        assertTrue(b2.holds(restored));
        p2.plugged = true;
        sim.runUntil(sim.now() + 600 * S, () -> eof[0] && a.connectionCount() == 0 && b2.connectionCount() == 0);
        assertEquals(total, received[0]);
        assertEquals(-1, mismatch[0]);
        assertTrue(eof[0]);
        assertEquals(1, b2.stats().connectionsAttached());
        assertEquals(1, b1.stats().connectionsDetached());
        assertEquals(0, b1.connectionCount());
        assertFalse(b2.holds(restored), "closed: out of the table");
    }

    @Test
    void segmentsOfADetachedConnectionAreResetUnlessIntercepted() {
        Host a = client();
        Host b = server();
        TcpConnection[] accepted = {null};
        b.listen(9100, new ConnectionHandler() {
            @Override
            public void onAccepted(TcpConnection conn) {
                accepted[0] = conn;
            }
        });
        boolean[] reset = {false};
        TcpConnection c = a.connect(B_IP, 9100, new ConnectionHandler() {
            @Override
            public void onClosed(TcpConnection conn, boolean wasReset) {
                reset[0] = wasReset;
            }
        });
        sim.runUntil(sim.now() + S, () -> accepted[0] != null && c.state() == TcpState.ESTABLISHED);
        TcpConnection moved = accepted[0];
        int port = c.localPort();
        assertTrue(b.detach(moved));
        // the migration layer's view: segments of the moved tuple are swallowed, not reset
        int[] swallowed = {0};
        b.migrationHook(new MigrationHook() {
            @Override
            public void onControl(DecodedFrame frame) {
            }

            @Override
            public boolean onUnmatchedSegment(DecodedFrame frame) {
                TcpSegment seg = frame.tcp;
                if (seg.srcIp == A_IP && seg.srcPort == port && seg.dstPort == 9100) {
                    swallowed[0]++;
                    return true;
                }
                return false;
            }
        });
        byte[] data = new byte[1000];
        c.send(new UnsafeBuffer(data), 0, data.length, a.now());
        sim.runUntil(sim.now() + 5 * S, () -> false);
        assertTrue(swallowed[0] >= 2, "original and retransmissions reached the handler: " + swallowed[0]);
        assertEquals(0, b.stats().tcpRstSent());
        assertEquals(TcpState.ESTABLISHED, c.state());
        // without the handler the host answers per RFC 9293 (the listener sees an ACK): RST
        b.migrationHook(null);
        sim.runUntil(sim.now() + 30 * S, () -> c.state() == TcpState.CLOSED);
        assertEquals(TcpState.CLOSED, c.state());
        assertTrue(reset[0]);
        assertTrue(b.stats().tcpRstSent() >= 1);
    }

    @Test
    void hundredsOfConcurrentConnectionsOpenEchoAndCloseCleanly() {
        // small initial tables so they must grow; all connections close at once at the end
        Host a = sim.add(new Host(HostConfig.of("a", A_MAC, A_IP, 24).withIsnSeed(1).withMaxConnections(8), link.a()));
        Host b = sim.add(new Host(HostConfig.of("b", B_MAC, B_IP, 24).withIsnSeed(2).withMaxConnections(8), link.b()));
        Echo echo = new Echo(b);
        b.listen(7, 1024, echo);
        int n = 300;
        int[] echoed = new int[n];
        int[] closedOk = {0};
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            TcpConnection c = a.connect(B_IP, 7, new ConnectionHandler() {
                final UnsafeBuffer buf = new UnsafeBuffer(new byte[64]);

                @Override
                public void onConnected(TcpConnection conn) {
                    buf.putInt(0, id);
                    conn.send(buf, 0, 4, a.now());
                }

                @Override
                public void onData(TcpConnection conn) {
                    if (conn.receive(buf, 0, 4, a.now()) == 4) {
                        echoed[id] = buf.getInt(0) == id ? 1 : -1;
                        conn.close(a.now());
                    }
                }

                @Override
                public void onClosed(TcpConnection conn, boolean reset) {
                    if (!reset) {
                        closedOk[0]++;
                    }
                }
            });
            assertTrue(ports.add(c.localPort()), "ephemeral ports are unique");
        }
        assertEquals(n, a.connectionCount());
        sim.runUntil(sim.now() + 300 * S, () -> closedOk[0] == n && a.connectionCount() == 0
                && b.connectionCount() == 0);
        assertEquals(n, echo.accepted);
        assertEquals(n, echo.closed);
        assertEquals(n, closedOk[0]);
        for (int i = 0; i < n; i++) {
            assertEquals(1, echoed[i], "connection " + i + " got its own bytes back");
        }
        assertEquals(0, a.connectionCount());
        assertEquals(0, b.connectionCount());
        assertEquals(n, a.stats().connectionsRemoved());
        // closed connections' rings went to the hosts' pools (kept up to a bound per size)
        assertTrue(a.bufferPool().available(4096) > 0 && b.bufferPool().available(4096) > 0);
    }

    @Test
    void newerSynEndsTimeWaitAndOpensANewConnection() {
        Host a = client();
        Host b = server();
        int[] accepted = {0};
        b.listen(7, new ConnectionHandler() {
            @Override
            public void onAccepted(TcpConnection conn) {
                accepted[0]++;
                conn.close(b.now()); // the server closes first: it keeps TIME_WAIT
            }
        });
        TcpConnection first = a.connect(B_IP, 7, new ConnectionHandler() {
            @Override
            public void onData(TcpConnection conn) {
                if (conn.isPeerClosed() && conn.state() == TcpState.CLOSE_WAIT) {
                    conn.close(a.now());
                }
            }
        });
        int port = first.localPort();
        sim.runUntil(sim.now() + 5 * S, () -> a.connectionCount() == 0);
        assertEquals(0, a.connectionCount());
        assertEquals(TcpState.TIME_WAIT, b.connection(A_IP, port, 7).state());

        // same four-tuple again, well within 2MSL
        int qd = q(a).socket();
        assertEquals(QueueError.OK, q(a).bind(qd, port));
        QResult r = await(a, q(a).connect(qd, B_IP, 7));
        assertTrue(r.ok(), r.toString());
        sim.runUntil(sim.now() + S, () -> accepted[0] == 2); // the server accepts on the third segment
        assertEquals(2, accepted[0]);
        assertEquals(1, b.stats().tcpTimeWaitReused());
    }
}
