package io.capybara.demo;

import io.capybara.app.ArrivalSchedule;
import io.capybara.app.HttpServerConfig;
import io.capybara.app.OpenLoopSchedule;
import io.capybara.app.ZipfSkew;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.mig.MigCounter;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.mig.MigrationStep;
import io.capybara.policy.PolicyKind;
import io.capybara.policy.ProactiveConfig;
import io.capybara.policy.ProactivePolicy;
import io.capybara.sim.LinkProfile;
import io.capybara.sim.SimLink;
import io.capybara.sim.Simulator;
import io.capybara.tcp.TcpConfig;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.SwitchCounter;
import io.capybara.tor.TorSwitch;
import io.capybara.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.HdrHistogram.Histogram;

/**
 * The rack of the paper's 150-client experiment, in one process on the deterministic
 * {@link Simulator}: a {@link TorSwitch}, {@code servers} {@link ServerNode}s and one client
 * host ({@link ClientNode}) with {@code connections} open-loop HTTP connections, every host on
 * its own {@link SimLink} to the switch. Everything runs in VIRTUAL time: each server is a
 * single core whose request service time is virtual busy time ({@link VirtualCpu}), so queueing
 * latency is what an idle-free core would produce, independent of how fast or loaded this
 * machine is, and the same options give the same numbers.
 *
 * <p>Placement is static: connection {@code i} (Zipf rank {@code i}, 0 hottest) goes to server
 * {@code i * servers / connections}, so the hottest block lands on server 0, which a skewed load
 * overloads while the rack as a whole has capacity. With migration on, every server runs a
 * {@link MigrationEngine} whose policy sheds its busiest connections while its backlog (queued
 * work, in microseconds) is above {@code highBacklogMicros} until it falls below
 * {@code lowBacklogMicros}; the switch steers each to the least-loaded server from HEARTBEATs.
 *
 * <p>One phase: connect everything, run the arrival schedule for {@code durationNanos}, then
 * drain until every request is answered (or a generous cap passes, after which what is still
 * outstanding counts as errors).
 */
public final class DemoRack {
    /** Where the rack is after each report interval of virtual time. */
    public record Progress(boolean migrating, long virtualNanos, long scheduleElapsedNanos, long scheduleNanos,
                           long completed, long windowP99Nanos, long migrations, long[] servedPerServer,
                           long[] busyNanosPerServer) {
    }

    /**
     * What a run may change beyond {@link DemoOptions}: where each connection goes (null: the
     * options' rank blocks), the load's shape (null: Zipf at a fixed rate) and the migration
     * policy (with migration on; null: the engines' reactive policy as the options set it).
     */
    public record Scenario(java.util.function.IntUnaryOperator placement, LoadShape load, PolicyKind policy,
                           ProactiveConfig proactive) {
        public static Scenario standard() {
            return new Scenario(null, null, null, null);
        }
    }

    /** A load other than the options' fixed-rate Zipf (a step, say). */
    public interface LoadShape {
        ArrivalSchedule schedule(long startNanos, long seed);

        /** Requests connection {@code i} is expected to get over the run: sizes its client buffers. */
        double expectedRequests(int connection);
    }

    /** Receives {@link Progress} every {@link #REPORT_NANOS} of virtual time. */
    public interface ProgressListener {
        void update(Progress p);
    }

    static final int SWITCH_IP = Ipv4Address.parse("10.0.0.254");
    static final long SWITCH_MAC = 0x02_00_00_00_00_FEL;
    static final int CLIENT_IP = Ipv4Address.parse("10.0.0.100");
    static final long CLIENT_MAC = 0x02_00_00_00_01_00L;
    static final int HTTP_PORT = 80;
    /** Virtual time between progress reports (and checks for the end of the drain). */
    static final long REPORT_NANOS = 10_000_000L;
    private static final long SLICE_NANOS = 1_000_000L;
    private static final long CONNECT_TIMEOUT_NANOS = 1_000_000_000L;
    private static final long DRAIN_CAP_NANOS = 60_000_000_000L;
    private static final int LINK_SLOTS = 8192;
    private static final int TCP_BUFFER = 64 * 1024;
    /** Requests parsed ahead per connection; beyond, TCP flow control holds the client back. */
    private static final int MAX_PIPELINED = 1024;
    private static final long LINK_BPS = 100_000_000_000L;

    private final DemoOptions options;
    private final boolean migration;
    private final Simulator sim;
    private final TorSwitch tor;
    private final ServerNode[] servers;
    private final ClientNode client;
    private final MigrationMetrics metricsHolder;
    private final Histogram blackout = new Histogram(60_000_000_000L, 3);
    private final Scenario scenario;

    private DemoRack(DemoOptions o, boolean migration, UnaryOperator<MigrationConfig> engineConfig, Scenario scenario) {
        this.options = o;
        this.scenario = scenario;
        this.migration = migration;
        this.sim = new Simulator(o.seed());
        int n = o.servers();
        int[] serverIp = new int[n];
        long[] serverMac = new long[n];
        Map<Integer, Long> arp = new HashMap<>();
        List<SwitchConfig.Host> hosts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            serverIp[i] = SWITCH_IP - 253 + i; // 10.0.0.1 ...
            serverMac[i] = 0x02_00_00_00_00_01L + i;
            arp.put(serverIp[i], serverMac[i]);
            hosts.add(new SwitchConfig.Host(serverIp[i], serverMac[i], i, true));
        }
        arp.put(CLIENT_IP, CLIENT_MAC);
        arp.put(SWITCH_IP, SWITCH_MAC);
        hosts.add(new SwitchConfig.Host(CLIENT_IP, CLIENT_MAC, n, false));

        LinkProfile cable = LinkProfile.ideal(o.linkDelayNanos()).withBandwidth(LINK_BPS);
        FrameChannel[] ports = new FrameChannel[n + 1];
        SimLink clientLink = sim.link("client", cable, cable, LINK_SLOTS);
        ports[n] = clientLink.b();
        SimLink[] serverLinks = new SimLink[n];
        for (int i = 0; i < n; i++) {
            serverLinks[i] = sim.link("server" + i, cable, cable, LINK_SLOTS);
            ports[i] = serverLinks[i].b();
        }

        // client
        ZipfSkew skew = new ZipfSkew(o.connections(), o.skew());
        double seconds = o.durationNanos() / 1e9;
        int[] maxOutstanding = new int[o.connections()];
        for (int i = 0; i < maxOutstanding.length; i++) {
            // room for every request the connection can get, so an overloaded server slows
            // answers down but never makes the client drop a request
            double expected = scenario.load() != null ? scenario.load().expectedRequests(i)
                    : skew.probability(i) * o.requestsPerSecond() * seconds;
            maxOutstanding[i] = (int) Math.min(1 << 20, Math.ceil(expected * 1.5 + 6 * Math.sqrt(expected)) + 256);
        }
        PeekingChannel clientRx = new PeekingChannel(clientLink.a());
        Host clientHost = new Host(hostConfig("client", CLIENT_MAC, CLIENT_IP, arp, o.seed() * 31 + 7), clientRx);
        this.client = new ClientNode(clientHost, clientRx, Ipv4Address.format(serverIp[0]), maxOutstanding, o.responseBytes());

        // switch
        this.tor = new TorSwitch(SwitchConfig.of(SWITCH_IP, SWITCH_MAC, hosts), ports);

        // servers
        // no head clock: an open-loop connection may rightly stay silent for the whole run
        HttpServerConfig http = HttpServerConfig.defaults().withServiceTimeMicros(o.serviceMicros())
                .withMaxPipelined(MAX_PIPELINED).withHeaderTimeoutNanos(0);
        this.servers = new ServerNode[n];
        // Steps are timed on this JVM's clock (their real cost); the blackout in virtual time
        // from the wire (see CpuGatedChannel), as the engine's own would be wall time here.
        MigrationMetrics shared = new MigrationMetrics(System::nanoTime);
        for (int i = 0; i < n; i++) {
            VirtualCpu cpu = new VirtualCpu();
            PeekingChannel rx = new PeekingChannel(serverLinks[i].a());
            CpuGatedChannel nic = new CpuGatedChannel(rx, cpu);
            Host h = new Host(hostConfig("server" + i, serverMac[i], serverIp[i], arp, o.seed() * 131 + i), nic);
            CpuServing app = new CpuServing(http, cpu,
                    o.originCpuNanos() + o.extraMigrationDelayMicros() * 1000, o.targetCpuNanos(), blackout);
            h.listen(HTTP_PORT, Math.max(128, o.connections()), app.handler()); // every client connects at once
            ServerNode node = new ServerNode(i, h, app, cpu, nic, rx, o.serviceMicros() * 1000,
                    o.seed() * 1_000_003 + i);
            if (migration) {
                MigrationConfig mc = engineConfig.apply(migrationConfig(o));
                if (scenario.policy() == PolicyKind.PROACTIVE) {
                    mc = mc.withPolicy(0, Long.MAX_VALUE, Long.MAX_VALUE, mc.cooldownNanos()); // its own policy off
                }
                MigrationEngine engine = new MigrationEngine(h, mc, app, shared);
                node.engine(engine);
                nic.watchPrepareAcks(app);
                if (scenario.policy() == PolicyKind.PROACTIVE) {
                    final int self = i;
                    // The rack as the switch knows it from HEARTBEATs: the least load of the others.
                    ProactivePolicy p = new ProactivePolicy(engine, scenario.proactive() == null
                            ? ProactiveConfig.defaults() : scenario.proactive(), () -> leastOtherLoad(self));
                    engine.loadMetric(p::load);
                    node.policy(p);
                }
            }
            servers[i] = node;
        }
        // Poll order: client, switch, servers (fixed, so runs repeat exactly).
        sim.add(client);
        sim.add(tor);
        for (ServerNode s : servers) {
            sim.add(s);
        }
        for (int i = 0; i < o.connections(); i++) {
            int home = scenario.placement() != null ? scenario.placement().applyAsInt(i) : o.homeServer(i);
            client.connect(i, serverIp[home], HTTP_PORT);
        }
        this.metricsHolder = shared;
    }

    private long leastOtherLoad(int self) {
        long least = Long.MAX_VALUE;
        long now = sim.now();
        for (int s = 0; s < servers.length; s++) {
            if (s != self && tor.loads().isLive(s, now) && !tor.loads().isDraining(s)) {
                least = Math.min(least, tor.loads().load(s));
            }
        }
        return least;
    }

    /**
     * The engines' settings. Their control timeouts (200 us by default) must outlast the longest
     * time a peer's core can be busy: a server stalled by the injected delay answers nothing
     * meanwhile, and a timeout shorter than the stall only produces resends and aborts.
     */
    public static MigrationConfig migrationConfig(DemoOptions o) {
        MigrationConfig d = MigrationConfig.defaults(SWITCH_IP);
        long stall = 2 * (o.extraMigrationDelayMicros() * 1000 + o.originCpuNanos() + o.serviceMicros() * 1000);
        long prepare = Math.max(d.prepareTimeoutNanos(), stall + 200_000);
        long state = Math.max(d.stateTimeoutNanos(), stall + 200_000);
        long abort = Math.max(d.abortTimeoutNanos(), stall + 200_000);
        long hold = Math.max(d.targetHoldNanos(), 40 * state);
        return d.withTimeouts(prepare, d.prepareRetries(), state, d.stateRetries(), abort, d.abortRetries(), hold)
                .withHeartbeat(o.heartbeatNanos())
                .withPolicy(policyInterval(o), highBacklog(o), lowBacklog(o), o.cooldownNanos());
    }

    /*
     * An injected per-migration delay D stalls the origin for D, and the queue that builds
     * meanwhile is about D of work: a policy that counted it would shed again at once, each shed
     * stalling it again (a migration storm). So with a delay the policy looks less often and its
     * marks sit D (low) and 2 D (high) higher: only load beyond what its own migrations cause
     * makes a server shed.
     */
    static long policyInterval(DemoOptions o) {
        return Math.max(o.policyIntervalNanos(), 4 * o.extraMigrationDelayMicros() * 1000);
    }

    static long highBacklog(DemoOptions o) {
        return o.policyEnabled() ? o.highBacklogMicros() + 2 * o.extraMigrationDelayMicros() : Long.MAX_VALUE;
    }

    static long lowBacklog(DemoOptions o) {
        return o.policyEnabled() ? o.lowBacklogMicros() + o.extraMigrationDelayMicros() : Long.MAX_VALUE;
    }

    private static HostConfig hostConfig(String name, long mac, int ip, Map<Integer, Long> arp, long isnSeed) {
        Map<Integer, Long> others = new HashMap<>(arp);
        others.remove(ip);
        // 64 KiB socket buffers: ample for small pipelined requests, and a restore (which
        // allocates both rings) stays cheap
        return HostConfig.of(name, mac, ip, 24).withStaticArp(others).withIsnSeed(isnSeed)
                .withMaxConnections(1024).withTcp(TcpConfig.defaults().withBuffers(TCP_BUFFER, TCP_BUFFER));
    }

    /** Runs one phase without progress reports. */
    public static PhaseResult run(DemoOptions options, boolean migration) {
        return run(options, migration, null);
    }

    /** Runs one phase: static placement ({@code migration} false) or with the migration engines on. */
    public static PhaseResult run(DemoOptions options, boolean migration, ProgressListener progress) {
        return run(options, migration, progress, UnaryOperator.identity());
    }

    /**
     * As {@link #run(DemoOptions, boolean, ProgressListener)}, with the engines' configuration
     * (as {@link #migrationConfig} derives it from the options) passed through {@code engineConfig}
     * first: for experiments on timeouts, pools or policy beyond what {@link DemoOptions} holds.
     */
    public static PhaseResult run(DemoOptions options, boolean migration, ProgressListener progress,
                                  UnaryOperator<MigrationConfig> engineConfig) {
        return run(options, migration, progress, engineConfig, Scenario.standard());
    }

    /** As above, with another placement, load shape or policy ({@link Scenario}). */
    public static PhaseResult run(DemoOptions options, boolean migration, ProgressListener progress,
                                  UnaryOperator<MigrationConfig> engineConfig, Scenario scenario) {
        return new DemoRack(options, migration, engineConfig, scenario).execute(progress);
    }

    private PhaseResult execute(ProgressListener progress) {
        long wall0 = System.nanoTime();
        boolean connected = sim.runUntil(CONNECT_TIMEOUT_NANOS,
                () -> client.established() == options.connections());
        if (!connected) {
            throw new IllegalStateException("only " + client.established() + " of " + options.connections()
                    + " connections established");
        }
        long start = sim.now() + 10_000;
        long end = start + options.durationNanos();
        ArrivalSchedule schedule = scenario.load() != null ? scenario.load().schedule(start, options.seed() ^ 0x5DEECE66DL)
                : new OpenLoopSchedule(start, options.requestsPerSecond(),
                        new ZipfSkew(options.connections(), options.skew()), options.seed() ^ 0x5DEECE66DL);
        client.start(schedule, end);
        if (migration && options.manualMigrationsPerSecond() > 0) {
            long interval = Math.max(1, Math.round(1e9 * servers.length / options.manualMigrationsPerSecond()));
            for (ServerNode s : servers) {
                s.manualMigrations(start + interval * s.index() / servers.length + interval, interval);
            }
        }
        Histogram previous = new Histogram(client.recorder().histogram());
        long nextReport = start + REPORT_NANOS;
        long cap = end + DRAIN_CAP_NANOS;
        while (true) {
            long until = Math.min(sim.now() + SLICE_NANOS, cap);
            sim.runUntil(until, () -> false);
            long now = sim.now();
            if (now >= end) {
                for (ServerNode s : servers) {
                    s.stopManualMigrations();
                }
            }
            if (progress != null && now >= nextReport) {
                nextReport = now + REPORT_NANOS;
                Histogram current = client.recorder().histogram();
                Histogram window = current.copy();
                window.subtract(previous);
                previous = current.copy();
                progress.update(new Progress(migration, now, Math.min(now, end) - start, end - start,
                        client.recorder().completed(), window.getTotalCount() == 0 ? 0
                        : window.getValueAtPercentile(99), migrations(), served(), busy()));
            }
            if (client.isDone() || now >= cap) {
                break;
            }
        }
        // Whatever is still unanswered after the cap is an error, not a silent omission.
        for (int i = 0; i < options.connections(); i++) {
            if (client.load(i).outstanding() > 0) {
                client.load(i).fail(client.recorder());
            }
        }
        return result(end - start, Math.max(end, client.lastResponseNanos()) - start, System.nanoTime() - wall0);
    }

    private long[] served() {
        long[] v = new long[servers.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = servers[i].app().served();
        }
        return v;
    }

    private long[] busy() {
        long[] v = new long[servers.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = servers[i].cpu().busyNanos();
        }
        return v;
    }

    private long migrations() {
        long m = 0;
        for (ServerNode s : servers) {
            if (s.engine() != null) {
                m += s.engine().counter(MigCounter.COMPLETED);
            }
        }
        return m;
    }

    private PhaseResult result(long scheduleNanos, long activeNanos, long wallNanos) {
        long served = 0;
        long serverResets = 0;
        long manual = 0;
        long[] perServed = new long[servers.length];
        long[] perBusy = new long[servers.length];
        Map<String, Long> counters = new TreeMap<>();
        for (int i = 0; i < servers.length; i++) {
            ServerNode s = servers[i];
            perServed[i] = s.app().served();
            perBusy[i] = s.cpu().busyNanos();
            served += perServed[i];
            serverResets += s.app().resets();
            manual += s.manualTriggered();
            if (s.engine() != null) {
                for (Map.Entry<MigCounter, Long> e : s.engine().counters().entrySet()) {
                    counters.merge(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue(), Long::sum);
                }
            }
            if (s.host().stats().tcpRstSent() > 0) {
                counters.merge("server" + i + "_rst_sent", s.host().stats().tcpRstSent(), Long::sum);
            }
            if (s.nic().held() > 0) {
                counters.merge("frames_held_for_cpu", s.nic().held(), Long::sum);
            }
        }
        if (client.host().stats().tcpRstSent() > 0) {
            counters.put("client_rst_sent", client.host().stats().tcpRstSent());
        }
        if (serverResets > 0) {
            counters.put("server_resets", serverResets);
        }
        for (Map.Entry<SwitchCounter, Long> e : tor.counters().entrySet()) {
            if (e.getValue() != 0) {
                counters.put("switch_" + e.getKey().name().toLowerCase(Locale.ROOT), e.getValue());
            }
        }
        long started = counters.getOrDefault("started", 0L);
        long completedMigrations = counters.getOrDefault("completed", 0L);
        long aborted = 0;
        for (MigCounter c : new MigCounter[] {MigCounter.REJECTED_NO_TARGET, MigCounter.REJECTED_DIRECTORY_FULL,
                MigCounter.REJECTED_TARGET_BUSY, MigCounter.ABORTED_PREPARE_TIMEOUT, MigCounter.ABORTED_TARGET_DEAD,
                MigCounter.ABORTED_CONNECTION_GONE, MigCounter.ABORTED_SNAPSHOT_TOO_LARGE}) {
            aborted += counters.getOrDefault(c.name().toLowerCase(Locale.ROOT), 0L);
        }
        var rec = client.recorder();
        return new PhaseResult(migration, client.issued() + client.dropped(), rec.completed(), rec.errors(),
                client.resets(), served, scheduleNanos, activeNanos, sim.now(), wallNanos, rec.histogram().copy(),
                completedMigrations, started, aborted, manual, metricsHolder.overhead().copy(),
                blackout.copy(), perServed, perBusy, sim.framesDelivered(), sim.traceHash(),
                counters, steps());
    }

    private Map<String, Histogram> steps() {
        Map<String, Histogram> m = new java.util.LinkedHashMap<>();
        if (migration) {
            for (MigrationStep step : MigrationStep.values()) {
                m.put(step.jsonName(), metricsHolder.step(step).copy());
            }
        }
        return m;
    }
}
