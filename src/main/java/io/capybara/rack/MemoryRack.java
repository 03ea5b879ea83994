package io.capybara.rack;

import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.MemoryLink;
import io.capybara.mig.MigratableApp;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.TorSwitch;
import io.capybara.wire.EthernetHeader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * The in-memory rack that migration costs are measured in, on one thread: a switch, two
 * servers with migration engines and one client host, joined by {@link MemoryLink}s, driven in
 * protocol time (1 us a round, a counter: the measurements use the engines' step clock). Shared
 * by {@code bench migration} ({@link MigrationBenchmark}) and the evaluation's overhead figures
 * ({@code eval.CapybaraFleet}), so both measure the same rack the same way.
 */
public final class MemoryRack {
    public static final int PORT = 80;
    /** Rounds a migration gets to settle (100 ms of protocol time: every timeout and retry fits). */
    public static final int MAX_ROUNDS = 100_000;

    private final TorSwitch sw;
    private final Host[] servers = new Host[2];
    private final MigrationEngine[] engines = new MigrationEngine[2];
    private final Host client;
    private long now;

    /**
     * @param serverLinkFrames frames per direction of the servers' links at 1500 bytes of MTU
     *                         (NIC-sized: a ring far larger than a migration's burst only cycles
     *                         the measurement through cold memory); the same bytes at other MTUs
     * @param clientLinkFrames the same for the client's link
     * @param mtu              the links' IPv4 MTU (1500, or up to 9000 for jumbo frames)
     * @param maxConnections   connections each host holds at most
     * @param apps             the application of server 0 and 1
     */
    public MemoryRack(String name, int serverLinkFrames, int clientLinkFrames, int mtu, int maxConnections,
                      MigrationMetrics metrics, IntFunction<MigratableApp> apps) {
        MemoryLink[] links = new MemoryLink[3];
        FrameChannel[] ports = new FrameChannel[3];
        List<SwitchConfig.Host> hosts = new ArrayList<>();
        Map<Integer, Long> arp = new HashMap<>();
        arp.put(RackSimulation.SWITCH_IP, RackSimulation.SWITCH_MAC);
        int frameBytes = mtu + EthernetHeader.LENGTH;
        for (int i = 0; i < 3; i++) {
            int frames = i < 2 ? serverLinkFrames : clientLinkFrames;
            links[i] = MemoryLink.pair(name + i, Math.max(8, frames * FrameChannel.DEFAULT_MTU_FRAME / frameBytes),
                    frameBytes);
            ports[i] = links[i].b();
            hosts.add(new SwitchConfig.Host(RackSimulation.ip(i), RackSimulation.mac(i), i, i < 2));
            arp.put(RackSimulation.ip(i), RackSimulation.mac(i));
        }
        sw = new TorSwitch(SwitchConfig.of(RackSimulation.SWITCH_IP, RackSimulation.SWITCH_MAC, hosts)
                .withHeartbeatStale(Long.MAX_VALUE / 4), ports);
        // 16 KiB rings each way: a restore allocates them anew
        TcpConfig tcp = TcpConfig.defaults().withBuffers(16 * 1024, 16 * 1024);
        MigrationConfig mc = MigrationConfig.defaults(RackSimulation.SWITCH_IP).withHeartbeat(1_000_000)
                .withPools(4, 4, 64, 64 * 1024, 1 << 20).withMtu(mtu);
        for (int i = 0; i < 2; i++) {
            servers[i] = new Host(HostConfig.of("server" + i, RackSimulation.mac(i), RackSimulation.ip(i), 24)
                    .withTcp(tcp).withStaticArp(without(arp, RackSimulation.ip(i))).withMaxConnections(maxConnections),
                    links[i].a());
            MigratableApp app = apps.apply(i);
            servers[i].listen(PORT, Math.max(128, maxConnections / 2), app.handler());
            engines[i] = new MigrationEngine(servers[i], mc, app, metrics);
        }
        client = new Host(HostConfig.of("client", RackSimulation.mac(2), RackSimulation.ip(2), 24).withTcp(tcp)
                .withStaticArp(without(arp, RackSimulation.ip(2))).withMaxConnections(maxConnections), links[2].a());
    }

    private static Map<Integer, Long> without(Map<Integer, Long> m, int ip) {
        Map<Integer, Long> copy = new HashMap<>(m);
        copy.remove(ip);
        return copy;
    }

    public Host server(int i) {
        return servers[i];
    }

    public MigrationEngine engine(int i) {
        return engines[i];
    }

    public Host client() {
        return client;
    }

    /** Protocol time now (nanoseconds). */
    public long now() {
        return now;
    }

    /** Advances protocol time by one round: 1 us, never read by the measurements. */
    public long tick() {
        now += 1_000;
        return now;
    }

    /** One round of the switch and the servers (not the client: what it is sent stays unacknowledged). */
    public int pollServers() {
        long t = tick();
        int work = sw.poll(t);
        for (int i = 0; i < 2; i++) {
            work += servers[i].poll(t);
            work += engines[i].poll(t);
        }
        return work;
    }

    /** One round of every node, the client last. */
    public void pollAll() {
        pollServers();
        client.poll(now);
    }

    /** Polls every node until {@code done} holds; false if it did not within {@code maxRounds}. */
    public boolean pollUntil(BooleanSupplier done, int maxRounds) {
        for (int round = 0; round < maxRounds; round++) {
            if (done.getAsBoolean()) {
                return true;
            }
            pollAll();
        }
        return done.getAsBoolean();
    }

    /**
     * Migrates {@code conn} away from server {@code from} and polls the switch and the servers
     * until neither engine has anything of it outstanding (the client is not polled).
     *
     * @return false if the origin refused to start (not eligible, too many running)
     */
    public boolean migrate(int from, TcpConnection conn) {
        MigrationEngine e = engines[from];
        if (e.migrate(conn) < 0) {
            return false;
        }
        for (int round = 0; round < MAX_ROUNDS && (e.outgoing() > 0 || engines[1 - from].preparedSlots() > 0); round++) {
            pollServers();
        }
        return true;
    }
}
