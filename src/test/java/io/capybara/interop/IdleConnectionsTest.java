package io.capybara.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.linux.NetAdmin;
import io.capybara.io.linux.Topology;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: {@code ./capybara server} (its own JVM, AF_PACKET on a veth) holding 20,000 idle
 * connections of real Linux sockets from four source addresses in a namespace. While they are
 * open, the server's CPU is under 5% of a core, and a curl request takes at most 1.5 times what
 * it takes on an empty server.
 *
 * <p>Robust on a shared machine: the empty server runs at the same time on a second veth and
 * the curls alternate between the two servers, so both medians see the same machine; CPU is the
 * median of three 3-second windows of the process's own CPU time; each check is retried a
 * bounded number of times (a spinning or linear-in-connections server fails them all).
 *
 * <p>Why a client process per source address: the open-file limit here is 20,000 and cannot be
 * raised (no CAP_SYS_RESOURCE), so one process cannot hold 20,000 sockets (EMFILE), which a
 * single-process client runs into with no error visible from the server.
 */
class IdleConnectionsTest {
    static final int CONNECTIONS = 20_000;
    static final int SOURCES = 4;
    static final double MAX_IDLE_CPU = 0.05;
    static final double MAX_LATENCY_RATIO = 1.5;
    static final int CURLS = 41;
    static final int ATTEMPTS = 3;

    /**
     * SERVER PORT COUNT BUDGET HOLD SRC...: COUNT non-blocking connects spread over the source
     * addresses, one forked process each, at most 256 connecting at once per process; prints
     * 'ready N failed F' when all are established (or BUDGET seconds passed), then holds them
     * until stdin closes or HOLD seconds pass.
     */
    static final String CLIENT = """
            import os, resource, select, socket, sys, time
            server, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            budget, hold, sources = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6:]
            def run(src, n, out):
                soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
                ep, pending, socks, failed, started = select.epoll(), {}, [], 0, 0
                deadline = time.time() + budget
                while len(socks) < n and time.time() < deadline:
                    while started < n and len(pending) < 256:
                        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                        s.bind((src, 0))
                        s.setblocking(False)
                        try:
                            s.connect((server, port))
                        except BlockingIOError:
                            pass
                        pending[s.fileno()] = s
                        ep.register(s.fileno(), select.EPOLLOUT)
                        started += 1
                    for fd, ev in ep.poll(0.5):
                        s = pending.pop(fd)
                        ep.unregister(fd)
                        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                            failed += 1
                            s.close()
                            started -= 1
                        else:
                            socks.append(s)
                os.write(out, ('%d %d' % (len(socks), failed) + chr(10)).encode())
                select.select([sys.stdin], [], [], hold)
                os._exit(0)
            r, w = os.pipe()
            per = [count // len(sources) + (1 if i < count % len(sources) else 0) for i in range(len(sources))]
            t0 = time.time()
            for src, n in zip(sources, per):
                if os.fork() == 0:
                    os.close(r)
                    run(src, n, w)
            os.close(w)
            done = failed = 0
            with os.fdopen(r) as f:
                for _ in sources:
                    line = f.readline().split()
                    if not line:
                        break
                    done, failed = done + int(line[0]), failed + int(line[1])
            print('ready %d failed %d in %.1f s' % (done, failed, time.time() - t0), flush=True)
            select.select([sys.stdin], [], [], hold)
            """;

    /** User + system CPU time of a process, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v[v.length / 2];
    }

    /** The median of three windows of {@code seconds}: the process's CPU as a fraction of one core. */
    static double idleCpu(long pid, double seconds, double ticksPerSecond) throws Exception {
        List<Double> windows = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            long t0 = System.nanoTime();
            long c0 = cpuTicks(pid);
            Thread.sleep((long) (seconds * 1000));
            long c1 = cpuTicks(pid);
            double wall = (System.nanoTime() - t0) / 1e9;
            windows.add((c1 - c0) / ticksPerSecond / wall);
        }
        return median(windows);
    }

    @Test
    void twentyThousandIdleKernelConnectionsCostNeitherCpuNorLatency() throws Exception {
        NetAdmin.assumeNetAdminAnd("curl", "python3");
        Path loadedOut = Files.createTempFile("idle-loaded", ".out");
        Path emptyOut = Files.createTempFile("idle-empty", ".out");
        try (Topology topo = Topology.create()) {
            String ns = topo.namespace();
            Topology.VethLink loaded = topo.veth(ns, null);
            Topology.VethLink empty = topo.veth(ns, null);
            String loadedIp = Topology.ipv4(loaded.addressB());
            String emptyIp = Topology.ipv4(empty.addressB());
            List<String> sources = new ArrayList<>();
            for (int i = 0; i < SOURCES; i++) {
                String src = Topology.ipv4(loaded.addressA() + 10 + i); // .11 ... of the client's /24
                topo.run(ns, "ip", "addr", "add", src + "/24", "dev", loaded.nameA());
                sources.add(src);
            }
            // the same options for both; a head timeout longer than the test keeps the idle ones open
            String[] options = {"--header-timeout-ms", "600000"};
            Process server = topo.own(new SynFloodTest.ProcessCloser(SynFloodTest.startServer(loaded.rootEnd(),
                    loadedIp, Topology.ipv4(loaded.addressA()), loadedOut, "768m", 600, options))).process();
            topo.own(new SynFloodTest.ProcessCloser(SynFloodTest.startServer(empty.rootEnd(), emptyIp,
                    Topology.ipv4(empty.addressA()), emptyOut, "256m", 600, options)));
            for (String ip : List.of(loadedIp, emptyIp)) {
                double first = -1;
                for (int i = 0; i < 200 && first < 0; i++) {
                    first = SynFloodTest.curl(topo, ns, ip);
                    if (first < 0) {
                        Thread.sleep(100);
                    }
                }
                assertTrue(first >= 0, "server " + ip + " never answered: " + Files.readString(loadedOut)
                        + Files.readString(emptyOut));
            }
            long t0 = System.nanoTime();
            alternate(topo, ns, loadedIp, emptyIp, 100); // both JITs warm
            long t1 = System.nanoTime();

            List<String> clientCmd = new ArrayList<>(List.of("python3", "-c", CLIENT, loadedIp, "80",
                    Integer.toString(CONNECTIONS), "30", "150"));
            clientCmd.addAll(sources);
            Process clients = topo.start(ns, clientCmd.toArray(String[]::new));
            // closing stdin releases the connections (the forked holders read it too)
            topo.own(() -> clients.getOutputStream().close());
            BufferedReader lines = new BufferedReader(new InputStreamReader(clients.getInputStream(),
                    StandardCharsets.UTF_8));
            String ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return lines.readLine();
                } catch (IOException e) {
                    return "error " + e;
                }
            }).get(60, TimeUnit.SECONDS);
            // (lazily: reading the clients' stderr blocks while they hold their connections)
            assertTrue(ready != null && ready.startsWith("ready " + CONNECTIONS + " "), () -> "clients: " + ready);
            long t2 = System.nanoTime();
            Thread.sleep(2_000); // the server's collector and compiler settle after the burst of handshakes

            double ticks = Double.parseDouble(Topology.exec("getconf", "CLK_TCK").trim());
            List<Double> cpus = new ArrayList<>();
            for (int a = 0; a < ATTEMPTS && (cpus.isEmpty() || cpus.getLast() >= MAX_IDLE_CPU); a++) {
                cpus.add(idleCpu(server.pid(), 3.0, ticks));
            }
            List<double[]> medians = new ArrayList<>();
            for (int a = 0; a < ATTEMPTS && (medians.isEmpty()
                    || medians.getLast()[0] > MAX_LATENCY_RATIO * medians.getLast()[1]); a++) {
                medians.add(alternate(topo, ns, loadedIp, emptyIp, CURLS));
            }
            long t3 = System.nanoTime();
            String idleSockets = topo.run(ns, "ss", "-s");
            server.destroy(); // the shutdown hook prints the final counters, connections included
            assertTrue(server.waitFor(20, TimeUnit.SECONDS), "server did not stop");
            String log = Files.readString(loadedOut);
            StringBuilder latency = new StringBuilder();
            for (double[] m : medians) {
                latency.append(String.format(" %.2f ms vs %.2f ms empty (%.2fx);", m[0] * 1e3, m[1] * 1e3,
                        m[0] / m[1]));
            }
            System.out.printf("idle connections: %s; server cpu %s of a core; curl median%s%n"
                    + "warm-up %.1f s, connecting %.1f s, measuring %.1f s%nserver: %s%n", ready, cpus, latency,
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, log);
            String connections = log.replaceAll("(?s).*\"connections\":(\\d+).*", "$1");
            assertTrue(Integer.parseInt(connections) >= CONNECTIONS, "server held " + connections + "; clients: "
                    + idleSockets + "\n" + log);
            assertTrue(cpus.getLast() < MAX_IDLE_CPU, "idle CPU " + cpus + " of a core with " + CONNECTIONS
                    + " connections");
            double[] last = medians.getLast();
            assertTrue(last[0] <= MAX_LATENCY_RATIO * last[1], "curl latency with " + CONNECTIONS
                    + " idle connections against an empty server:" + latency);
            assertEquals(0, Long.parseLong(log.replaceAll("(?s).*\"tcp_backlog_drops\":(\\d+).*", "$1")), log);
        } finally {
            Files.deleteIfExists(loadedOut);
            Files.deleteIfExists(emptyOut);
        }
    }

    /**
     * {@code n} requests to each server, alternating (so that both see the same moments of a
     * noisy machine), from one curl process (its start-up is not in the times): each on a new
     * connection ('Connection: close'), so each time is curl's own time_total of connect, request
     * and response; every one must succeed. Returns the medians {loaded, empty} in seconds.
     */
    static double[] alternate(Topology topo, String ns, String loadedIp, String emptyIp, int n) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-m", "5", "-H", "Connection: close",
                "-w", "%{http_code} %{time_total}\n"));
        for (int i = 0; i < 2 * n; i++) {
            boolean toLoaded = (i % 4 == 0 || i % 4 == 3); // L E E L L E E L ...: neither always goes first
            cmd.addAll(List.of("-o", "/dev/null", "http://" + (toLoaded ? loadedIp : emptyIp) + "/bytes/100"));
        }
        String[] lines = topo.run(ns, cmd.toArray(String[]::new)).trim().split("\n");
        assertEquals(2 * n, lines.length, String.join("\n", lines));
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        for (int i = 0; i < 2 * n; i++) {
            String[] f = lines[i].trim().split(" ");
            boolean toLoaded = (i % 4 == 0 || i % 4 == 3);
            assertEquals("200", f[0], "request " + i + " to the " + (toLoaded ? "loaded" : "empty") + " server");
            (toLoaded ? a : b).add(Double.parseDouble(f[1]));
        }
        return new double[] {median(a), median(b)};
    }
}
