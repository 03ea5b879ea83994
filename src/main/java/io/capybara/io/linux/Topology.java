package io.capybara.io.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throw-away Linux network for tests and the CLI: network namespaces, veth pairs and TAP
 * links, all removed by {@link #close()} (use try-with-resources), or by a JVM shutdown hook
 * if the JVM exits or is interrupted with topologies still open, or by {@link #removeStale()}
 * (run once per JVM by the first {@link #create}) on the next run if the JVM was killed.
 *
 * <p><b>Names.</b> Every object is named {@code <prefix><pid><kind><counter>[a|b]}: prefix
 * (default {@code cj}, 1-3 of [a-z0-9]), this JVM's pid in base 36 padded to 5 characters, the
 * kind ({@code n} namespace, {@code v} veth, {@code t} tap), a JVM-wide counter in base 36,
 * and for veth ends {@code a}/{@code b}. Example: {@code cj02n9cv3a}. Interface names stay
 * within Linux's 15 bytes; the pid part makes names unique across concurrent JVMs and lets
 * {@link #removeStale()} recognise leftovers of dead ones.
 *
 * <p><b>Interfaces.</b> Every interface created here gets: IPv6 disabled (no router
 * solicitations or DAD noise), offloads off on both ends ({@code ethtool -K rx off tx off tso
 * off gso off gro off}) so frames carry full checksums and never exceed the MTU, and is set
 * up. An end inside a namespace gets an IPv4 address from a /24 of the configured private
 * range (default {@value #DEFAULT_RANGE}); an end left in the root namespace is meant for a
 * user-space stack ({@link PacketChannel}) and gets no address, ARP off and IPv4 forwarding
 * off, so the root kernel never answers or routes for it. Nothing outside the interfaces this
 * class creates is touched.
 *
 * <p><b>No setns.</b> The JVM stays in the root namespace: a TAP is opened in the root
 * namespace and then its kernel side is moved into a namespace; a veth end stays in the root
 * namespace for a {@link PacketChannel}. Processes inside a namespace run through
 * {@code ip netns exec}.
 */
public final class Topology implements AutoCloseable {
    public static final String DEFAULT_PREFIX = "cj";
    public static final String DEFAULT_RANGE = "10.77.0.0/16";
    private static final long COMMAND_TIMEOUT_SECONDS = 30;
    private static final String OFFLOADS_OFF = "rx off tx off tso off gso off gro off";
    /** Shell run inside a namespace (its own /proc/sys/net); no-op on a kernel without IPv6. */
    private static final String IPV6_OFF =
            "if [ -d /proc/sys/net/ipv6 ]; then echo 1 > /proc/sys/net/ipv6/conf/%s/disable_ipv6; fi";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Set<Topology> OPEN = ConcurrentHashMap.newKeySet();
    private static final Pattern VALID_PREFIX = Pattern.compile("[a-z0-9]{1,3}");

    /** An interface pair. An address is configured on an end only if that end is in a namespace. */
    public record VethLink(String nameA, String namespaceA, int addressA,
                           String nameB, String namespaceB, int addressB, int prefixLength) {
        /** The end in the root namespace, for a {@link PacketChannel}; null if none. */
        public String rootEnd() {
            return namespaceA == null ? nameA : namespaceB == null ? nameB : null;
        }
    }

    /**
     * A TAP device: {@code channel} is the user-space side (opened in the root namespace),
     * {@code name} the kernel interface, now in {@code namespace} with {@code kernelAddress}.
     * {@code hostAddress} is reserved in the same /24 for the user-space stack.
     */
    public record TapLink(TapChannel channel, String name, String namespace,
                          int hostAddress, int kernelAddress, int prefixLength) {
    }

    private final String prefix;
    private final String pidPart;
    private final int rangeBase;
    private final int subnetCount;
    private int nextSubnet;
    private boolean closed;
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> rootLinks = new ArrayList<>();
    private final Deque<AutoCloseable> channels = new ArrayDeque<>();
    private final List<Process> processes = new ArrayList<>();

    private Topology(String prefix, String range) {
        if (!VALID_PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("prefix '" + prefix + "' must be 1-3 of [a-z0-9]");
        }
        this.prefix = prefix;
        this.pidPart = pidPart(ProcessHandle.current().pid());
        String[] parts = range.split("/");
        int prefixLength = Integer.parseInt(parts[1]);
        if (prefixLength > 24 || prefixLength < 8) {
            throw new IllegalArgumentException("range " + range + ": prefix length must be 8..24");
        }
        int base = parseIpv4(parts[0]);
        int mask = (int) (0xFFFF_FFFFL << (32 - prefixLength));
        if (!isPrivate(base) || (base & ~mask) != 0) {
            throw new IllegalArgumentException("range " + range + " must be an aligned private (RFC 1918) range");
        }
        this.rangeBase = base;
        this.subnetCount = 1 << (24 - prefixLength);
    }

    /** A topology with the default prefix and range. */
    public static Topology create() {
        return create(DEFAULT_PREFIX, DEFAULT_RANGE);
    }

    public static Topology create(String prefix, String range) {
        Topology t = new Topology(prefix, range);
        ShutdownHook.ensureRegistered(); // also removes leftovers of killed JVMs, once
        OPEN.add(t);
        return t;
    }

    // ---------------------------------------------------------------- building

    /** Creates a namespace with loopback up and IPv6 disabled; returns its name. */
    public synchronized String namespace() {
        ensureOpen();
        String ns = newName('n', "");
        exec("ip", "netns", "add", ns);
        namespaces.add(ns);
        exec("ip", "netns", "exec", ns, "sh", "-c",
                IPV6_OFF.formatted("all") + "; " + IPV6_OFF.formatted("default") + "; ip link set lo up");
        return ns;
    }

    /**
     * Creates a veth pair with end A in {@code namespaceA} and end B in {@code namespaceB}
     * (null = the root namespace) and configures both ends (see the class comment). Ends in a
     * namespace get {@code .1} (A) and {@code .2} (B) of a fresh /24; an end in the root
     * namespace gets no address, and its address in the record is reserved for a user-space
     * stack.
     */
    public synchronized VethLink veth(String namespaceA, String namespaceB) {
        String[] ends = newVethPair(namespaceA, namespaceB);
        String a = ends[0];
        String b = ends[1];
        int subnet = allocateSubnet();
        if (namespaceA != null) {
            exec("ip", "link", "set", a, "netns", namespaceA);
        }
        if (namespaceB != null) {
            exec("ip", "link", "set", b, "netns", namespaceB);
        }
        int addressA = subnet + 1;
        int addressB = subnet + 2;
        configureEnd(a, namespaceA, addressA);
        configureEnd(b, namespaceB, addressB);
        return new VethLink(a, namespaceA, addressA, b, namespaceB, addressB, 24);
    }

    /**
     * Creates a veth pair for user-space stacks at both ends: A in {@code namespaceA}, B in
     * {@code namespaceB} (null = root). Neither end gets an address; both get ARP off, IPv6
     * off, offloads off, and the MACs given (negative: the kernel's), so a {@link PacketChannel}
     * at each end sees only complete frames and no kernel answers for the stacks. Addresses in
     * the record are 0.
     */
    public synchronized VethLink vethUnaddressed(String namespaceA, long macA, String namespaceB, long macB) {
        String[] ends = newVethPair(namespaceA, namespaceB);
        rawEnd(ends[0], namespaceA, macA);
        rawEnd(ends[1], namespaceB, macB);
        return new VethLink(ends[0], namespaceA, 0, ends[1], namespaceB, 0, 0);
    }

    /** A new veth pair, both ends still in the root namespace: their names, A then B. */
    private String[] newVethPair(String namespaceA, String namespaceB) {
        ensureOpen();
        requireOwned(namespaceA);
        requireOwned(namespaceB);
        String base = newName('v', "");
        String a = base + "a";
        String b = base + "b";
        exec("ip", "link", "add", a, "type", "veth", "peer", "name", b);
        // Deleting either end deletes the pair; close() deletes whichever is still in the root ns.
        rootLinks.add(a);
        rootLinks.add(b);
        return new String[] {a, b};
    }

    private void rawEnd(String dev, String namespace, long mac) {
        if (mac >= 0) {
            exec("ip", "link", "set", "dev", dev, "address", macText(mac));
        }
        if (namespace == null) {
            configureEnd(dev, null, 0);
            return;
        }
        exec("ip", "link", "set", dev, "netns", namespace);
        exec("ip", "netns", "exec", namespace, "sh", "-c",
                IPV6_OFF.formatted(dev)
                        + "; ethtool -K " + dev + " " + OFFLOADS_OFF + " >/dev/null 2>&1"
                        + "; ip link set " + dev + " arp off up");
    }

    private static String macText(long mac) {
        StringBuilder sb = new StringBuilder();
        for (int i = 5; i >= 0; i--) {
            sb.append(String.format("%02x", (mac >>> (8 * i)) & 0xFF));
            if (i > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    /**
     * Opens a TAP in the root namespace, moves its kernel side into {@code namespace} and
     * configures it with {@code .2} of a fresh /24 ({@code .1} is reserved for the user-space
     * side). The channel is closed by {@link #close()}.
     */
    public synchronized TapLink tap(String namespace) {
        ensureOpen();
        if (namespace == null) {
            throw new IllegalArgumentException("a TAP's kernel side must go into a namespace of this topology");
        }
        requireOwned(namespace);
        String name = newName('t', "");
        int subnet = allocateSubnet();
        TapChannel channel = TapChannel.open(name);
        channels.push(channel);
        exec("ip", "link", "set", name, "netns", namespace);
        int kernelAddress = subnet + 2;
        configureEnd(name, namespace, kernelAddress);
        return new TapLink(channel, name, namespace, subnet + 1, kernelAddress, 24);
    }

    /** Registers a channel (or anything closeable) to be closed first by {@link #close()}. */
    public synchronized <T extends AutoCloseable> T own(T resource) {
        ensureOpen();
        channels.push(resource);
        return resource;
    }

    private void configureEnd(String dev, String namespace, int address) {
        if (namespace == null) {
            // Root-namespace end: for a user-space stack. The root kernel must neither answer
            // ARP nor route frames that arrive on it.
            if (Files.isDirectory(Path.of("/proc/sys/net/ipv6"))) {
                writeSysctl("net/ipv6/conf/" + dev + "/disable_ipv6", "1");
            }
            writeSysctl("net/ipv4/conf/" + dev + "/forwarding", "0");
            execTolerant("ethtool", "-K", dev, "rx", "off", "tx", "off", "tso", "off", "gso", "off", "gro", "off");
            exec("ip", "link", "set", dev, "arp", "off", "up");
        } else {
            exec("ip", "netns", "exec", namespace, "sh", "-c",
                    IPV6_OFF.formatted(dev)
                            + "; ethtool -K " + dev + " " + OFFLOADS_OFF + " >/dev/null 2>&1"
                            + "; ip addr add " + ipv4(address) + "/24 dev " + dev
                            + " && ip link set " + dev + " up");
        }
    }

    // ---------------------------------------------------------------- processes

    /** Starts {@code command} inside {@code namespace} (null = root); stopped by {@link #close()}. */
    public synchronized Process start(String namespace, String... command) {
        ensureOpen();
        requireOwned(namespace);
        try {
            Process p = new ProcessBuilder(inNamespace(namespace, command)).start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + String.join(" ", command), e);
        }
    }

    /** Runs {@code command} inside {@code namespace} (null = root), waits, returns its output. */
    public String run(String namespace, String... command) {
        requireOwned(namespace);
        return exec(inNamespace(namespace, command));
    }

    private static String[] inNamespace(String namespace, String... command) {
        if (namespace == null) {
            return command;
        }
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = namespace;
        System.arraycopy(command, 0, full, 4, command.length);
        return full;
    }

    // ---------------------------------------------------------------- queries

    public synchronized List<String> namespaces() {
        return List.copyOf(namespaces);
    }

    /** True if the namespace was created by this topology and is not yet removed. */
    public synchronized boolean owns(String namespace) {
        return namespaces.contains(namespace);
    }

    public static String ipv4(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    public static int parseIpv4(String text) {
        String[] p = text.split("\\.");
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int v = 0;
        for (String s : p) {
            int b = Integer.parseInt(s);
            if (b < 0 || b > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            v = (v << 8) | b;
        }
        return v;
    }

    private static boolean isPrivate(int a) {
        return (a >>> 24) == 10 || (a >>> 20) == 0xAC1 || (a >>> 16) == 0xC0A8;
    }

    // ---------------------------------------------------------------- closing

    /**
     * Stops started processes, closes owned channels, deletes links and namespaces. Runs every
     * step even if one fails; throws at the end listing what could not be removed.
     */
    @Override
    public void close() {
        boolean interrupted = Thread.interrupted(); // cleanup must not be cut short
        try {
            List<String> failures = new ArrayList<>();
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                for (Process p : processes) {
                    p.destroyForcibly();
                }
                for (Process p : processes) {
                    try {
                        if (!p.waitFor(5, TimeUnit.SECONDS)) {
                            failures.add("process " + p.pid() + " did not exit");
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                while (!channels.isEmpty()) {
                    try {
                        channels.pop().close();
                    } catch (Exception e) {
                        failures.add("close channel: " + e.getMessage());
                    }
                }
                for (String link : rootLinks) {
                    if (linkExists(link)) {
                        runQuietly(failures, "ip", "link", "del", link);
                    }
                }
                for (String ns : namespaces) {
                    runQuietly(failures, "ip", "netns", "del", ns);
                }
                namespaces.clear();
                rootLinks.clear();
            }
            OPEN.remove(this);
            if (!failures.isEmpty()) {
                throw new IllegalStateException("topology cleanup incomplete: " + String.join("; ", failures));
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void runQuietly(List<String> failures, String... command) {
        try {
            exec(command);
        } catch (RuntimeException e) {
            failures.add(e.getMessage());
        }
    }

    private static boolean linkExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    private static final class ShutdownHook {
        static {
            Runtime.getRuntime().addShutdownHook(new Thread(ShutdownHook::closeAll, "capybara-topology-cleanup"));
            try {
                removeStale();
            } catch (RuntimeException e) {
                System.err.println("capybara: could not remove stale topologies: " + e.getMessage());
            }
        }

        static void ensureRegistered() {
            // class initialisation registers the hook exactly once
        }

        private static void closeAll() {
            for (Topology t : List.copyOf(OPEN)) {
                try {
                    t.close();
                } catch (RuntimeException e) {
                    System.err.println("capybara: " + e.getMessage());
                }
            }
        }
    }

    /**
     * Deletes namespaces and interfaces named by this scheme (default prefix) whose JVM is no
     * longer alive: leftovers of a JVM that was killed before its hook could run.
     *
     * @return the names removed
     */
    public static List<String> removeStale() {
        Pattern p = Pattern.compile("^" + DEFAULT_PREFIX + "([0-9a-z]{5})([ntv])[0-9a-z]+[ab]?$");
        List<String> removed = new ArrayList<>();
        for (String link : listRootLinks()) {
            Matcher m = p.matcher(link);
            if (m.matches() && !alive(m.group(1)) && linkExists(link)) {
                try {
                    exec("ip", "link", "del", link);
                    removed.add(link);
                } catch (RuntimeException ignored) {
                    // its pair was removed a moment ago
                }
            }
        }
        for (String ns : exec("ip", "netns", "list").lines().map(l -> l.split(" ")[0]).toList()) {
            Matcher m = p.matcher(ns);
            if (m.matches() && !alive(m.group(1))) {
                try {
                    exec("ip", "netns", "del", ns);
                    removed.add(ns);
                } catch (RuntimeException ignored) {
                    // another JVM removed it first
                }
            }
        }
        return removed;
    }

    private static List<String> listRootLinks() {
        try (var s = Files.list(Path.of("/sys/class/net"))) {
            return s.map(x -> x.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean alive(String pidPart) {
        return ProcessHandle.of(Long.parseLong(pidPart, 36)).map(ProcessHandle::isAlive).orElse(false);
    }

    // ---------------------------------------------------------------- permission check

    private static volatile String netAdminProblem;
    private static volatile boolean netAdminChecked;

    /** True if this process can build topologies (root or CAP_NET_ADMIN, tools present). */
    public static boolean hasNetAdmin() {
        return netAdminProblem() == null;
    }

    /** Why topologies cannot be built here, or null if they can. Probed once per JVM. */
    public static synchronized String netAdminProblem() {
        if (!netAdminChecked) {
            netAdminProblem = probeNetAdmin();
            netAdminChecked = true;
        }
        return netAdminProblem;
    }

    private static String probeNetAdmin() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "not Linux";
        }
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            Matcher m = Pattern.compile("CapEff:\\s*([0-9a-fA-F]+)").matcher(status);
            if (!m.find() || (Long.parseUnsignedLong(m.group(1), 16) & (1L << 12)) == 0) {
                return "process lacks CAP_NET_ADMIN (run as root)";
            }
        } catch (IOException e) {
            return "cannot read /proc/self/status: " + e.getMessage();
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "/dev/net/tun missing";
        }
        for (String tool : new String[] {"ip", "ethtool"}) {
            if (!onPath(tool)) {
                return tool + " not found on PATH (apt-get install iproute2 ethtool)";
            }
        }
        String probe = DEFAULT_PREFIX + pidPart(ProcessHandle.current().pid()) + "n" + "probe";
        try {
            exec("ip", "netns", "add", probe);
            exec("ip", "netns", "del", probe);
        } catch (RuntimeException e) {
            return "cannot create a network namespace: " + e.getMessage();
        }
        return null;
    }

    /** True if an executable named {@code tool} is on the PATH (or in /usr/sbin, /sbin). */
    public static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- helpers

    private String newName(char kind, String suffix) {
        String name = prefix + pidPart + kind + Integer.toString(COUNTER.getAndIncrement(), 36) + suffix;
        if (name.length() + 1 > LinuxCalls.MAX_INTERFACE_NAME_BYTES) {
            throw new IllegalStateException("name counter exhausted: " + name);
        }
        return name;
    }

    static String pidPart(long pid) {
        String s = Long.toString(pid, 36);
        if (s.length() > 5) {
            throw new IllegalStateException("pid " + pid + " too large for the naming scheme");
        }
        return "0".repeat(5 - s.length()) + s;
    }

    private int allocateSubnet() {
        if (nextSubnet >= subnetCount) {
            throw new IllegalStateException("address range exhausted (" + subnetCount + " /24 subnets)");
        }
        return rangeBase + (nextSubnet++ << 8);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("topology is closed");
        }
    }

    private void requireOwned(String namespace) {
        if (namespace != null && !namespaces.contains(namespace)) {
            throw new IllegalArgumentException("namespace " + namespace + " does not belong to this topology");
        }
    }

    private static void writeSysctl(String key, String value) {
        try {
            Files.writeString(Path.of("/proc/sys", key), value);
        } catch (IOException e) {
            throw new IllegalStateException("sysctl " + key.replace('/', '.') + "=" + value + ": " + e, e);
        }
    }

    private static void execTolerant(String... command) {
        try {
            exec(command);
        } catch (RuntimeException ignored) {
            // ethtool refuses features a driver fixes; the others are still changed.
        }
    }

    /**
     * Runs a command in the root namespace, waits (at most 30 s), returns stdout+stderr;
     * throws on failure or time-out. Output goes through a temporary file so that a command
     * that hangs with its output open still times out.
     */
    public static String exec(String... command) {
        Path out;
        try {
            out = Files.createTempFile("capybara-exec", ".out");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary file: " + e.getMessage(), e);
        }
        boolean interrupted = false;
        try {
            Process p;
            try {
                p = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
            }
            while (true) {
                try {
                    if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new IllegalStateException(String.join(" ", command) + ": timed out after "
                                + COMMAND_TIMEOUT_SECONDS + " s");
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // finish: cleanup commands must not be cut short
                }
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue()
                        + ": " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(out);
            } catch (IOException ignored) {
                // a stray temp file is harmless
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "Topology[" + prefix + pidPart + ", namespaces=" + namespaces + ", links=" + rootLinks + "]";
    }
}
