package io.capybara.demo;

import io.capybara.host.Host;
import io.capybara.mig.MigrationEngine;
import io.capybara.io.Node;
import io.capybara.policy.ProactivePolicy;
import io.capybara.tcp.TcpConnection;
import java.util.SplittableRandom;

/**
 * One rack server on the simulator: a {@link Host}, its {@link CpuServing} and, with
 * migration on, its {@link MigrationEngine}, all on one {@link VirtualCpu}. A single-core
 * run-to-completion loop: when the CPU is free it completes the request in service (the
 * response goes out), polls the NIC and the engine (no virtual cost), then starts the next
 * waiting request (its service demand makes the CPU busy). While busy it does not poll at all:
 * frames wait in its link's receive queue and timers are late, as on a real busy core. Frames
 * sent after CPU was charged within a poll leave when that CPU time is over
 * ({@link CpuGatedChannel}).
 */
final class ServerNode implements Node {
    private final int index;
    private final Host host;
    private final CpuServing app;
    private final VirtualCpu cpu;
    private final CpuGatedChannel nic;
    private final PeekingChannel rx;
    /** Host.nextDeadline() as of the end of the last poll that did anything (it walks every connection). */
    private long hostDeadline = Long.MIN_VALUE;
    private final long serviceNanos;
    private MigrationEngine engine;
    private ProactivePolicy policy;

    // manual trigger
    private final SplittableRandom random;
    private long manualIntervalNanos;
    private long nextManual = Long.MAX_VALUE;
    private long manualTriggered;

    ServerNode(int index, Host host, CpuServing app, VirtualCpu cpu, CpuGatedChannel nic, PeekingChannel rx,
               long serviceNanos, long seed) {
        this.rx = rx;
        this.index = index;
        this.host = host;
        this.app = app;
        this.cpu = cpu;
        this.nic = nic;
        this.serviceNanos = serviceNanos;
        this.random = new SplittableRandom(seed);
    }

    void engine(MigrationEngine e) {
        this.engine = e;
        e.loadMetric(this::backlogMicros);
    }

    /** A policy run after the engine in each poll (the engine's own is then off). */
    void policy(ProactivePolicy p) {
        this.policy = p;
    }

    /** Migrates a random connection every {@code intervalNanos} from {@code startNanos} on. */
    void manualMigrations(long startNanos, long intervalNanos) {
        manualIntervalNanos = intervalNanos;
        nextManual = intervalNanos > 0 ? startNanos : Long.MAX_VALUE;
    }

    void stopManualMigrations() {
        nextManual = Long.MAX_VALUE;
    }

    /**
     * The load this server reports in HEARTBEAT and its policy acts on: microseconds of work
     * queued on its core (the rest of the request in service plus every waiting request), i.e.
     * the queueing delay a new request would see.
     */
    long backlogMicros() {
        return (cpu.cursor() - cpu.now() + (long) app.waiting() * serviceNanos) / 1000;
    }

    @Override
    public int poll(long nowNanos) {
        cpu.now(nowNanos);
        int work = nic.release(nowNanos);
        if (cpu.busy()) {
            return work;
        }
        if (app.inService()) {
            app.completeInService();
            work++;
        }
        if (nowNanos >= hostDeadline || rx.hasPending()) {
            work += host.poll(nowNanos);
        }
        if (engine != null) {
            work += engine.poll(nowNanos);
            if (policy != null) {
                work += policy.poll(nowNanos);
            }
            if (nowNanos >= nextManual && !cpu.busy()) {
                nextManual = nowNanos + manualIntervalNanos;
                triggerManual();
                work++;
            }
        }
        if (!cpu.busy()) {
            long demand = app.startNext();
            if (demand >= 0) {
                cpu.charge(demand);
                work++;
            }
        }
        if (work > 0) {
            hostDeadline = host.nextDeadline();
        }
        return work;
    }

    private void triggerManual() {
        int n = host.connectionCount();
        if (n == 0) {
            return;
        }
        TcpConnection c = host.connectionAt(random.nextInt(n));
        if (MigrationEngine.eligible(c) && engine.migrate(c) >= 0) {
            manualTriggered++;
        }
    }

    @Override
    public long nextDeadline() {
        long d = nic.nextRelease();
        if (cpu.busy()) {
            return Math.min(d, cpu.cursor());
        }
        if (app.inService()) {
            return Math.min(d, cpu.now());
        }
        d = Math.min(d, hostDeadline);
        if (engine != null) {
            d = Math.min(d, Math.min(engine.nextDeadline(), nextManual));
            if (policy != null) {
                d = Math.min(d, policy.nextDeadline());
            }
        }
        return d;
    }

    int index() {
        return index;
    }

    Host host() {
        return host;
    }

    CpuServing app() {
        return app;
    }

    VirtualCpu cpu() {
        return cpu;
    }

    MigrationEngine engine() {
        return engine;
    }

    CpuGatedChannel nic() {
        return nic;
    }

    long manualTriggered() {
        return manualTriggered;
    }
}
