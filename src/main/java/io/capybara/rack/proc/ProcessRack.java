package io.capybara.rack.proc;

import io.capybara.io.linux.Topology;
import io.capybara.lab.LabRack;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A rack of separate processes on this machine, and its supervisor (this object, in the JVM
 * that built it): a network namespace per node and per client, a veth pair from each server
 * and each client to the switch (offloads off, no kernel address on the nodes' ends), and the
 * switch and every server as its own JVM ({@code ./capybara switch}, {@code ./capybara server
 * --switch}) inside its namespace, with its log, control socket and the rack's state file in
 * the run directory.
 *
 * <p>Supervision: {@link #close()} (also from the JVM's shutdown hook on Ctrl-C or SIGTERM)
 * stops the nodes (SIGTERM, then SIGKILL) and removes every namespace and link. A node that
 * exits on its own brings the whole rack down, unless {@code keepGoing} (the crash tests); the
 * nodes watch the supervisor's PID and exit when it is gone, and {@link #down(Path)} cleans up
 * after a supervisor that was killed (from the state file; {@link Topology#removeStale()}
 * removes namespaces and links of dead PIDs).
 *
 * <p>Addresses: servers 10.77.250.10+i/24, the switch 10.77.250.254 (the servers' gateway,
 * answering ARP), clients 10.77.251.10+j/24 with a route to the servers via the switch.
 */
public final class ProcessRack implements AutoCloseable {
    public static final int SWITCH_IP = LabRack.SERVER_SUBNET + 254;
    public static final int CLIENT_SUBNET = LabRack.SERVER_SUBNET + 0x100; // 10.77.251.0/24
    static final String STATE_FILE = "rack.state";
    private static final long READY_TIMEOUT_NANOS = 120_000_000_000L;

    /** One node process. */
    public record NodeInfo(String name, String role, String namespace, int ip, Process process, Path socket,
                           Path log) {
        public long pid() {
            return process.pid();
        }
    }

    /** One client namespace. */
    public record ClientInfo(String name, String namespace, int ip, String device) {
    }

    private final ProcessRackOptions o;
    private final PrintStream log;
    private final Topology topo;
    private final List<NodeInfo> nodes = new ArrayList<>();
    private final List<ClientInfo> clients = new ArrayList<>();
    private final List<String> links = new ArrayList<>();
    private volatile boolean closing;
    /** Command lines by node name (to restart one), and nodes being restarted (their exit is expected). */
    private final Map<String, List<String>> commands = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each node's metrics port (on 127.0.0.1 in its namespace): the node serves Prometheus text there. */
    private final Map<String, Integer> metricsPorts = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<String> restarting = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile String failure;
    private Thread hook;

    private ProcessRack(ProcessRackOptions o, PrintStream log) {
        this.o = o;
        this.log = log;
        this.topo = Topology.create();
    }

    /** Why a rack cannot be built here, or null. */
    public static String problem() {
        return Topology.netAdminProblem();
    }

    /** Builds the network, starts the nodes in parallel, waits until each answers on its control socket. */
    public static ProcessRack up(ProcessRackOptions o, PrintStream log) throws IOException, InterruptedException {
        String p = problem();
        if (p != null) {
            throw new IllegalStateException("rack cannot run: " + p);
        }
        Path state = o.dir().resolve(STATE_FILE);
        if (Files.exists(state)) {
            long pid = supervisorPid(state);
            if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                throw new IllegalArgumentException("rack '" + o.name() + "' is already up (supervisor pid " + pid
                        + "); run 'rack down' first");
            }
            down(o.dir()); // leftovers of a supervisor that was killed
        }
        Files.createDirectories(o.dir());
        ProcessRack r = new ProcessRack(o, log == null ? new PrintStream(java.io.OutputStream.nullOutputStream()) : log);
        r.hook = new Thread(r::close, "capybara-rack-down");
        Runtime.getRuntime().addShutdownHook(r.hook);
        try {
            r.build();
            return r;
        } catch (IOException | InterruptedException | RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private void build() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        String swNs = topo.namespace();
        List<String> ports = new ArrayList<>();
        List<String> hosts = new ArrayList<>();
        for (int j = 0; j < o.clients(); j++) {
            String ns = topo.namespace();
            long mac = 0x02CA_FB00_0000L + 10 + j;
            Topology.VethLink v = topo.vethUnaddressed(ns, mac, swNs, LabRack.SWITCH_MAC);
            links.add(v.nameA());
            int ip = CLIENT_SUBNET + 10 + j;
            topo.run(ns, "ip", "link", "set", v.nameA(), "arp", "on");
            topo.run(ns, "ip", "addr", "add", Ipv4Address.format(ip) + "/24", "dev", v.nameA());
            topo.run(ns, "ip", "route", "add", Ipv4Address.format(LabRack.SERVER_SUBNET) + "/24", "via",
                    Ipv4Address.format(SWITCH_IP), "dev", v.nameA(), "onlink");
            clients.add(new ClientInfo("c" + j, ns, ip, v.nameA()));
            hosts.add("client " + Ipv4Address.format(ip) + " " + MacAddress.format(mac) + " " + ports.size());
            ports.add(v.nameB());
        }
        List<String[]> serverLinks = new ArrayList<>();
        for (int i = 0; i < o.servers(); i++) {
            String ns = topo.namespace();
            Topology.VethLink v = topo.vethUnaddressed(ns, LabRack.serverMac(i), swNs, LabRack.SWITCH_MAC);
            links.add(v.nameA());
            hosts.add("server " + Ipv4Address.format(LabRack.serverIp(i)) + " " + MacAddress.format(LabRack.serverMac(i))
                    + " " + ports.size());
            ports.add(v.nameB());
            serverLinks.add(new String[] {ns, v.nameA()});
        }
        StringBuilder conf = new StringBuilder("# written by rack up\n");
        conf.append("switch ").append(Ipv4Address.format(SWITCH_IP)).append(' ')
                .append(MacAddress.format(LabRack.SWITCH_MAC)).append('\n');
        conf.append(o.vip() ? "levels 4\n" : "levels 2\n").append("idle-timeout-ms 0\n");
        if (o.vip()) {
            conf.append("vip ").append(Ipv4Address.format(LabRack.VIP)).append(' ').append(o.appPort()).append('\n');
        }
        conf.append("heartbeat-stale-ms ").append((long) o.staleMs()).append('\n');
        conf.append("arp answer\n");
        for (int p = 0; p < ports.size(); p++) {
            conf.append("port ").append(p).append(" packet:").append(ports.get(p)).append('\n');
        }
        for (String h : hosts) {
            conf.append(h).append('\n');
        }
        Path swConf = o.dir().resolve("switch.conf");
        Files.writeString(swConf, conf.toString());
        long supervisor = ProcessHandle.current().pid();
        log.printf("rack %s: network ready in %.1f s; starting the switch and %d servers%n", o.name(),
                (System.nanoTime() - t0) / 1e9, o.servers());
        // Every JVM starts at once: start-up is mostly class loading and JIT, in parallel on both cores.
        start("switch", "switch", swNs, SWITCH_IP, List.of("switch", "--config", swConf.toString(),
                "--control", socket("switch").toString(), "--supervisor", Long.toString(supervisor), "--spin-us",
                Long.toString(o.spinMicros())));
        Path[] pem = null;
        if (o.app().equals("https")) { // one certificate for every server: a moved session's peer never changes
            pem = new Path[] {o.dir().resolve("server.crt"), o.dir().resolve("server.key")};
            io.capybara.tls.TlsIdentity.selfSigned("capybara.rack", java.time.Instant.now(),
                    new java.security.SecureRandom()).writePem(pem[0], pem[1]);
        }
        for (int i = 0; i < o.servers(); i++) {
            List<String> args = new ArrayList<>(List.of("server", "--packet-if", serverLinks.get(i)[1], "--ip",
                    Ipv4Address.format(LabRack.serverIp(i)) + "/24", "--switch", Ipv4Address.format(SWITCH_IP), "--app",
                    o.app(), "--control", socket("s" + i).toString(), "--supervisor", Long.toString(supervisor),
                    "--spin-us", Long.toString(o.spinMicros()), "--heartbeat-ms", Double.toString(o.heartbeatMs()),
                    "--migrate-every-ms", Double.toString(o.migrateEveryMs())));
            if (o.jitWarmup()) {
                args.add("--jit-warmup");
            }
            args.addAll(o.serverArgs());
            if (pem != null) {
                args.addAll(List.of("--cert", pem[0].toString(), "--key", pem[1].toString()));
            }
            String crash = o.crashAt().get(i);
            if (crash != null) {
                args.add("--crash-at");
                args.add(crash);
            }
            start("s" + i, "server", serverLinks.get(i)[0], LabRack.serverIp(i), args);
        }
        writeState("starting");
        awaitReady();
        watch();
        writeState("ready");
        log.printf("rack %s: %d processes up in %.1f s (pids %s), run directory %s%n", o.name(), nodes.size(),
                (System.nanoTime() - t0) / 1e9, pids(), o.dir());
        StringBuilder m = new StringBuilder();
        for (NodeInfo n : nodes) {
            m.append(m.isEmpty() ? "" : ", ").append(n.name()).append(' ').append(metricsAddress(n.name()));
        }
        log.printf("rack %s: metrics (Prometheus text, in each node's namespace: ip netns exec NS curl"
                + " http://ADDR/metrics): %s%n", o.name(), m);
    }

    /**
     * A port for a node's metrics endpoint. The node listens on 127.0.0.1 of its own namespace,
     * where nothing else runs; a port free on this host's loopback keeps the rack's ports distinct
     * so that one list of them (rack status) is unambiguous.
     */
    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A node's metrics address, {@code 127.0.0.1:PORT} inside its namespace. */
    public String metricsAddress(String node) {
        return "127.0.0.1:" + metricsPorts.get(node);
    }

    private Path socket(String node) {
        return o.dir().resolve(node + ".sock");
    }

    private void start(String name, String role, String ns, int ip, List<String> args) throws IOException {
        if (!commands.containsKey(name)) { // a restart keeps its command line, port included
            int port = freePort();
            metricsPorts.put(name, port);
            args = new ArrayList<>(args);
            args.addAll(List.of("--metrics", "127.0.0.1:" + port));
        }
        commands.put(name, List.copyOf(args));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(javaCommand(o.nodeJvmFlags()));
        cmd.addAll(args);
        Path logFile = o.dir().resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        NodeInfo info = new NodeInfo(name, role, ns, ip, p, socket(name), logFile);
        synchronized (nodes) {
            nodes.removeIf(n -> n.name().equals(name));
            nodes.add(info);
        }
    }

    /**
     * Stops one node (SIGTERM, then SIGKILL after 10 s) and starts it again with the same command
     * line, in the same namespace; returns once it answers on its control socket. The rack stays
     * up meanwhile (this exit is expected).
     */
    public NodeInfo restart(String name) throws IOException, InterruptedException {
        NodeInfo old = node(name);
        restarting.add(name);
        try {
            old.process().destroy();
            if (!old.process().waitFor(10, TimeUnit.SECONDS)) {
                old.process().destroyForcibly().waitFor();
            }
            Files.deleteIfExists(old.socket());
            log.printf("rack %s: %s (pid %d) stopped; starting it again%n", o.name(), name, old.pid());
            start(name, old.role(), old.namespace(), old.ip(), commands.get(name));
        } finally {
            restarting.remove(name);
        }
        NodeInfo fresh = node(name);
        awaitReady(fresh);
        watch(fresh);
        writeState("ready");
        return fresh;
    }

    /**
     * The command that starts a node JVM like this one: same java, class path and the flags FFM
     * and Agrona need; a small heap and the serial collector (a node allocates little, and two
     * cores are shared by five processes).
     */
    public static List<String> javaCommand(String extraFlags) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--enable-native-access") || a.startsWith("--add-exports") || a.startsWith("--add-opens")
                    || a.startsWith("-Xss")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xms64m", "-Xmx512m", "-XX:-UsePerfData"));
        if (extraFlags != null && !extraFlags.isBlank()) {
            cmd.addAll(Arrays.asList(extraFlags.trim().split("\\s+")));
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.capybara.cli.Main");
        return cmd;
    }

    private void awaitReady() throws InterruptedException {
        for (NodeInfo n : nodes) {
            awaitReady(n);
        }
    }

    private void awaitReady(NodeInfo n) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
        {
            while (true) {
                if (!n.process().isAlive()) {
                    throw new IllegalStateException("node " + n.name() + " exited with " + n.process().exitValue()
                            + " while starting: " + tail(n.log()));
                }
                try {
                    String r = ControlServer.request(n.socket(), "status");
                    if (r.startsWith("role ")) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("node " + n.name() + " did not answer on " + n.socket()
                            + " within " + READY_TIMEOUT_NANOS / 1_000_000_000L + " s: " + tail(n.log()));
                }
                Thread.sleep(50);
            }
        }
    }

    /** Reacts to a node exiting by itself: logged; the rack comes down unless keepGoing. */
    private void watch() {
        for (NodeInfo n : nodes) {
            watch(n);
        }
    }

    private void watch(NodeInfo n) {
        {
            n.process().onExit().thenAccept(p -> {
                if (closing || restarting.contains(n.name()) || !isCurrent(n)) {
                    return; // the rack is coming down, or this node was restarted on purpose
                }
                String what = "node " + n.name() + " (pid " + p.pid() + ") exited with " + p.exitValue();
                log.println("rack " + o.name() + ": " + what);
                if (!o.keepGoing()) {
                    failure = what;
                    Thread.ofPlatform().start(this::close);
                }
            });
        }
    }

    static String tail(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private void writeState(String status) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("supervisor ").append(ProcessHandle.current().pid()).append('\n');
        sb.append("status ").append(status).append('\n');
        sb.append("name ").append(o.name()).append('\n');
        for (NodeInfo n : nodes) {
            sb.append("node ").append(n.name()).append(' ').append(n.role()).append(' ').append(n.namespace())
                    .append(' ').append(Ipv4Address.format(n.ip())).append(' ').append(n.pid()).append('\n');
        }
        for (NodeInfo n : nodes) {
            sb.append("metrics ").append(n.name()).append(' ').append(n.namespace()).append(' ')
                    .append(metricsAddress(n.name())).append('\n');
        }
        for (ClientInfo c : clients) {
            sb.append("client ").append(c.name()).append(' ').append(c.namespace()).append(' ')
                    .append(Ipv4Address.format(c.ip())).append('\n');
        }
        for (String ns : topo.namespaces()) {
            sb.append("namespace ").append(ns).append('\n');
        }
        for (String l : links) {
            sb.append("link ").append(l).append('\n');
        }
        Path tmp = o.dir().resolve(STATE_FILE + ".tmp");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, o.dir().resolve(STATE_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    // ------------------------------------------------------------------ use

    public ProcessRackOptions options() {
        return o;
    }

    public Topology topology() {
        return topo;
    }

    public List<NodeInfo> nodes() {
        return List.copyOf(nodes);
    }

    private boolean isCurrent(NodeInfo n) {
        synchronized (nodes) {
            return nodes.contains(n);
        }
    }

    public NodeInfo node(String name) {
        for (NodeInfo n : nodes) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("no node '" + name + "' in rack " + o.name());
    }

    public List<ClientInfo> clients() {
        return List.copyOf(clients);
    }

    /** PIDs of the switch and the servers, in node order. */
    public List<Long> pids() {
        return nodes.stream().map(NodeInfo::pid).toList();
    }

    /** Why the rack came down by itself (a node died), or null. */
    public String failure() {
        return failure;
    }

    /** Sends one control request to a node; an error reply stays a string starting "error:". */
    public String ctl(String node, String request) throws IOException {
        return ControlServer.request(node(node).socket(), request);
    }

    /** The status of a node as key -> value (first word -> rest of the line). */
    public Map<String, String> status(String node) throws IOException {
        return keyValues(ctl(node, "status"));
    }

    public static Map<String, String> keyValues(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                m.putIfAbsent(line.substring(0, sp), line.substring(sp + 1));
            }
        }
        return m;
    }

    /**
     * CPU seconds (user + system) that the processes have used so far, from /proc/PID/stat
     * (fields 14 and 15, in clock ticks of 1/100 s on Linux).
     */
    public static double cpuSeconds(List<Long> pids) throws IOException {
        long ticks = 0;
        for (long pid : pids) {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) is in parentheses and may contain spaces
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        }
        return ticks / 100.0;
    }

    /** Measures the nodes' CPU over {@code seconds}: the share of one core they used together. */
    public double idleCoreShare(double seconds) throws IOException, InterruptedException {
        List<Long> pids = pids();
        double c0 = cpuSeconds(pids);
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        double c1 = cpuSeconds(pids);
        return (c1 - c0) / ((System.nanoTime() - t0) / 1e9);
    }

    public static String serverName(int i) {
        return "s" + i;
    }

    // ------------------------------------------------------------------ down

    /** Stops every node (SIGTERM, then SIGKILL after 3 s), removes the network and the run directory. */
    @Override
    public synchronized void close() {
        if (closing && nodes.isEmpty()) {
            return;
        }
        closing = true;
        for (NodeInfo n : nodes) {
            n.process().destroy();
        }
        for (NodeInfo n : nodes) {
            try {
                if (!n.process().waitFor(3, TimeUnit.SECONDS)) {
                    n.process().destroyForcibly();
                    n.process().waitFor(3, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                n.process().destroyForcibly();
            }
        }
        nodes.clear();
        try {
            topo.close();
        } catch (RuntimeException e) {
            log.println("rack " + o.name() + ": " + e.getMessage());
        }
        try {
            Files.deleteIfExists(o.dir().resolve(STATE_FILE));
            for (String f : new String[] {"switch.conf", "server.crt", "server.key"}) { // (the PEM files of --app https)
                Files.deleteIfExists(o.dir().resolve(f));
            }
        } catch (IOException ignored) {
            // the logs stay for a post-mortem
        }
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // we are the hook
            }
        }
    }

    // ------------------------------------------------------------------ from another process

    static long supervisorPid(Path stateFile) throws IOException {
        for (String line : Files.readAllLines(stateFile)) {
            if (line.startsWith("supervisor ")) {
                return Long.parseLong(line.substring(11).trim());
            }
        }
        return -1;
    }

    /** The state file's lines of one kind, split into words (without the kind). */
    public static List<String[]> stateLines(Path dir, String kind) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        if (!Files.exists(f)) {
            throw new IllegalArgumentException("no rack in " + dir + " (no " + STATE_FILE + "); is it up?");
        }
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(f)) {
            String[] w = line.trim().split("\\s+");
            if (w[0].equals(kind)) {
                out.add(Arrays.copyOfRange(w, 1, w.length));
            }
        }
        return out;
    }

    /**
     * {@code rack down} from another process: SIGTERM to the supervisor (which takes everything
     * down) and wait; if the supervisor is gone, kill the nodes and remove the namespaces and
     * links the state file lists.
     *
     * @return what was done, one line
     */
    public static String down(Path dir) throws IOException, InterruptedException {
        Path f = dir.resolve(STATE_FILE);
        if (!Files.exists(f)) {
            throw new IllegalArgumentException("no rack in " + dir + " (no " + STATE_FILE + ")");
        }
        long pid = supervisorPid(f);
        var sup = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (sup.isPresent()) {
            sup.get().destroy();
            try {
                sup.get().onExit().get(30, TimeUnit.SECONDS);
                return "supervisor " + pid + " stopped the rack";
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                sup.get().destroyForcibly();
            }
        }
        int killed = 0;
        for (String[] n : stateLines(dir, "node")) {
            var h = ProcessHandle.of(Long.parseLong(n[4])).filter(ProcessHandle::isAlive);
            // only if it is still our node (a recycled pid would not carry our run directory)
            if (h.isPresent() && h.get().info().arguments().map(a -> String.join(" ", a).contains(dir.toString()))
                    .orElse(false)) {
                h.get().destroyForcibly();
                killed++;
            }
        }
        Thread.sleep(200);
        for (String[] l : stateLines(dir, "link")) {
            if (Files.exists(Path.of("/sys/class/net", l[0]))) {
                Topology.exec("ip", "link", "del", l[0]);
            }
        }
        for (String[] ns : stateLines(dir, "namespace")) {
            if (Files.exists(Path.of("/run/netns", ns[0]))) {
                Topology.exec("ip", "netns", "del", ns[0]);
            }
        }
        Files.deleteIfExists(f);
        return "supervisor " + pid + " was gone: killed " + killed + " nodes, removed namespaces and links";
    }
}
