package io.capybara.interop;

import io.capybara.io.linux.Topology;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A python3 TCP server in a namespace, one thread per connection, driven by a command line:
 * {@code SEND n} sends n bytes (a seeded random 1 MiB block repeated), prints their SHA-256,
 * and closes at once (the server closes first); {@code SINK} reads to EOF, prints the count and
 * SHA-256 of what it read, then closes (the client closed first). Results arrive as lines
 * {@code RESULT SEND|SINK count sha256}.
 */
final class PythonPeer {
    static final String SCRIPT = String.join("\n",
            "import socket, sys, hashlib, threading, random",
            "def handle(c):",
            "    line = b''",
            "    while not line.endswith(b'\\n'):",
            "        d = c.recv(1)",
            "        if not d: return",
            "        line += d",
            "    cmd, *args = line.decode().split()",
            "    if cmd == 'SEND':",
            "        n = int(args[0]); h = hashlib.sha256(); left = n; i = 0",
            "        while left > 0:", // a fresh 1 MiB per block: the stream never repeats
            "            b = random.Random(n * 1000003 + i).randbytes(min(left, 1 << 20)); i += 1",
            "            c.sendall(b); h.update(b); left -= len(b)",
            "        print('RESULT SEND', n, h.hexdigest(), flush=True)",
            "        c.close()",
            "    elif cmd == 'SINK':",
            "        h = hashlib.sha256(); n = 0",
            "        while True:",
            "            d = c.recv(1 << 20)",
            "            if not d: break",
            "            h.update(d); n += len(d)",
            "        print('RESULT SINK', n, h.hexdigest(), flush=True)",
            "        c.close()",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(8)",
            "print('READY', flush=True)",
            "while True:",
            "    c, _ = s.accept(); threading.Thread(target=handle, args=(c,), daemon=True).start()",
            "");

    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    PythonPeer(Topology topo, String namespace, int port) throws InterruptedException {
        Process p = topo.start(namespace, "python3", "-c", SCRIPT, Integer.toString(port));
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process was stopped
            }
        }, "python-peer-out");
        reader.setDaemon(true);
        reader.start();
        String ready = lines.poll(10, TimeUnit.SECONDS);
        if (!"READY".equals(ready)) {
            throw new IllegalStateException("python peer did not start: " + ready);
        }
    }

    /** The next {@code RESULT} line's fields {kind, count, sha256}; fails after {@code seconds}. */
    String[] result(long seconds) throws InterruptedException {
        String l = lines.poll(seconds, TimeUnit.SECONDS);
        if (l == null || !l.startsWith("RESULT ")) {
            throw new AssertionError("no result from the python peer: " + l);
        }
        return l.substring(7).split(" ");
    }

}
