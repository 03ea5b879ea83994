package io.capybara.mig;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.rack.RackSimulation;
import io.capybara.rack.StreamServerApp;
import io.capybara.sim.LinkProfile;
import io.capybara.sim.SimLink;
import io.capybara.sim.Simulator;
import io.capybara.sim.scenario.StreamContent;
import io.capybara.sim.scenario.StreamHash;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.tor.MigrationDirectory;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.TorSwitch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A small rack for focused tests: the switch, {@code n} servers with engines and
 * {@link StreamServerApp}s, one client host. Servers are 10.0.0.1.., the client 10.0.1.x.
 */
final class MiniRack {
    static final int PORT = RackSimulation.SERVER_PORT;
    final Simulator sim;
    final TorSwitch sw;
    final SimLink[] links;
    final Host[] servers;
    final MigrationEngine[] engines;
    final StreamServerApp[] apps;
    final MigratableApp[] migratable;
    final Host client;
    final List<Client> clients = new ArrayList<>();
    final long bytes;
    /** Targeted TCPMig faults on the receiving side of every port (none unless a test adds rules). */
    final FaultInjector faults;

    MiniRack(long seed, int n, long bytes, LinkProfile profile, UnaryOperator<SwitchConfig> switchConfig,
             UnaryOperator<MigrationConfig> migrationConfig) {
        this(seed, n, bytes, profile, switchConfig, migrationConfig, null);
    }

    /** @param appFactory the server application (null: a {@link StreamServerApp} of {@code bytes} each way) */
    MiniRack(long seed, int n, long bytes, LinkProfile profile, UnaryOperator<SwitchConfig> switchConfig,
             UnaryOperator<MigrationConfig> migrationConfig, java.util.function.Function<Host, MigratableApp> appFactory) {
        this(seed, n, bytes, profile, switchConfig, (i, c) -> migrationConfig.apply(c), appFactory, 4096,
                FrameChannel.DEFAULT_MTU_FRAME);
    }

    /**
     * @param perServer       server index and the default config -> that server's config
     * @param linkSlots       frames each link direction holds
     * @param linkFrameBytes  largest frame the links carry (9014 for jumbo frames)
     */
    MiniRack(long seed, int n, long bytes, LinkProfile profile, UnaryOperator<SwitchConfig> switchConfig,
             java.util.function.BiFunction<Integer, MigrationConfig, MigrationConfig> perServer,
             java.util.function.Function<Host, MigratableApp> appFactory, int linkSlots, int linkFrameBytes) {
        this(seed, n, bytes, profile, switchConfig, perServer, appFactory, linkSlots, linkFrameBytes, null);
    }

    /** @param metrics one instance all engines share, as in one process (null: each its own, timing nothing) */
    MiniRack(long seed, int n, long bytes, LinkProfile profile, UnaryOperator<SwitchConfig> switchConfig,
             java.util.function.BiFunction<Integer, MigrationConfig, MigrationConfig> perServer,
             java.util.function.Function<Host, MigratableApp> appFactory, int linkSlots, int linkFrameBytes,
             MigrationMetrics metrics) {
        this.bytes = bytes;
        sim = new Simulator(seed);
        faults = new FaultInjector(sim);
        int hosts = n + 1;
        links = new SimLink[hosts];
        FrameChannel[] ports = new FrameChannel[hosts];
        List<SwitchConfig.Host> hs = new ArrayList<>();
        Map<Integer, Long> arp = new HashMap<>();
        arp.put(RackSimulation.SWITCH_IP, RackSimulation.SWITCH_MAC);
        for (int i = 0; i < hosts; i++) {
            int h = i < n ? i : 16;
            // Bit flips only host -> switch: the switch forwards without verifying (as a real one
            // does), so a flip on each of two hops could cancel in the Internet checksum (same bit
            // column, opposite directions) and reach the application: a limit of TCP itself, not
            // a bug. One flip between any two checksum checks is something every check must catch.
            links[i] = sim.link("port" + i, profile, profile.withCorrupt(0), linkSlots, linkFrameBytes);
            ports[i] = faults.wrap(links[i].b(), FaultInjector.Where.SWITCH);
            hs.add(new SwitchConfig.Host(RackSimulation.ip(h), RackSimulation.mac(h), i, i < n));
            arp.put(RackSimulation.ip(h), RackSimulation.mac(h));
        }
        sw = sim.add(new TorSwitch(switchConfig.apply(SwitchConfig.of(RackSimulation.SWITCH_IP,
                RackSimulation.SWITCH_MAC, hs).withHeartbeatStale(5_000_000L)), ports));
        MigrationConfig mc = MigrationConfig.defaults(RackSimulation.SWITCH_IP).withHeartbeat(100_000);
        servers = new Host[n];
        engines = new MigrationEngine[n];
        apps = new StreamServerApp[n];
        migratable = new MigratableApp[n];
        for (int i = 0; i < n; i++) {
            Map<Integer, Long> a = new HashMap<>(arp);
            a.remove(RackSimulation.ip(i));
            servers[i] = sim.add(new Host(HostConfig.of("server" + i, RackSimulation.mac(i), RackSimulation.ip(i), 16)
                    .withTcp(RackSimulation.tcpConfig()).withIsnSeed(seed + i).withStaticArp(a),
                    faults.wrap(links[i].a(), FaultInjector.Where.SERVER)));
            MigratableApp app = appFactory == null ? new StreamServerApp(servers[i], seed, bytes, bytes)
                    : appFactory.apply(servers[i]);
            apps[i] = app instanceof StreamServerApp st ? st : null;
            migratable[i] = app;
            servers[i].listen(PORT, 128, app.handler());
            engines[i] = sim.add(new MigrationEngine(servers[i], perServer.apply(i, mc), app,
                    metrics != null ? metrics : MigrationMetrics.constant()));
        }
        Map<Integer, Long> a = new HashMap<>(arp);
        a.remove(RackSimulation.ip(16));
        client = sim.add(new Host(HostConfig.of("client", RackSimulation.mac(16), RackSimulation.ip(16), 16)
                .withTcp(RackSimulation.tcpConfig()).withIsnSeed(seed * 7).withStaticArp(a), links[n].a()));
        this.seed = seed;
        sim.add(faults);
    }

    private final long seed;

    static MiniRack of(long seed, int n, long bytes) {
        return new MiniRack(seed, n, bytes, link(), c -> c, c -> c);
    }

    /** 1 Gb/s, 2 us: a 4 MiB stream takes tens of milliseconds, long enough to move it around. */
    static LinkProfile link() {
        return LinkProfile.ideal(2_000).withBandwidth(1_000_000_000L);
    }

    /** Runs a few heartbeat periods so the switch knows every server is live. */
    MiniRack warm() {
        sim.runFor(300_000);
        return this;
    }

    Client connect(int server) {
        Client c = new Client();
        clients.add(c);
        c.conn = client.connect(RackSimulation.ip(server), PORT, c);
        return c;
    }

    boolean run(long nanos, BooleanSupplier done) {
        return sim.runUntil(sim.now() + nanos, done);
    }

    void runFor(long nanos) {
        sim.runFor(nanos);
    }

    /** The server index holding the server side of {@code c}, or -1; fails on more than one. */
    int holder(Client c) {
        return holder(c.conn.localIp(), c.conn.localPort());
    }

    int holder(int clientIp, int clientPort) {
        int h = -1;
        for (int i = 0; i < servers.length; i++) {
            if (servers[i].connection(clientIp, clientPort, PORT) != null) {
                if (h >= 0) {
                    throw new AssertionError("connection held by servers " + h + " and " + i);
                }
                h = i;
            }
        }
        return h;
    }

    TcpConnection serverSide(Client c) {
        int h = holder(c);
        return h < 0 ? null : servers[h].connection(c.conn.localIp(), c.conn.localPort(), PORT);
    }

    /** Where the switch sends the client's packets: directory entry or the original server. */
    int switchTarget(Client c) {
        int slot = sw.directory().find(c.conn.localIp(), c.conn.localPort());
        return slot == MigrationDirectory.NOT_FOUND ? sw.serverIndex(c.conn.remoteIp())
                : sw.directory().currentServer(slot);
    }

    boolean quiet() {
        for (MigrationEngine e : engines) {
            if (e.outgoing() != 0 || e.preparedSlots() != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Once every connection has closed: the servers' hashes of what their cleanly ended sessions
     * received equal the complete clients' hashes of what they sent (what the clients received
     * is checked by {@link Client#complete}).
     */
    String hashDisagreement() {
        long sessions = 0;
        long received = 0;
        for (StreamServerApp a : apps) {
            if (a != null) {
                sessions += a.cleanSessions;
                received += a.cleanReceivedHashSum;
            }
        }
        long complete = 0;
        long cSent = 0;
        for (Client c : clients) {
            if (c.complete()) {
                complete++;
                cSent += c.sentHash;
            }
        }
        if (sessions != complete) {
            return complete + " clients complete, " + sessions + " server sessions ended cleanly";
        }
        return received == cSent ? null : "stream hashes differ between what clients sent and servers received";
    }

    long sum(MigCounter counter) {
        long s = 0;
        for (MigrationEngine e : engines) {
            s += e.counter(counter);
        }
        return s;
    }

    /** A client connection that streams and verifies like the rack's; {@code close()} ends it early. */
    final class Client implements ConnectionHandler {
        final UnsafeBuffer chunk = new UnsafeBuffer(new byte[4096]);
        TcpConnection conn;
        StreamContent out;
        StreamContent in;
        long sent;
        long received;
        long sendLimit = Long.MAX_VALUE;
        /** When set the client does not read: the server's stream stalls on the window. */
        boolean paused;
        boolean mismatch;
        /** {@link StreamHash}es of what this client sent and received: the oracle beside firstMismatch. */
        long sentHash = StreamHash.EMPTY;
        long receivedHash = StreamHash.EMPTY;
        boolean eof;
        boolean closed;
        boolean reset;
        boolean closeIssued;

        @Override
        public void onConnected(TcpConnection c) {
            out = new StreamContent(StreamServerApp.streamSeed(seed, c.localIp(), c.localPort(), 2));
            in = new StreamContent(StreamServerApp.streamSeed(seed, c.localIp(), c.localPort(), 1));
            pump(c);
        }

        @Override
        public void onData(TcpConnection c) {
            if (paused) {
                return;
            }
            long now = client.now();
            while (true) {
                int n = c.receive(chunk, 0, chunk.capacity(), now);
                if (n <= 0) {
                    break;
                }
                if (!mismatch && (received + n > bytes || in.firstMismatch(chunk, 0, received, n) >= 0)) {
                    mismatch = true;
                }
                receivedHash = StreamHash.update(receivedHash, chunk, 0, n);
                received += n;
            }
            if (c.isPeerClosed()) {
                eof = true;
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (out != null) {
                pump(c);
            }
        }

        @Override
        public void onClosed(TcpConnection c, boolean wasReset) {
            closed = true;
            reset = wasReset;
        }

        void pump(TcpConnection c) {
            long now = client.now();
            long limit = Math.min(bytes, sendLimit);
            while (sent < limit && !closeIssued) {
                int n = (int) Math.min(Math.min(c.writableBytes(), chunk.capacity()), limit - sent);
                if (n <= 0) {
                    break;
                }
                out.fill(chunk, 0, sent, n);
                int accepted = c.send(chunk, 0, n, now);
                sentHash = StreamHash.update(sentHash, chunk, 0, accepted);
                sent += accepted;
                if (accepted < n) {
                    break;
                }
            }
            if (sent == bytes && !closeIssued) {
                close();
            }
        }

        /** Sends the FIN now (possibly before all bytes). */
        void close() {
            closeIssued = true;
            conn.close(client.now());
        }

        /** Aborts with a RST. */
        void abort() {
            closeIssued = true;
            conn.abort(client.now());
        }

        boolean established() {
            return conn.state() == TcpState.ESTABLISHED;
        }

        boolean complete() {
            return closed && !reset && !mismatch && eof && received == bytes && sent == bytes
                    && receivedHash == StreamHash.of(in, bytes);
        }

        @Override
        public String toString() {
            return conn + " sent=" + sent + " received=" + received + " eof=" + eof + " closed=" + closed + " reset="
                    + reset + " mismatch=" + mismatch;
        }
    }
}
