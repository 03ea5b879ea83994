package io.capybara.rack.proc;

import io.capybara.wire.Ipv4Address;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One live connection from an unmodified client: a python3 socket in a client namespace,
 * connected to a server's echo port, that on request sends a line and checks the echo
 * ({@link #ping()}: "ok", "bad" or "lost ..." after 3 s without an answer) or measures round
 * trips ({@link #rtt}). Used by {@code rack bench} and the crash tests.
 */
public final class EchoHolder implements AutoCloseable {
    static final String SCRIPT = """
            import socket, sys, time
            s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(3)
            print(s.getsockname()[1], flush=True)
            n = 0
            def ping():
                global n
                n += 1
                msg = ("ping %d\\n" % n).encode()
                s.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    chunk = s.recv(len(msg) - len(got))
                    if not chunk:
                        raise EOFError("closed")
                    got += chunk
                return got == msg
            for line in sys.stdin:
                w = line.split()
                try:
                    if w and w[0] == "rtt":  # rtt COUNT GAP_MS: round trips in microseconds
                        rtts = []
                        for i in range(int(w[1])):
                            time.sleep(float(w[2]) / 1000)
                            t0 = time.perf_counter_ns()
                            if not ping():
                                raise ValueError("bad echo")
                            rtts.append(time.perf_counter_ns() - t0)
                        rtts.sort()
                        print("rtt %.1f %.1f" % (rtts[len(rtts) // 2] / 1000, rtts[int(len(rtts) * 0.99)] / 1000),
                              flush=True)
                    else:
                        print("ok" if ping() else "bad", flush=True)
                except Exception as e:
                    print("lost %r" % e, flush=True)
            """;

    private final Process process;
    private final BufferedReader in;
    private final OutputStream out;
    private final String client;

    private EchoHolder(Process process, BufferedReader in, OutputStream out, String client) {
        this.process = process;
        this.in = in;
        this.out = out;
        this.client = client;
    }

    /** Connects from client {@code c} to {@code serverIp}:7. */
    public static EchoHolder open(ProcessRack rack, ProcessRack.ClientInfo c, int serverIp) throws IOException {
        Process p = rack.topology().start(c.namespace(), "python3", "-c", SCRIPT, Ipv4Address.format(serverIp), "7");
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String portLine = in.readLine();
        if (portLine == null) {
            throw new IllegalStateException("the python client did not connect: "
                    + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        return new EchoHolder(p, in, p.getOutputStream(), Ipv4Address.format(c.ip()) + ":" + portLine.trim());
    }

    /** CLIENT_IP:PORT of the connection, as the servers see it. */
    public String client() {
        return client;
    }

    /** One echo round: "ok", "bad" or "lost ...". */
    public String ping() throws IOException {
        return request("p");
    }

    /** {@code count} echo round trips, {@code gapMillis} apart: {p50, p99} in microseconds. */
    public double[] rtt(int count, double gapMillis) throws IOException {
        String r = request("rtt " + count + " " + gapMillis);
        if (r == null || !r.startsWith("rtt ")) {
            throw new IllegalStateException("rtt failed: " + r);
        }
        String[] w = r.split(" ");
        return new double[] {Double.parseDouble(w[1]), Double.parseDouble(w[2])};
    }

    private String request(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return in.readLine();
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // it is going anyway
        }
        process.destroy();
    }
}
