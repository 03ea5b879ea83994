package io.capybara.rack;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.Node;
import io.capybara.mig.MigCounter;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.sim.LinkProfile;
import io.capybara.sim.SimLink;
import io.capybara.sim.Simulator;
import io.capybara.sim.scenario.StreamContent;
import io.capybara.sim.scenario.StreamHash;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.tor.MigrationDirectory;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.SwitchCounter;
import io.capybara.tor.TorSwitch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A whole rack on the deterministic simulator: a {@link TorSwitch}, server hosts with
 * {@link MigrationEngine}s and a {@link StreamServerApp}, client hosts with many connections
 * streaming seeded content both ways. A driver migrates random live connections at a fixed
 * interval (the manual trigger) while the load policy sheds from the loaded servers, checks the
 * invariants as it goes (every live connection whole on exactly one server, the directory
 * agreeing) and, at the end, that every byte arrived, nothing leaked and the directory is empty.
 *
 * <p>In load-balancer mode ({@link RackOptions#vip}) clients connect to {@link #VIP}; the switch
 * places each connection and pins it with a directory entry; the last server's heartbeats are
 * held back on its switch port for the first quarter of the run and again for the third, so it
 * joins late, leaves the placement while still serving its connections, and rejoins. The same
 * invariants must hold: a membership change never moves or breaks a connection.
 */
public final class RackSimulation {
    public static final int SERVER_PORT = 80;
    public static final int SWITCH_IP = 0x0A0000FE; // 10.0.0.254
    public static final long SWITCH_MAC = 0x0200000000FEL;
    /** The virtual address of load-balancer mode: 10.0.0.100. */
    public static final int VIP = 0x0A000064;
    private static final int MAX_FAILURES = 10;
    private static final long PACE_NANOS = 250_000;

    private final RackOptions o;
    private final Simulator sim;
    private final TorSwitch sw;
    private final Host[] servers;
    private final MigrationEngine[] engines;
    private final StreamServerApp[] apps;
    private final Host[] clients;
    private final List<Slot> slots = new ArrayList<>();
    private final SplittableRandom random;
    private final Long2LongHashMap lastTriggered = new Long2LongHashMap(Long.MIN_VALUE);
    private final long cooldown;
    private final List<long[]> junk = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private long violations;
    private long checks;
    private long connections;
    private long clientAborted;
    private long mismatches;
    private long unexpectedResets;
    private long bytesVerified;
    private long nextTrigger;
    private final HeartbeatGate gate;
    /** Load-balancer mode: server 0 drains in the second quarter of the run and undrains in the fourth. */
    private final io.capybara.policy.Drain drain;
    /** One link per switch port: end A is the host, end B the switch. */
    private final SimLink[] links;
    private long drainStartedAt = -1;
    private long drainedAt = -1;

    private RackSimulation(RackOptions o) {
        this.o = o;
        this.random = new SplittableRandom(o.seed() * 0x9E3779B97F4A7C15L + 17);
        this.sim = new Simulator(o.seed() ^ 0x5DEECE66DL);
        boolean faulty = o.loss() > 0 || o.duplicate() > 0 || o.reorder() > 0 || o.corrupt() > 0;
        // the trigger never moves a connection again before every stale packet of its last move
        // is gone (the switch accepts ACKs statelessly): above the largest reorder delay
        // (queueing on loaded 10 Gb/s links delays control messages by up to a millisecond)
        this.cooldown = faulty ? 2_000_000L : 1_000_000L;
        // Bit flips on the hop into the switch only: every frame crosses exactly one such hop, so
        // a damaged frame carries exactly one flipped bit, which every checksum on its way
        // catches (IPv4, TCP, TCPMig's CRC32C). Flips on both hops could cancel in the Internet
        // checksum (see LinkProfile) and let a damaged segment through.
        LinkProfile toSwitch = new LinkProfile(10_000_000_000L, o.linkDelayNanos(), 0, o.loss(), o.duplicate(),
                o.reorder(), o.reorderDelayNanos(), o.corrupt());
        LinkProfile fromSwitch = toSwitch.withCorrupt(0);
        int n = o.servers();
        int hostCount = n + o.clientHosts();
        FrameChannel[] ports = new FrameChannel[hostCount];
        links = new SimLink[hostCount];
        List<SwitchConfig.Host> hosts = new ArrayList<>();
        Map<Integer, Long> arp = new HashMap<>();
        arp.put(SWITCH_IP, SWITCH_MAC);
        for (int i = 0; i < hostCount; i++) {
            links[i] = sim.link("port" + i, toSwitch, fromSwitch, 8192);
            ports[i] = links[i].b();
            if (o.vip() && i == n - 1) {
                ports[i] = new HeartbeatGate(ports[i]);
            }
            hosts.add(new SwitchConfig.Host(ip(i), mac(i), i, i < n));
            arp.put(ip(i), mac(i));
        }
        gate = o.vip() ? (HeartbeatGate) ports[n - 1] : null;
        SwitchConfig swConfig = SwitchConfig.of(SWITCH_IP, SWITCH_MAC, hosts).withLevels(o.directoryLevels())
                .withHeartbeatStale(50_000_000L);
        if (o.vip()) {
            // 30 missed heartbeats (of 100 us) and a server leaves the placement: short, so that
            // it leaves and rejoins within a run
            swConfig = swConfig.withVips(List.of(new SwitchConfig.Vip(VIP, SERVER_PORT))).withHeartbeatStale(3_000_000L);
        }
        sw = sim.add(new TorSwitch(swConfig, ports));
        TcpConfig tcp = tcpConfig();
        MigrationMetrics metrics = MigrationMetrics.constant();
        MigrationConfig mc = MigrationConfig.defaults(SWITCH_IP)
                .withPools(16, 48, 64, 96 * 1024, 1 << 20)
                .withTimeouts(1_000_000, 6, 1_000_000, 10, 1_000_000, 8, 200_000_000L)
                .withHeartbeat(o.policy() || o.vip() ? 100_000 : 0)
                .withPolicy(o.policy() ? 250_000 : 0, 6 * 64 * 1024, 4 * 64 * 1024, Math.max(cooldown, 1_000_000));
        servers = new Host[n];
        engines = new MigrationEngine[n];
        apps = new StreamServerApp[n];
        for (int i = 0; i < n; i++) {
            // SYN-ACKs on the fast config's 5 ms initial RTO, as patient as it is on lossy links
            servers[i] = new Host(HostConfig.of("server" + i, mac(i), ip(i), 16).withTcp(tcp)
                    .withListenLimits(256, 6, 0).withIsnSeed(o.seed() * 131 + i).withStaticArp(without(arp, ip(i))), links[i].a());
            apps[i] = new StreamServerApp(servers[i], o.seed(), o.bytesEachWay(), o.bytesEachWay());
            servers[i].listen(SERVER_PORT, 1024, apps[i]);
            engines[i] = new MigrationEngine(servers[i], mc, apps[i], metrics);
            sim.add(servers[i]);
            sim.add(engines[i]);
        }
        drain = o.vip() ? new io.capybara.policy.Drain(engines[0]) : null;
        if (drain != null) {
            sim.add(drain);
        }
        clients = new Host[o.clientHosts()];
        for (int c = 0; c < clients.length; c++) {
            int h = n + c;
            clients[c] = sim.add(new Host(HostConfig.of("client" + c, mac(h), ip(h), 16).withTcp(tcp)
                    .withIsnSeed(o.seed() * 977 + c).withStaticArp(without(arp, ip(h))), links[h].a()));
            for (int s = 0; s < o.slotsPerClient(); s++) {
                slots.add(new Slot(clients[c], slots.size()));
            }
        }
        fillDirectoryWithJunk();
        sim.add(new Driver());
    }

    /**
     * Runs one rack simulation whose invariant is checked after every simulator step (every
     * instant at which anything happened), mid-migration included: see {@link #checkStep}. Costs
     * a pass over the connections per step, so property tests use small racks.
     */
    public static RackResult runCheckingEveryStep(RackOptions options) {
        return runCheckingEveryStep(options, (sim, rack) -> { });
    }

    /**
     * As {@link #runCheckingEveryStep(RackOptions)}; {@code tamper} may register its own step hooks
     * (after the check's) to plant a violation, which the next step's check must report.
     */
    static RackResult runCheckingEveryStep(RackOptions options,
                                           java.util.function.BiConsumer<Simulator, RackSimulation> tamper) {
        RackSimulation r = new RackSimulation(options);
        r.sim.onStep(r::checkStep);
        tamper.accept(r.sim, r);
        return r.execute();
    }

    /** Runs one rack simulation. */
    public static RackResult run(RackOptions options) {
        return new RackSimulation(options).execute();
    }

    /** Runs seeds {@code base.seed()}, +1, ... ({@code ./capybara simulate --migrations --seeds N}). */
    public static java.util.List<RackResult> runSeeds(RackOptions base, int seeds) {
        java.util.List<RackResult> out = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            out.add(run(base.withSeed(base.seed() + i)));
        }
        return out;
    }

    public static int ip(int i) {
        return i < 16 ? 0x0A000001 + i : 0x0A000100 + (i - 16); // servers 10.0.0.x, clients 10.0.1.x
    }

    public static long mac(int i) {
        return 0x020000000001L + i;
    }

    private static Map<Integer, Long> without(Map<Integer, Long> m, int ip) {
        Map<Integer, Long> copy = new HashMap<>(m);
        copy.remove(ip);
        return copy;
    }

    /** TCP for the rack: small buffers (the state moves with every migration), fast timers; TIME_WAIT
     *  well above the peers' retransmission timeouts (2.5 x the 200 ms max RTO: a FIN resent after
     *  a lost one must still find TIME_WAIT) so a lost final ACK is answered, not reset;
     *  a FIN_WAIT_2 limit (a lost RST of a client abort). */
    public static TcpConfig tcpConfig() {
        TcpConfig d = TcpConfig.defaults();
        return new TcpConfig(1460, 16 * 1024, 16 * 1024, 2, true, true, false, 200_000, 5_000_000, 2_000_000,
                200_000_000, 40, 500_000_000, d.maxOutOfOrderSegments())
                // a client's abort is one RST; if a link loses it, a server in FIN_WAIT_2 would
                // wait forever: give up after 25 of the peers' largest RTOs of silence
                .withFinWait2(5_000_000_000L);
    }

    private void fillDirectoryWithJunk() {
        int count = (int) (o.directoryJunk() * MigrationDirectory.SLOTS_PER_LEVEL);
        SplittableRandom r = new SplittableRandom(o.seed() ^ 0xD1L);
        for (int i = 0; i < count; i++) {
            int ipJ = 0x0A630000 | r.nextInt(1 << 16); // 10.99.x.x: no such client
            int port = 1 + r.nextInt(65535);
            if (sw.directory().install(ipJ, port, 0, 1, 0) != MigrationDirectory.NOT_FOUND) {
                junk.add(new long[] {ipJ, port});
            }
        }
    }

    private RackResult execute() {
        boolean done;
        try {
            done = sim.runUntil(o.timeLimitNanos(), this::allSlotsFinished);
            if (!done) {
                fail("time limit: " + describeStuck());
            }
            // let TIME_WAIT, closing retransmissions (RTO backoff under loss), target hold and
            // abort timers run out, then look for leaks
            sim.runUntil(sim.now() + 60_000_000_000L, this::drained);
            sim.runUntil(sim.now() + 200_000_000L, () -> false);
        } catch (RuntimeException e) {
            fail("exception: " + e);
            StackTraceElement[] st = e.getStackTrace();
            for (int i = 0; i < Math.min(6, st.length); i++) {
                fail("  at " + st[i]);
            }
        }
        check();
        for (long[] j : junk) {
            int slot = sw.directory().find((int) j[0], (int) j[1]);
            if (slot != MigrationDirectory.NOT_FOUND) {
                sw.directory().remove(slot);
            }
        }
        long dirEntries = sw.directory().size();
        if (dirEntries != 0) {
            fail("directory holds " + dirEntries + " entries after every connection closed");
        }
        long leakedConnections = 0;
        long leakedBuffers = 0;
        long leakedMigrations = 0;
        for (int i = 0; i < servers.length; i++) {
            leakedConnections += servers[i].connectionCount();
            leakedBuffers += engines[i].preparedSlots();
            leakedMigrations += engines[i].outgoing();
        }
        for (Host c : clients) {
            leakedConnections += c.connectionCount();
        }
        if (leakedConnections + leakedBuffers + leakedMigrations != 0) {
            fail("leaks: connections=" + leakedConnections + " buffers=" + leakedBuffers + " migrations="
                    + leakedMigrations);
            for (int i = 0; i < servers.length; i++) {
                for (int j = 0; j < servers[i].connectionCount() && j < 3; j++) {
                    fail("left on server " + i + ": " + servers[i].connectionAt(j));
                }
            }
            for (Host c : clients) {
                for (int j = 0; j < c.connectionCount() && j < 3; j++) {
                    fail("left on " + c.name() + ": " + c.connectionAt(j));
                }
            }
        }
        checkHashes();
        long serverResets = 0;
        for (StreamServerApp a : apps) {
            mismatches += a.mismatches;
            bytesVerified += a.verifiedBytes;
            serverResets += a.resetsBeforeDone;
        }
        // a client abort resets the server side on purpose; any other reset is a failure
        if (serverResets > clientAborted) {
            fail("servers saw " + serverResets + " resets, clients aborted only " + clientAborted);
        }
        unexpectedResets = clientResets + Math.max(0, serverResets - clientAborted);
        if (mismatches > 0) {
            fail(mismatches + " content mismatches");
        }
        if (clientResets > 0) {
            fail(clientResets + " client connections were reset");
        }
        if (violations > 0) {
            fail(violations + " invariant violations");
        }
        Map<String, Long> causes = new LinkedHashMap<>();
        long[] sums = new long[MigCounter.values().length];
        for (MigrationEngine e : engines) {
            for (MigCounter c : MigCounter.values()) {
                sums[c.ordinal()] += e.counter(c);
            }
        }
        for (MigCounter c : MigCounter.values()) {
            causes.put(c.name().toLowerCase(java.util.Locale.ROOT), sums[c.ordinal()]);
        }
        for (SwitchCounter c : SwitchCounter.values()) {
            causes.put("switch_" + c.name().toLowerCase(java.util.Locale.ROOT), sw.counter(c));
        }
        long corruptedToSwitch = 0;
        long corruptedFromSwitch = 0;
        for (SimLink l : links) {
            corruptedToSwitch += l.stats(SimLink.A_TO_B).corrupted();
            corruptedFromSwitch += l.stats(SimLink.B_TO_A).corrupted();
        }
        causes.put("frames_corrupted_to_switch", corruptedToSwitch);
        causes.put("frames_corrupted_from_switch", corruptedFromSwitch);
        if (drain != null) {
            causes.put("drain_migrations_started", drain.started());
            causes.put("drain_completed", drainedAt >= 0 ? 1L : 0L);
            causes.put("drain_micros", drainedAt >= 0 ? (drainedAt - drainStartedAt) / 1000 : -1L);
        }
        long aborted = sums[MigCounter.ABORTED_PREPARE_TIMEOUT.ordinal()] + sums[MigCounter.ABORTED_TARGET_DEAD.ordinal()]
                + sums[MigCounter.ABORTED_STATE_REFUSED.ordinal()]
                + sums[MigCounter.ABORTED_CONNECTION_GONE.ordinal()]
                + sums[MigCounter.ABORTED_SNAPSHOT_TOO_LARGE.ordinal()];
        long rejected = sums[MigCounter.REJECTED_NO_TARGET.ordinal()]
                + sums[MigCounter.REJECTED_DIRECTORY_FULL.ordinal()] + sums[MigCounter.REJECTED_TARGET_BUSY.ordinal()];
        return new RackResult(o, failures.isEmpty(), sums[MigCounter.STARTED.ordinal()],
                sums[MigCounter.COMPLETED.ordinal()], aborted, rejected, sums[MigCounter.POLICY_DECISIONS.ordinal()],
                violations, checks, connections, clientAborted, bytesVerified + clientBytes, mismatches,
                unexpectedResets, dirEntries, leakedConnections, leakedBuffers, leakedMigrations, sim.now(),
                sim.traceHash(), causes, List.copyOf(failures));
    }

    private long clientResets;
    private long clientBytes;
    private long cleanClients;
    private long cleanClientSentHashSum;

    /**
     * The byte oracle that does not use {@link StreamContent#firstMismatch}: every connection that
     * ended cleanly hashed what its client sent and what its server received ({@link StreamHash});
     * the sums over clients and servers must agree (what clients received is hashed against the
     * server's stream in {@code Slot.advance}).
     */
    private void checkHashes() {
        long sessions = 0;
        long received = 0;
        for (StreamServerApp a : apps) {
            sessions += a.cleanSessions;
            received += a.cleanReceivedHashSum;
        }
        if (sessions != cleanClients) {
            fail("byte oracle: " + cleanClients + " connections ended cleanly at the clients, " + sessions
                    + " at the servers");
        } else if (received != cleanClientSentHashSum) {
            mismatches++;
            fail("byte oracle: the hashes of what the servers received differ from what the clients sent");
        }
    }

    private void fail(String msg) {
        if (failures.size() < MAX_FAILURES) {
            failures.add(msg);
        }
    }

    private boolean drained() {
        for (int i = 0; i < servers.length; i++) {
            if (servers[i].connectionCount() != 0 || engines[i].outgoing() != 0 || engines[i].preparedSlots() != 0) {
                return false;
            }
        }
        for (Host c : clients) {
            if (c.connectionCount() != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean allSlotsFinished() {
        for (Slot s : slots) {
            if (!s.finished) {
                return false;
            }
        }
        return true;
    }

    private String describeStuck() {
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (Slot s : slots) {
            if (!s.finished && shown++ < 3) {
                sb.append(" slot").append(s.index).append('{').append(s.conn).append('}');
            }
        }
        return sb.toString();
    }

    private long migrationsStarted() {
        long n = 0;
        for (MigrationEngine e : engines) {
            n += e.counter(MigCounter.STARTED);
        }
        return n;
    }

    /**
     * The manual trigger: the first eligible connection (not closing, not cooling down) from a
     * random position of a random server's table (tables fill with TIME_WAIT connections).
     */
    private void trigger() {
        long now = sim.now();
        int first = random.nextInt(servers.length);
        for (int k = 0; k < servers.length; k++) {
            int s = (first + k) % servers.length;
            Host h = servers[s];
            int n = h.connectionCount();
            int start = n == 0 ? 0 : random.nextInt(n);
            for (int j = 0; j < n; j++) {
                TcpConnection c = h.connectionAt((start + j) % n);
                long key = MigrationEngine.connKey(c.remoteIp(), c.remotePort(), c.localPort());
                if (!MigrationEngine.eligible(c) || lastTriggered.get(key) + cooldown > now
                        || engines[s].isMigrating(c.remoteIp(), c.remotePort(), c.localPort())) {
                    continue;
                }
                if (engines[s].migrate(c) >= 0) {
                    lastTriggered.put(key, now);
                    return;
                }
                break; // this server runs as many migrations as it may
            }
        }
    }

    /** Every live client connection is whole on exactly one server and the directory agrees. */
    private void check() {
        for (Slot slot : slots) {
            ClientConn cc = slot.conn;
            if (cc == null || cc.conn == null || cc.conn.state() != TcpState.ESTABLISHED) {
                continue;
            }
            int clientIp = cc.conn.localIp();
            int clientPort = cc.conn.localPort();
            boolean inFlight = false;
            int holders = 0;
            int holder = -1;
            for (int i = 0; i < servers.length; i++) {
                if (engines[i].isMigrating(clientIp, clientPort, SERVER_PORT)
                        || engines[i].isPreparedFor(clientIp, clientPort, SERVER_PORT)) {
                    inFlight = true;
                }
                if (servers[i].connection(clientIp, clientPort, SERVER_PORT) != null) {
                    holders++;
                    holder = i;
                }
            }
            if (inFlight) {
                continue;
            }
            checks++;
            if (holders != 1) {
                violation("connection " + cc + " held by " + holders + " servers");
                continue;
            }
            int original = sw.serverIndex(cc.conn.remoteIp());
            int slotIndex = sw.directory().find(clientIp, clientPort);
            if (original < 0 && slotIndex == MigrationDirectory.NOT_FOUND) {
                // a VIP connection without an entry (the directory was full at its SYN): its bucket's
                original = sw.placement().untrackedServer(io.capybara.tor.MaglevTable.connectionHash(clientIp, clientPort));
            }
            int current = slotIndex == MigrationDirectory.NOT_FOUND ? original : sw.directory().currentServer(slotIndex);
            if (current != holder) {
                violation("connection " + cc + " at server " + holder + " but the switch sends it to " + current);
            }
        }
    }

    /**
     * The invariant at every step, mid-migration included. For each client connection:
     * <ul>
     * <li>no byte delivered twice or out of place: the client never holds more than the stream,
     *     and every byte it read was the stream's byte at that position;</li>
     * <li>while the client is ESTABLISHED, exactly one owner: one server holds it, or none does
     *     and its state is in flight (the origin is migrating it);</li>
     * <li>the switch agrees with the phase: outside a migration it sends the connection to its
     *     holder; during one, to some server (a target may not have prepared yet, or may have
     *     died: the origin's timeout and ABORT repair that).</li>
     * </ul>
     */
    void checkStep() {
        for (Slot slot : slots) {
            ClientConn cc = slot.conn;
            if (cc == null || cc.conn == null || cc.flagged) {
                continue;
            }
            if (cc.received > o.bytesEachWay() || cc.mismatch) {
                cc.flagged = true;
                violation("connection " + cc + " got bytes twice or out of place");
                continue;
            }
            if (cc.conn.state() != TcpState.ESTABLISHED) {
                continue;
            }
            int clientIp = cc.conn.localIp();
            int clientPort = cc.conn.localPort();
            int holders = 0;
            int holder = -1;
            int migrating = 0; // bit set of servers with a part in a migration of this connection
            for (int i = 0; i < servers.length; i++) {
                if (engines[i].isMigrating(clientIp, clientPort, SERVER_PORT)
                        || engines[i].isPreparedFor(clientIp, clientPort, SERVER_PORT)) {
                    migrating |= 1 << i;
                }
                if (servers[i].connection(clientIp, clientPort, SERVER_PORT) != null) {
                    holders++;
                    holder = i;
                }
            }
            checks++;
            boolean stateInFlight = holders == 0 && migrating != 0;
            if (holders + (stateInFlight ? 1 : 0) != 1) {
                violation("connection " + cc + " held by " + holders + " servers"
                        + (migrating != 0 ? " (migrating, servers " + Integer.toBinaryString(migrating) + ")" : ""));
                continue;
            }
            int original = sw.serverIndex(cc.conn.remoteIp());
            int slotIndex = sw.directory().find(clientIp, clientPort);
            int current = slotIndex == MigrationDirectory.NOT_FOUND ? original : sw.directory().currentServer(slotIndex);
            // mid-migration the switch may already point at a target that has not prepared yet,
            // or one that died (targets restart in faulty runs): only a server index is required
            boolean agrees = migrating == 0 ? current == holder : current >= 0 && current < servers.length;
            if (!agrees) {
                violation("connection " + cc + " at server " + holder + " but the switch sends it to " + current
                        + (migrating != 0 ? " mid-migration" : ""));
            }
        }
    }

    /** Test access for planting a violation: a server host, and the switch's directory. */
    Host server(int i) {
        return servers[i];
    }

    MigrationDirectory directory() {
        return sw.directory();
    }

    /** Client connections currently established, as (client IP, client port) pairs. */
    List<int[]> establishedClients() {
        List<int[]> out = new ArrayList<>();
        for (Slot s : slots) {
            if (s.conn != null && s.conn.conn != null && s.conn.conn.state() == TcpState.ESTABLISHED) {
                out.add(new int[] {s.conn.conn.localIp(), s.conn.conn.localPort()});
            }
        }
        return out;
    }

    /** True while some engine migrates or has prepared for this client's connection. */
    boolean migrating(int clientIp, int clientPort) {
        for (MigrationEngine e : engines) {
            if (e.isMigrating(clientIp, clientPort, SERVER_PORT) || e.isPreparedFor(clientIp, clientPort, SERVER_PORT)) {
                return true;
            }
        }
        return false;
    }

    int serverCount() {
        return servers.length;
    }

    private void violation(String msg) {
        violations++;
        fail("t=" + sim.now() + " " + msg);
    }

    /** Opens connections, triggers migrations, checks invariants. */
    private final class Driver implements Node {
        private boolean started;
        private long nextCheck;
        private long nextPace;
        private int restarts;

        @Override
        public int poll(long nowNanos) {
            int work = 0;
            if (!started) {
                started = true;
                for (Slot s : slots) {
                    s.open();
                }
                nextTrigger = nowNanos + o.triggerIntervalNanos();
                work++;
            }
            if (nowNanos >= nextTrigger) {
                for (Slot s : slots) {
                    work += s.advance(); // finished connections are replaced at the next tick
                }
            }
            if (o.paceBytesPerMs() > 0 && nowNanos >= nextPace) {
                nextPace = nowNanos + PACE_NANOS;
                long budget = Math.max(1, o.paceBytesPerMs() * PACE_NANOS / 1_000_000);
                for (Slot s : slots) {
                    if (s.conn != null) {
                        work += s.conn.pace(budget);
                    }
                }
            }
            if (nowNanos >= nextTrigger) {
                nextTrigger = nowNanos + o.triggerIntervalNanos();
                long started = migrationsStarted();
                if (gate != null) {
                    // the last server: silent for the first quarter and the third quarter of the run
                    long q = started * 4 / Math.max(1, o.migrations());
                    gate.closed = q == 0 || q == 2;
                    // server 0 drains (at most 20,000 migrations/s) from the second quarter on,
                    // until it has nothing left, and undrains in the fourth
                    if (q == 1 && drainStartedAt < 0) {
                        drainStartedAt = nowNanos;
                        drain.start(20_000, nowNanos);
                    }
                    if (drain.isDraining() && drainedAt < 0 && drain.drained()) {
                        drainedAt = nowNanos;
                    }
                    if (q >= 3 && drain.isDraining() && drainedAt >= 0) {
                        drain.stop();
                    }
                }
                if (started < o.migrations()) {
                    trigger();
                }
                if (restarts < o.targetRestarts() && started >= (restarts + 1) * o.migrations() / (o.targetRestarts() + 1L)) {
                    // a target side dies: whatever it had prepared or half-received is gone
                    restarts++;
                    engines[random.nextInt(engines.length)].restartTargetSide();
                }
                if (nowNanos >= nextCheck) {
                    nextCheck = nowNanos + 20 * o.triggerIntervalNanos();
                    check();
                }
            }
            return work;
        }

        @Override
        public long nextDeadline() {
            if (!(migrationsStarted() < o.migrations() || !allSlotsFinished())) {
                return Long.MAX_VALUE;
            }
            return o.paceBytesPerMs() > 0 ? Math.min(nextTrigger, nextPace) : nextTrigger;
        }
    }

    /** One client connection position: reopened until enough migrations have started. */
    private final class Slot {
        final Host host;
        final int index;
        ClientConn conn;
        boolean finished;

        Slot(Host host, int index) {
            this.host = host;
            this.index = index;
        }

        void open() {
            // skewed placement: half the connections on server 0, a third on 1, the rest on 2..
            int r = random.nextInt(6);
            int server = servers.length == 2 ? r % 2 : r < 3 ? 0 : r < 5 ? 1 : 2 + random.nextInt(servers.length - 2);
            int address = o.vip() ? VIP : ip(server); // with a VIP the switch places it
            long abortAt = random.nextDouble() < o.clientAbortFraction()
                    ? random.nextLong(Math.max(1, o.bytesEachWay())) : -1;
            conn = new ClientConn(host, abortAt);
            connections++;
            conn.conn = host.connect(address, SERVER_PORT, conn);
            if (conn.conn == null) {
                fail("no ephemeral port");
                finished = true;
            }
        }

        int advance() {
            if (finished || conn == null || !(conn.closed || conn.inTimeWait())) {
                return 0;
            }
            if (conn.mismatch) {
                mismatches++;
            }
            clientBytes += conn.received + conn.sent;
            if (!conn.aborted && !conn.reset && conn.eof && conn.received == o.bytesEachWay()
                    && conn.sent == o.bytesEachWay()) {
                cleanClients++;
                cleanClientSentHashSum += conn.sentHash;
                if (conn.receivedHash != StreamHash.of(conn.in, o.bytesEachWay())) {
                    mismatches++;
                    fail("byte oracle: what " + conn + " received hashes differently from the server's stream");
                }
            }
            if (conn.aborted) {
                clientAborted++;
            } else if (conn.reset) {
                clientResets++;
                fail("client connection reset: " + conn);
            } else if (conn.received != o.bytesEachWay() || !conn.eof) {
                fail("client connection ended early: " + conn);
            }
            if (migrationsStarted() < o.migrations()) {
                open();
            } else {
                finished = true;
            }
            return 1;
        }
    }

    /**
     * A server's switch port that can hold back its HEARTBEATs (the switch then sees it as
     * silent), everything else passing: membership changes without the server going away.
     */
    private static final class HeartbeatGate extends io.capybara.io.ForwardingChannel {
        private final io.capybara.io.FrameHandler[] target = new io.capybara.io.FrameHandler[1];
        private final io.capybara.io.FrameHandler filter;
        boolean closed;
        long held;

        HeartbeatGate(FrameChannel inner) {
            super(inner);
            this.filter = (b, off, len) -> {
                if (closed && isHeartbeat(b, off, len)) {
                    held++;
                    return;
                }
                target[0].onFrame(b, off, len);
            };
        }

        private final io.capybara.wire.TcpMigHeader mig = new io.capybara.wire.TcpMigHeader();

        private boolean isHeartbeat(org.agrona.MutableDirectBuffer b, int off, int len) {
            return mig.wrapFrame(b, off, len) && mig.type() == io.capybara.wire.TcpMigHeader.HEARTBEAT;
        }

        @Override
        public int poll(io.capybara.io.FrameHandler handler, int limit) {
            target[0] = handler;
            return inner.poll(filter, limit);
        }

        @Override
        public String name() {
            return inner.name() + "+heartbeat-gate";
        }
    }

    /** The client side of one connection: sends its stream, checks the server's, then closes. */
    private final class ClientConn implements ConnectionHandler {
        final Host host;
        final long abortAt;
        final UnsafeBuffer chunk = new UnsafeBuffer(new byte[StreamServerApp.CHUNK]);
        StreamContent out;
        StreamContent in;
        TcpConnection conn;
        long sent;
        long received;
        boolean closeIssued;
        boolean eof;
        boolean closed;
        boolean reset;
        boolean aborted;
        boolean mismatch;
        /** The step check reported this connection's bytes already. */
        boolean flagged;
        long sentHash = StreamHash.EMPTY;
        long receivedHash = StreamHash.EMPTY;
        long sendBudget;
        long readBudget;

        ClientConn(Host host, long abortAt) {
            this.host = host;
            this.abortAt = abortAt;
            boolean paced = o.paceBytesPerMs() > 0;
            sendBudget = paced ? 0 : Long.MAX_VALUE;
            readBudget = paced ? 0 : Long.MAX_VALUE;
        }

        /** A new pacing period: fresh budgets, then send and read what they allow. */
        int pace(long budget) {
            if (conn == null || out == null || closed) {
                return 0;
            }
            sendBudget = budget;
            readBudget = budget;
            pump(conn);
            drain(conn);
            return 0;
        }

        @Override
        public void onConnected(TcpConnection c) {
            out = new StreamContent(StreamServerApp.streamSeed(o.seed(), c.localIp(), c.localPort(), 2));
            in = new StreamContent(StreamServerApp.streamSeed(o.seed(), c.localIp(), c.localPort(), 1));
            pump(c);
            drain(c);
        }

        @Override
        public void onData(TcpConnection c) {
            if (in != null) {
                drain(c);
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

        private void pump(TcpConnection c) {
            long now = host.now();
            while (sent < o.bytesEachWay() && !aborted) {
                int n = (int) Math.min(Math.min(Math.min(c.writableBytes(), chunk.capacity()), o.bytesEachWay() - sent),
                        sendBudget);
                if (n <= 0) {
                    break;
                }
                out.fill(chunk, 0, sent, n);
                int accepted = c.send(chunk, 0, n, now);
                sentHash = StreamHash.update(sentHash, chunk, 0, accepted);
                sent += accepted;
                sendBudget -= accepted;
                if (abortAt >= 0 && sent >= abortAt) {
                    aborted = true;
                    c.abort(now);
                    return;
                }
                if (accepted < n) {
                    break;
                }
            }
            if (sent == o.bytesEachWay() && !closeIssued && !aborted) {
                closeIssued = true;
                c.close(now);
            }
        }

        private void drain(TcpConnection c) {
            long now = host.now();
            TcpState st = c.state();
            // once the server's FIN is in, read everything: TIME_WAIT must not end with bytes unread
            boolean finIn = st == TcpState.TIME_WAIT || st == TcpState.CLOSE_WAIT || st == TcpState.LAST_ACK
                    || st == TcpState.CLOSING || st == TcpState.CLOSED;
            while (!aborted && (readBudget > 0 || finIn)) {
                int n = c.receive(chunk, 0, (int) Math.min(chunk.capacity(), finIn ? chunk.capacity() : readBudget), now);
                if (n <= 0) {
                    break;
                }
                readBudget -= n;
                if (!mismatch && (received + n > o.bytesEachWay() || in.firstMismatch(chunk, 0, received, n) >= 0)) {
                    mismatch = true;
                }
                receivedHash = StreamHash.update(receivedHash, chunk, 0, n);
                received += n;
            }
            if (c.isPeerClosed()) {
                eof = true;
            }
        }

        /** Both streams done and our FIN acknowledged: the slot may open its next connection. */
        boolean inTimeWait() {
            return conn != null && conn.state() == TcpState.TIME_WAIT && eof && received == o.bytesEachWay();
        }

        @Override
        public String toString() {
            return (conn == null ? "?" : io.capybara.wire.Ipv4Address.format(conn.localIp()) + ":" + conn.localPort()
                    + "->" + io.capybara.wire.Ipv4Address.format(conn.remoteIp()) + " " + conn.state()) + " sent=" + sent
                    + " received=" + received + " eof=" + eof + " closed=" + closed + " reset=" + reset + " aborted="
                    + aborted;
        }
    }
}
