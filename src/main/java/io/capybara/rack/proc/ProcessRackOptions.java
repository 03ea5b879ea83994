package io.capybara.rack.proc;

import java.nio.file.Path;
import java.util.Map;

/**
 * How {@link ProcessRack} builds a multi-process rack.
 *
 * @param name            the rack's name (its run directory's default name)
 * @param dir             run directory: state file, control sockets, logs, switch config
 * @param servers         server processes (2..50)
 * @param clients         client namespaces, each on its own switch port (1..8)
 * @param app             http, https (TLS 1.3, one self-signed certificate for all servers) or echo
 * @param migrateEveryMs  each server's manual trigger period (0 = off)
 * @param heartbeatMs     servers' HEARTBEAT period
 * @param staleMs         the switch stops choosing a server silent this long
 * @param spinMicros      nodes busy-poll this long after work before blocking in epoll
 * @param keepGoing       a node that dies leaves the others running (else the rack comes down)
 * @param crashAt         test hooks: server index to crash point (see {@link CrashHook})
 * @param nodeJvmFlags    extra JVM flags for the node processes
 * @param jitWarmup       servers warm the JIT on an in-memory rack before they open their link
 * @param vip             load-balancer mode (see {@link #withVip})
 * @param serverArgs      extra arguments of every server process (e.g. {@code --policy proactive})
 */
public record ProcessRackOptions(String name, Path dir, int servers, int clients, String app, double migrateEveryMs,
                          double heartbeatMs, double staleMs, long spinMicros, boolean keepGoing,
                          Map<Integer, String> crashAt, String nodeJvmFlags, boolean jitWarmup,
                          boolean vip, java.util.List<String> serverArgs) {
    public static final Path RUN_ROOT = Path.of("/run/capybara");

    public ProcessRackOptions {
        if (servers < 2 || servers > 50) {
            throw new IllegalArgumentException("--servers " + servers + ": expected 2..50");
        }
        if (clients < 1 || clients > 8) {
            throw new IllegalArgumentException("--clients " + clients + ": expected 1..8");
        }
        if (!app.equals("http") && !app.equals("https") && !app.equals("echo")) {
            throw new IllegalArgumentException("--app " + app + ": expected http, https or echo");
        }
        if (!name.matches("[A-Za-z0-9_.-]{1,40}")) {
            throw new IllegalArgumentException("--name '" + name + "': 1-40 of [A-Za-z0-9_.-]");
        }
        if (heartbeatMs <= 0 || staleMs <= heartbeatMs) {
            throw new IllegalArgumentException("heartbeat " + heartbeatMs + " ms must be > 0 and below stale " + staleMs
                    + " ms");
        }
        crashAt = Map.copyOf(crashAt);
        serverArgs = java.util.List.copyOf(serverArgs);
    }

    public static ProcessRackOptions defaults(String name, Path dir) {
        return new ProcessRackOptions(name, dir == null ? RUN_ROOT.resolve(name) : dir, 3, 1, "http", 20, 100, 500, 50,
                false, Map.of(), "", false, false, java.util.List.of());
    }

    public ProcessRackOptions withServers(int n) {
        return new ProcessRackOptions(name, dir, n, clients, app, migrateEveryMs, heartbeatMs, staleMs, spinMicros, keepGoing,
                crashAt, nodeJvmFlags, jitWarmup, vip, serverArgs);
    }

    public ProcessRackOptions withApp(String a) {
        return new ProcessRackOptions(name, dir, servers, clients, a, migrateEveryMs, heartbeatMs, staleMs, spinMicros,
                keepGoing, crashAt, nodeJvmFlags, jitWarmup, vip, serverArgs);
    }

    public ProcessRackOptions withMigrateEveryMs(double ms) {
        return new ProcessRackOptions(name, dir, servers, clients, app, ms, heartbeatMs, staleMs, spinMicros, keepGoing,
                crashAt, nodeJvmFlags, jitWarmup, vip, serverArgs);
    }

    public ProcessRackOptions withKeepGoing(boolean k) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, heartbeatMs, staleMs, spinMicros, k,
                crashAt, nodeJvmFlags, jitWarmup, vip, serverArgs);
    }

    public ProcessRackOptions withCrashAt(Map<Integer, String> c) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, heartbeatMs, staleMs, spinMicros,
                keepGoing, c, nodeJvmFlags, jitWarmup, vip, serverArgs);
    }

    public ProcessRackOptions withSpinMicros(long us) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, heartbeatMs, staleMs, us, keepGoing,
                crashAt, nodeJvmFlags, jitWarmup, vip, serverArgs);
    }

    public ProcessRackOptions withJitWarmup(boolean w) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, heartbeatMs, staleMs, spinMicros,
                keepGoing, crashAt, nodeJvmFlags, w, vip, serverArgs);
    }

    public ProcessRackOptions withNodeJvmFlags(String flags) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, heartbeatMs, staleMs, spinMicros,
                keepGoing, crashAt, flags, jitWarmup, vip, serverArgs);
    }

    /**
     * Load-balancer mode: the switch serves the VIP {@code LabRack.VIP} on the app's port and
     * places each connection (the servers' own addresses then serve the VIP only on that port).
     */
    public ProcessRackOptions withVip(boolean on) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, heartbeatMs, staleMs, spinMicros,
                keepGoing, crashAt, nodeJvmFlags, jitWarmup, on, serverArgs);
    }

    public ProcessRackOptions withHeartbeatMs(double ms) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, ms, staleMs, spinMicros, keepGoing,
                crashAt, nodeJvmFlags, jitWarmup, vip, serverArgs);
    }

    public ProcessRackOptions withServerArgs(java.util.List<String> args) {
        return new ProcessRackOptions(name, dir, servers, clients, app, migrateEveryMs, heartbeatMs, staleMs, spinMicros,
                keepGoing, crashAt, nodeJvmFlags, jitWarmup, vip, args);
    }

    /** The port the app serves, and in load-balancer mode the VIP's: 80 (http), 443 (https), 7 (echo). */
    public int appPort() {
        return app.equals("https") ? 443 : app.equals("echo") ? 7 : 80;
    }
}
