package io.capybara.rack.proc;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A node's control socket: a Unix domain socket (java.nio) under the run directory, a
 * management path beside the data path. One request per connection: a line of words
 * ({@code status}, {@code migrate 10.77.251.1:40000 --to s1}); the reply is text and ends
 * when the socket closes; a bad request gets one line {@code error: WHAT}.
 *
 * <p>A daemon thread accepts and reads; the command itself runs on the node loop
 * ({@link NodeLoop#submit}), so it sees node state without locks, and the loop is woken for it
 * through its eventfd instead of polling the socket. Commands are registered by name
 * ({@link #register}); engineers add verbs without touching this class.
 */
public final class ControlServer implements AutoCloseable {
    /** A verb: runs on the node loop; throws {@link IllegalArgumentException} for a bad request. */
    @FunctionalInterface
    public interface Command {
        String run(List<String> args);
    }

    private static final int MAX_REQUEST = 4096;
    private static final long REPLY_TIMEOUT_SECONDS = 10;

    private final Path path;
    private final NodeLoop loop;
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final Map<String, String> help = new LinkedHashMap<>();
    private ServerSocketChannel server;
    private Thread thread;
    private volatile boolean closed;

    public ControlServer(Path path, NodeLoop loop) {
        this.path = path;
        this.loop = loop;
        register("help", "list the commands", args -> {
            StringBuilder sb = new StringBuilder();
            help.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
            return sb.toString();
        });
    }

    /** Adds a verb; call before {@link #start()}. */
    public synchronized ControlServer register(String verb, String description, Command command) {
        commands.put(verb, command);
        help.put(verb, description);
        return this;
    }

    public Path path() {
        return path;
    }

    /** Binds the socket (replacing a stale file of a dead node) and starts the accept thread. */
    public void start() throws IOException {
        Files.createDirectories(path.getParent());
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        thread = new Thread(this::acceptLoop, "capybara-control");
        thread.setDaemon(true);
        thread.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try (SocketChannel ch = server.accept()) {
                String request = readLine(ch);
                String reply = request == null ? "error: empty request\n" : answer(request);
                ch.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                // a client that went away mid-request: serve the next one
            }
        }
    }

    private static String readLine(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                break;
            }
            byte[] a = buf.array();
            for (int i = 0; i < buf.position(); i++) {
                if (a[i] == '\n') {
                    return new String(a, 0, i, StandardCharsets.UTF_8).strip();
                }
            }
        }
        String s = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? null : s;
    }

    /** Parses and runs one request on the node loop; any failure becomes one error line. */
    String answer(String request) {
        List<String> words = new ArrayList<>(Arrays.asList(request.trim().split("\\s+")));
        String verb = words.remove(0);
        Command c;
        synchronized (this) {
            c = commands.get(verb);
        }
        if (c == null) {
            return "error: unknown command '" + verb + "' (try: " + String.join(", ", help.keySet()) + ")\n";
        }
        CompletableFuture<String> reply = new CompletableFuture<>();
        loop.submit(() -> {
            try {
                reply.complete(c.run(words));
            } catch (IllegalArgumentException e) {
                reply.complete("error: " + e.getMessage() + "\n");
            } catch (RuntimeException e) {
                reply.complete("error: " + verb + " failed: " + e + "\n");
            }
        });
        try {
            String r = reply.get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return r.endsWith("\n") ? r : r + "\n";
        } catch (Exception e) {
            return "error: the node loop did not answer within " + REPLY_TIMEOUT_SECONDS + " s\n";
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the run directory goes with the rack
        }
    }

    /**
     * The client side: sends {@code request} to the socket at {@code path} and returns the
     * reply. Throws {@link IOException} when no node listens there.
     */
    public static String request(Path path, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            ch.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            while (ch.read(buf) >= 0) {
                buf.flip();
                out.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
