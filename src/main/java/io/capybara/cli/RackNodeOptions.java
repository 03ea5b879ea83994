package io.capybara.cli;

import io.capybara.io.Node;
import io.capybara.io.linux.FdFrameChannel;
import io.capybara.rack.proc.NodeProcess;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options by which a node command ({@code switch}, {@code server}) runs as a process of a
 * rack ({@code @Mixin RackNodeOptions process;}): its control socket, how long it spins before
 * blocking, and the supervisor whose exit it follows. {@code rack} sets them; by hand they
 * are optional.
 */
final class RackNodeOptions {
    @Option(names = "--control", description = "Control socket path (a Unix domain socket for ctl; default: none).")
    Path control;
    @Option(names = "--spin-us", defaultValue = "50",
            description = "Busy-poll this long after work before blocking in epoll (default: ${DEFAULT-VALUE}).")
    long spinMicros;
    @Option(names = "--supervisor", defaultValue = "0", description = "Exit when this PID is gone (set by rack).")
    long supervisor;

    /** The process loop of {@code node} over {@code channels}, with these options. */
    NodeProcess process(Node node, FdFrameChannel... channels) {
        return new NodeProcess(node, channels, spinMicros * 1000, control, supervisor);
    }
}
