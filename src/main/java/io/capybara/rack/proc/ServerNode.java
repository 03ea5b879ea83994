package io.capybara.rack.proc;

import io.capybara.app.EchoServerApp;
import io.capybara.app.HttpServerApp;
import io.capybara.app.HttpServerConfig;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.rack.MigratableHttpServer;
import io.capybara.mig.MigCounter;
import io.capybara.mig.MigratableApp;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.io.Node;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.Ipv4Address;
import java.util.List;
import java.util.Map;
import org.agrona.collections.Long2LongHashMap;

/**
 * One server of a rack as a process: a {@link Host} on one real link, the application (HTTP or
 * echo) on one port and, with a switch, a {@link MigrationEngine} (heartbeats, load policy,
 * TCPMig as origin and target) and an optional manual trigger that starts a migration of one
 * of its connections every interval (round-robin over its table). Without a switch it is a
 * plain host. Sans-IO like its parts: {@link NodeLoop} drives it with the real clock.
 *
 * <p>Load (heartbeats and policy): the number of live connections; with the reactive policy
 * over a {@link ServiceGate}, the request bytes waiting for the CPU; with the proactive policy,
 * its smoothed connection rates ({@link #proactive}), compared with the rack's as the switch
 * reports them in answer to each heartbeat.
 */
public final class ServerNode implements Node {
    /** A connection the trigger moved is left alone this long (stale packets of its last move). */
    public static final long TRIGGER_COOLDOWN_NANOS = 100_000_000L;
    private static final long NEVER = Long.MIN_VALUE;

    private final Host host;
    private final MigrationEngine engine;
    private final StatePadding app;
    private final HttpServerApp http;
    private final EchoServerApp echo;
    private final MigrationLog log = new MigrationLog(1 << 16);
    private long triggerIntervalNanos;
    private final Long2LongHashMap lastTriggered = new Long2LongHashMap(NEVER);
    private int cursor;
    private long nextTrigger = NEVER;
    private long triggered;
    /** Drain on request ({@code ctl SERVER drain}); null without a switch. */
    private final io.capybara.policy.Drain drain;
    /** Fixed capacity (a virtual CPU per response); null: as fast as this machine serves. */
    private final ServiceGate gate;
    private long charged;
    private io.capybara.policy.ProactivePolicy proactive;
    private long now;

    /**
     * @param migration null: no switch, a plain host
     * @param triggerIntervalNanos manual trigger period; 0 = off
     */
    public ServerNode(HostConfig hostConfig, FrameChannel channel, boolean httpApp, int port,
                      MigrationConfig migration, long triggerIntervalNanos) {
        this(hostConfig, channel, httpApp ? HttpServerConfig.defaults() : null, port, 1024, migration,
                triggerIntervalNanos);
    }

    /**
     * @param httpConfig the HTTP server's settings; null: the echo server
     * @param backlog    half-open connections kept (beyond: SYN cookies)
     */
    public ServerNode(HostConfig hostConfig, FrameChannel channel, HttpServerConfig httpConfig, int port, int backlog,
                      MigrationConfig migration, long triggerIntervalNanos) {
        this(hostConfig, channel, httpConfig, port, backlog, migration, triggerIntervalNanos, null);
    }

    /** @param tls with an HTTP config: HTTPS with this TLS context; null: plain HTTP */
    public ServerNode(HostConfig hostConfig, FrameChannel channel, HttpServerConfig httpConfig, int port, int backlog,
                      MigrationConfig migration, long triggerIntervalNanos, io.capybara.tls.TlsServerContext tls) {
        this(hostConfig, channel, httpConfig, port, backlog, migration, triggerIntervalNanos, tls, 0);
    }

    /** @param serviceNanos with HTTP: each response costs this much of a virtual CPU ({@link ServiceGate}); 0: off */
    public ServerNode(HostConfig hostConfig, FrameChannel channel, HttpServerConfig httpConfig, int port, int backlog,
                      MigrationConfig migration, long triggerIntervalNanos, io.capybara.tls.TlsServerContext tls,
                      long serviceNanos) {
        this.host = new Host(hostConfig, channel);
        MigratableApp inner;
        if (httpConfig != null) {
            // one ClientHello per loop pass: a burst of new HTTPS connections does not hold the
            // loop (and the requests, heartbeats, migrations behind them) for seconds
            http = new HttpServerApp(host, httpConfig, tls).handshakesPerPoll(tls == null ? 0 : 1);
            echo = null;
            inner = new MigratableHttpServer(http);
        } else {
            echo = new EchoServerApp(host);
            http = null;
            inner = MigratableApp.stateless(echo); // echo keeps no state per connection
        }
        this.app = new StatePadding(inner);
        gate = serviceNanos > 0 && http != null ? new ServiceGate(inner.handler(), serviceNanos) : null;
        if (gate != null) {
            app.handler(gate); // restored connections get it too
        }
        host.listen(port, backlog, app.handler());
        this.triggerIntervalNanos = migration == null ? 0 : triggerIntervalNanos;
        if (migration != null) {
            MigrationMetrics metrics = new MigrationMetrics(System::nanoTime); // CLOCK_MONOTONIC on Linux
            metrics.observer(log);
            engine = new MigrationEngine(host, migration, app, metrics);
            engine.loadMetric(this::liveConnections);
            drain = new io.capybara.policy.Drain(engine);
        } else {
            engine = null;
            drain = null;
        }
    }

    public Host host() {
        return host;
    }

    /** The application's connection handler (an HttpServerApp or an EchoServerApp). */
    public io.capybara.host.ConnectionHandler handler() {
        return http != null ? http : echo;
    }

    /** Null without a switch. */
    public MigrationEngine engine() {
        return engine;
    }

    /**
     * Runs the proactive policy ({@link io.capybara.policy.ProactivePolicy}) here: the heartbeat
     * carries its load, and asks the switch for the least load among the other servers, which is
     * what the policy compares itself with. The engine's own (reactive) policy should be off.
     */
    public void proactive(io.capybara.policy.ProactiveConfig config) {
        if (engine == null) {
            throw new IllegalStateException("the proactive policy needs a switch");
        }
        proactive = new io.capybara.policy.ProactivePolicy(engine, config, () -> engine.leastOtherLoad(now));
        engine.loadMetric(proactive::load);
        engine.wantRackLoads(true);
    }

    /** The reactive policy's load: request bytes waiting for the virtual CPU ({@link ServiceGate}). */
    public void reactiveOnQueuedRequests() {
        if (engine == null || gate == null) {
            throw new IllegalStateException("the reactive policy on queued requests needs a switch and --service-us");
        }
        engine.loadMetric(() -> ServiceGate.queuedInputBytes(host));
    }

    /** The load metric: connections served (kept by the host as they change, not counted per heartbeat). */
    long liveConnections() {
        return host.liveConnections();
    }

    @Override
    public int poll(long nowNanos) {
        now = nowNanos;
        if (gate != null) {
            gate.charge(0, nowNanos); // the gate's clock, for the data this poll brings
        }
        int work = host.poll(nowNanos);
        if (http != null) {
            work += http.poll(nowNanos); // request-head clocks
        }
        if (gate != null) {
            chargeResponses(nowNanos);
            while (gate.serveNext(nowNanos)) {
                chargeResponses(nowNanos);
                work++;
            }
        }
        if (engine != null) {
            work += engine.poll(nowNanos);
            work += drain.poll(nowNanos);
            if (proactive != null) {
                work += proactive.poll(nowNanos);
            }
        }
        if (triggerIntervalNanos > 0) {
            if (nextTrigger == NEVER) {
                nextTrigger = nowNanos + triggerIntervalNanos;
            } else if (nowNanos - nextTrigger >= 0) {
                nextTrigger = nowNanos + triggerIntervalNanos;
                triggerOne(nowNanos);
            }
        }
        return work;
    }

    private void chargeResponses(long nowNanos) {
        long r = http.responses();
        gate.charge(r - charged, nowNanos);
        charged = r;
    }

    /** With a virtual CPU: until when it is busy (the loop sleeps rather than read), else 0. */
    long busyUntil() {
        return gate == null ? 0 : gate.busyUntil();
    }

    @Override
    public long nextDeadline() {
        long d = host.nextDeadline();
        if (gate != null && gate.hasWaiting()) {
            d = Math.min(d, gate.busyUntil());
        }
        if (proactive != null) {
            d = Math.min(d, proactive.nextDeadline());
        }
        if (http != null) {
            d = Math.min(d, http.nextDeadline());
        }
        if (engine != null) {
            d = Math.min(d, Math.min(engine.nextDeadline(), drain.nextDeadline()));
        }
        if (triggerIntervalNanos > 0 && nextTrigger != NEVER && host.connectionCount() > 0) {
            d = Math.min(d, nextTrigger);
        }
        return d;
    }

    /** Starts migrating the next eligible connection (round-robin), skipping recently moved ones. */
    private void triggerOne(long now) {
        int n = host.connectionCount();
        for (int k = 0; k < n; k++) {
            int idx = (cursor + k) % n;
            TcpConnection c = host.connectionAt(idx);
            long key = connKey(c);
            long last = lastTriggered.get(key);
            if (!MigrationEngine.eligible(c) || (last != NEVER && now - last < TRIGGER_COOLDOWN_NANOS)
                    || engine.isMigrating(c.remoteIp(), c.remotePort(), c.localPort())) {
                continue;
            }
            cursor = idx + 1;
            if (engine.migrate(c) >= 0) {
                if (lastTriggered.size() > 4 * Math.max(1024, n)) {
                    lastTriggered.clear(); // forget closed connections now and then
                }
                lastTriggered.put(key, now);
                triggered++;
            }
            return;
        }
    }

    private static long connKey(TcpConnection c) {
        return (c.remoteIp() & 0xFFFF_FFFFL) << 32 | (long) (c.remotePort() & 0xFFFF) << 16 | (c.localPort() & 0xFFFF);
    }

    // ------------------------------------------------------------------ control verbs (on the loop thread)

    /** Registers this node's verbs: status, connections, migrate, migrations, set. */
    public void register(ControlServer control, NodeLoop loop) {
        control.register("status", "counters, load and connection count", args -> status(loop));
        control.register("connections", "one line per connection: client, server port, state, bytes in/out",
                args -> connections());
        control.register("migrate", "migrate CLIENT_IP:PORT [--to SERVER_IP]: start migrating that connection",
                this::migrateCommand);
        control.register("migrations", "migrations [SINCE]: completed migration halves (origin|target, times)",
                args -> log.dump(args.isEmpty() ? 0 : parseLong(args.get(0), "SINCE")));
        control.register("drain", "drain [--rate N]: take no new connections and migrate every connection away, at most N"
                + " per second (default: as fast as the engine runs them); 'status' says when drained", this::drainCommand);
        control.register("undrain", "undrain: take connections and migrations again", args -> {
            if (drain == null) {
                throw new IllegalArgumentException("this server runs without a switch: nothing to drain");
            }
            drain.stop();
            return "undrained\n";
        });
        control.register("set", "set state-bytes N (extra application state per migrated connection) | set"
                        + " migrate-every-ms N (the manual trigger; 0 = off)",
                this::setCommand);
    }

    String status(NodeLoop loop) {
        StringBuilder sb = new StringBuilder();
        line(sb, "role", "server");
        line(sb, "pid", ProcessHandle.current().pid());
        line(sb, "ip", Ipv4Address.format(host.config().ip()));
        line(sb, "connections", host.connectionCount());
        line(sb, "load", liveConnections());
        line(sb, "state_bytes", app.padBytes());
        if (http != null) {
            line(sb, "http_accepted", http.accepted());
            line(sb, "http_responses", http.responses());
            line(sb, "http_resets", http.resets());
            line(sb, "http_header_timeouts", http.headerTimeouts());
            if (http.tlsContext() != null) {
                http.tlsContext().counterMap().forEach((k, v) -> line(sb, k, v));
                line(sb, "tls_handshakes_deferred", http.handshakesDeferred());
            }
        } else {
            line(sb, "echo_accepted", echo.accepted());
            line(sb, "echo_bytes", echo.bytesEchoed());
            line(sb, "echo_resets", echo.resets());
        }
        line(sb, "loop_sleeps", loop.sleeps());
        line(sb, "loop_slept_ms", loop.sleptNanos() / 1_000_000);
        line(sb, "migrations_logged", log.written());
        if (engine != null) {
            line(sb, "draining", drain.isDraining());
            line(sb, "drained", drain.drained());
            line(sb, "drain_remaining", drain.remaining());
            line(sb, "drain_migrations", drain.started());
            line(sb, "triggered", triggered);
            line(sb, "outgoing", engine.outgoing());
            line(sb, "prepared", engine.preparedSlots());
            line(sb, "load_reported", engine.lastLoad());
            long rack = engine.leastOtherLoad(now);
            line(sb, "rack_least_other_load", rack == Long.MAX_VALUE ? -1 : rack);
            if (proactive != null) {
                line(sb, "proactive_migrations", proactive.migrations());
            }
            if (gate != null) {
                line(sb, "queued_request_bytes", ServiceGate.queuedInputBytes(host));
            }
            for (Map.Entry<MigCounter, Long> e : engine.counters().entrySet()) {
                line(sb, e.getKey().name().toLowerCase(java.util.Locale.ROOT), e.getValue());
            }
        }
        return sb.toString();
    }

    static void line(StringBuilder sb, String key, Object value) {
        sb.append(key).append(' ').append(value).append('\n');
    }

    String connections() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < host.connectionCount(); i++) {
            TcpConnection c = host.connectionAt(i);
            sb.append(Ipv4Address.format(c.remoteIp())).append(':').append(c.remotePort()).append(' ')
                    .append(c.localPort()).append(' ').append(c.state()).append(' ').append(c.stats().bytesIn())
                    .append(' ').append(c.stats().bytesOut()).append('\n');
        }
        return sb.toString();
    }

    private String migrateCommand(List<String> args) {
        if (engine == null) {
            throw new IllegalArgumentException("this server runs without a switch: it cannot migrate");
        }
        if (args.isEmpty()) {
            throw new IllegalArgumentException("usage: migrate CLIENT_IP:PORT [--to SERVER_IP]");
        }
        String client = args.get(0);
        int colon = client.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + client + "': expected CLIENT_IP:PORT");
        }
        int ip = Ipv4Address.parse(client.substring(0, colon));
        int port = (int) parseLong(client.substring(colon + 1), "PORT");
        int to = 0;
        if (args.size() == 3 && args.get(1).equals("--to")) {
            to = Ipv4Address.parse(args.get(2));
        } else if (args.size() != 1) {
            throw new IllegalArgumentException("usage: migrate CLIENT_IP:PORT [--to SERVER_IP]");
        }
        TcpConnection found = null;
        for (int i = 0; i < host.connectionCount(); i++) {
            TcpConnection c = host.connectionAt(i);
            if (c.remoteIp() == ip && c.remotePort() == port) {
                found = c;
                break;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException("no connection from " + client + " on this server");
        }
        if (to == host.config().ip()) {
            throw new IllegalArgumentException("--to names this server itself");
        }
        int id = engine.migrate(found, to);
        if (id < 0) {
            throw new IllegalArgumentException("connection " + client + " cannot migrate now (state "
                    + found.state() + ", already migrating, or too many migrations running)");
        }
        return "migration " + id + " from " + Ipv4Address.format(host.config().ip()) + " started\n";
    }

    private String drainCommand(List<String> args) {
        if (drain == null) {
            throw new IllegalArgumentException("this server runs without a switch: it cannot migrate its connections away");
        }
        double rate = 0;
        if (args.size() == 2 && args.get(0).equals("--rate")) {
            String r = args.get(1).endsWith("/s") ? args.get(1).substring(0, args.get(1).length() - 2) : args.get(1);
            try {
                rate = Double.parseDouble(r);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--rate '" + args.get(1) + "' is not a number of migrations per second");
            }
            if (!(rate > 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException("--rate must be > 0, got " + args.get(1));
            }
        } else if (!args.isEmpty()) {
            throw new IllegalArgumentException("usage: drain [--rate N]");
        }
        drain.start(rate, now);
        return "draining " + drain.remaining() + " connections" + (rate > 0 ? " at " + rate + "/s" : "") + "\n";
    }

    private String setCommand(List<String> args) {
        if (args.size() != 2) {
            throw new IllegalArgumentException("usage: set state-bytes N | set migrate-every-ms N");
        }
        switch (args.get(0)) {
            case "state-bytes" -> {
                app.padBytes((int) parseLong(args.get(1), "N"));
                return "state-bytes " + app.padBytes() + "\n";
            }
            case "migrate-every-ms" -> {
                long ms = parseLong(args.get(1), "N");
                if (ms < 0 || engine == null) {
                    throw new IllegalArgumentException("migrate-every-ms " + ms + ": expected >= 0 on a rack server");
                }
                triggerIntervalNanos = ms * 1_000_000L;
                nextTrigger = NEVER;
                return "migrate-every-ms " + ms + "\n";
            }
            default -> throw new IllegalArgumentException("set " + args.get(0)
                    + ": expected state-bytes or migrate-every-ms");
        }
    }

    static long parseLong(String s, String what) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a number");
        }
    }

    /** The migration settings of a rack server on real links (ms timeouts: the links are kernels'). */
    public static MigrationConfig rackMigrationConfig(int switchIp, long heartbeatNanos) {
        return MigrationConfig.defaults(switchIp)
                .withPools(16, 64, 128, 256 * 1024, 4 << 20)
                // Nodes share two cores with the clients and the kernel: be patient (ms, not us). A
                // first migration on cold JVMs at load 25 took over 45 ms for its PREPARE_MIG_ACK
                // (5 ms x 9 tries): aborted safely, but needlessly. The hold (2 s) still outlasts
                // the origin's whole CONN_STATE retry budget (20 ms x (1+2+4+8x7) = 1.26 s).
                .withTimeouts(20_000_000L, 8, 20_000_000L, 10, 20_000_000L, 8, 2_000_000_000L)
                .withHeartbeat(heartbeatNanos);
    }

    /** Wraps {@code channel} in the test hook named {@code point} (see {@link CrashHook}). */
    public static FrameChannel crashHook(FrameChannel channel, String point) {
        return new CrashHook(channel, CrashHook.parse(point));
    }

    public void stateBytes(int n) {
        app.padBytes(n);
    }

    /** Final counters, for the log at exit. */
    public String summary() {
        return (http != null ? http.toString() : echo.toString()) + " host " + host.stats()
                + (engine == null ? "" : " migration " + engine.counters());
    }
}
