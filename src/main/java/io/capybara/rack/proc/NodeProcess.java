package io.capybara.rack.proc;

import io.capybara.io.linux.EpollWaiter;
import io.capybara.io.linux.FdFrameChannel;
import io.capybara.io.Node;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * What every node process does around its node: the {@link NodeLoop} (spin, then epoll on the
 * node's descriptors), the control socket, a once-a-second line, a supervisor check (a node
 * started by {@code rack} exits when its supervisor is gone, so a killed supervisor leaves no
 * orphan behind), and an orderly stop on SIGTERM / Ctrl-C (a shutdown hook stops the loop and
 * waits for the final counters).
 */
public final class NodeProcess {
    private final NodeLoop loop;
    private final EpollWaiter waiter;
    private final ControlServer control;
    private final long supervisorPid;

    /**
     * @param channels      the node's links (raw, before any decorator): their descriptors wake the loop
     * @param spinNanos     busy-poll after work
     * @param controlPath   the control socket (null: none)
     * @param supervisorPid exit when this process is gone (0: no supervisor)
     */
    public NodeProcess(Node node, FdFrameChannel[] channels, long spinNanos, Path controlPath,
                       long supervisorPid) {
        this.waiter = new EpollWaiter();
        for (FdFrameChannel c : channels) {
            waiter.add(c.fd());
        }
        this.loop = new NodeLoop(waiter, spinNanos, node);
        this.control = controlPath == null ? null : new ControlServer(controlPath, loop);
        this.supervisorPid = supervisorPid;
        if (control != null) {
            control.register("spin", "spin [US]: show or set how long the loop busy-polls after work", args -> {
                if (!args.isEmpty()) {
                    loop.spinNanos(ServerNode.parseLong(args.get(0), "US") * 1000);
                }
                return "spin_us " + loop.spinNanos() / 1000 + "\n";
            });
        }
    }

    public NodeLoop loop() {
        return loop;
    }

    /** Registers extra control verbs before {@link #run}. */
    public void control(Consumer<ControlServer> registrar) {
        if (control != null) {
            registrar.accept(control);
        }
    }

    /**
     * Runs for {@code durationSeconds} (null: until SIGTERM / Ctrl-C / supervisor gone), calling
     * {@code everySecond} (null: nothing) on the loop thread, then {@code atEnd}.
     */
    public void run(Double durationSeconds, Runnable everySecond, Runnable atEnd) throws IOException {
        PrintStream out = System.err;
        if (control != null) {
            control.start();
        }
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            loop.stop();
            try {
                main.join(3_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "capybara-node-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        ProcessHandle supervisor = supervisorPid == 0 ? null : ProcessHandle.of(supervisorPid).orElse(null);
        if (supervisorPid != 0 && (supervisor == null || !supervisor.isAlive())) {
            throw new IllegalStateException("supervisor " + supervisorPid + " is not running");
        }
        long now = System.nanoTime();
        long until = durationSeconds == null ? now + Long.MAX_VALUE / 2 : now + (long) (durationSeconds * 1e9);
        try {
            loop.run(until, () -> {
                if (supervisor != null && !supervisor.isAlive()) {
                    out.println("supervisor " + supervisorPid + " is gone: stopping");
                    loop.stop();
                }
                if (everySecond != null) {
                    everySecond.run();
                }
            });
            atEnd.run();
            System.out.flush();
        } finally {
            if (control != null) {
                control.close();
            }
            waiter.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for us
            }
        }
    }
}
