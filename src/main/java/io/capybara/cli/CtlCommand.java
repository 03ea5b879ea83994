package io.capybara.cli;

import io.capybara.rack.proc.ControlServer;
import io.capybara.rack.proc.ProcessRack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./capybara ctl NODE REQUEST...}: one request to a node's control socket, its reply on
 * stdout. NODE is a node of a rack ({@code switch}, {@code s0}, ...) or a socket path. In
 * {@code migrate ... --to SERVER}, SERVER may be a node name; it is sent as the server's address.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Ask a running node: status, connections, migrate CLIENT_IP:PORT [--to SERVER], migrations,"
                + " set state-bytes N, help.", "A bad request gets one line 'error: ...' and exit status 2."})
public final class CtlCommand implements Callable<Integer> {
    @Mixin
    RackCommand.Where where = new RackCommand.Where();
    @Option(names = "--to", description = "For migrate: the target server (node name or address).")
    String to;
    @Parameters(index = "0", description = "Node name (switch, s0, s1, ...) or a control socket path.")
    String node;
    @Parameters(index = "1..*", arity = "1..*", description = "The request: a verb and its arguments.")
    List<String> request;

    @Override
    public Integer call() throws Exception {
        Path d = where.dir();
        Path socket = node.contains("/") ? Path.of(node) : d.resolve(node + ".sock");
        if (!Files.exists(socket)) {
            throw new IllegalArgumentException("no control socket " + socket + " (is the rack up? node names: "
                    + nodeNames(d) + ")");
        }
        List<String> words = new ArrayList<>(request);
        if (to != null) {
            words.add("--to");
            words.add(serverAddress(d, to));
        }
        String reply;
        try {
            reply = ControlServer.request(socket, String.join(" ", words));
        } catch (IOException e) {
            throw new IllegalArgumentException("node " + node + " does not answer on " + socket + ": " + e.getMessage());
        }
        if (reply.startsWith("error: ")) {
            System.err.print("capybara ctl: " + reply.substring(7));
            return 2;
        }
        System.out.print(reply);
        return 0;
    }

    /** A node name to its address through the rack's state file; anything else unchanged. */
    static String serverAddress(Path dir, String server) throws IOException {
        if (server.matches("[0-9.]+")) {
            return server;
        }
        for (String[] n : ProcessRack.stateLines(dir, "node")) {
            if (n[0].equals(server)) {
                return n[3];
            }
        }
        throw new IllegalArgumentException("--to " + server + ": no such node (nodes: " + nodeNames(dir) + ")");
    }

    static String nodeNames(Path dir) {
        try {
            return String.join(", ", ProcessRack.stateLines(dir, "node").stream().map(n -> n[0]).toList());
        } catch (IOException | IllegalArgumentException e) {
            return "none";
        }
    }
}
