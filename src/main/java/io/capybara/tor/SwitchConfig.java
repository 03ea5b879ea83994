package io.capybara.tor;

import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The switch's static configuration: its own address, the hosts behind each port, which ports
 * face servers, and the directory and heartbeat parameters. Text form (one directive per line,
 * {@code #} starts a comment), documented in README:
 *
 * <pre>
 * switch 10.0.0.254 02:00:00:00:00:fe
 * levels 2
 * idle-timeout-ms 0          # 0 = off
 * heartbeat-stale-ms 500
 * arp answer                 # or: flood
 * port 0 tap:cjsw0           # how the CLI opens port 0 (tap:NAME or packet:IFNAME)
 * server 10.0.0.1 02:00:00:00:00:01 0
 * client 10.0.0.100 02:00:00:00:01:00 2
 * vip 10.0.0.100 80          # a virtual service: SYNs to it are placed on a live server
 * join-after-ms 0            # a server heartbeating this long (re)joins the placement
 * placement-table-size 65537 # Maglev lookup table buckets (a prime)
 * </pre>
 */
public record SwitchConfig(
        int switchIp,
        long switchMac,
        int levels,
        long idleTimeoutNanos,
        long heartbeatStaleNanos,
        boolean answerArp,
        List<Host> hosts,
        List<String> portSpecs,
        List<Vip> vips,
        long joinAfterNanos,
        int placementTableSize) {

    /** A host behind a port. Servers get indices 0..n-1 in the order they are listed. */
    public record Host(int ip, long mac, int port, boolean server) {
    }

    /**
     * A virtual service: clients connect to {@code ip:port}; the switch rewrites it to a server's
     * address (same port). After the rewrite a server tells services apart by port only, so two
     * VIPs cannot share a port, and a server's VIP port serves the VIP only.
     */
    public record Vip(int ip, int port) {
        @Override
        public String toString() {
            return Ipv4Address.format(ip) + ":" + port;
        }
    }

    public SwitchConfig {
        hosts = List.copyOf(hosts);
        portSpecs = List.copyOf(portSpecs);
        vips = List.copyOf(vips);
        if (levels < 1 || levels > 8) {
            throw new IllegalArgumentException("levels must be 1..8, got " + levels);
        }
        if (joinAfterNanos < 0) {
            throw new IllegalArgumentException("join-after-ms must be >= 0, got " + joinAfterNanos / 1_000_000);
        }
        if (!MaglevTable.isPrime(placementTableSize)) {
            throw new IllegalArgumentException("placement-table-size must be a prime, got " + placementTableSize);
        }
        if (vips.size() > 127) {
            throw new IllegalArgumentException("at most 127 VIPs, got " + vips.size());
        }
        for (int i = 0; i < vips.size(); i++) {
            Vip v = vips.get(i);
            if (v.port() < 1 || v.port() > 65535) {
                throw new IllegalArgumentException("vip " + v + ": port must be 1..65535");
            }
            for (int j = 0; j < i; j++) {
                if (vips.get(j).port() == v.port()) {
                    throw new IllegalArgumentException("vip " + v + ": port " + v.port() + " already used by vip "
                            + vips.get(j) + " (servers tell VIPs apart by port)");
                }
            }
            for (Host h : hosts) {
                if (h.ip() == v.ip()) {
                    throw new IllegalArgumentException("vip " + v + ": address is also a configured host");
                }
            }
        }
    }

    public static SwitchConfig of(int switchIp, long switchMac, List<Host> hosts) {
        return new SwitchConfig(switchIp, switchMac, 2, 0, 500_000_000L, true, hosts, List.of(), List.of(), 0,
                MaglevTable.DEFAULT_SIZE);
    }

    public SwitchConfig withVips(List<Vip> v) {
        return new SwitchConfig(switchIp, switchMac, levels, idleTimeoutNanos, heartbeatStaleNanos, answerArp, hosts, portSpecs,
                v, joinAfterNanos, placementTableSize);
    }

    public SwitchConfig withJoinAfter(long nanos) {
        return new SwitchConfig(switchIp, switchMac, levels, idleTimeoutNanos, heartbeatStaleNanos, answerArp, hosts, portSpecs,
                vips, nanos, placementTableSize);
    }

    public SwitchConfig withPlacementTableSize(int size) {
        return new SwitchConfig(switchIp, switchMac, levels, idleTimeoutNanos, heartbeatStaleNanos, answerArp, hosts, portSpecs,
                vips, joinAfterNanos, size);
    }

    public SwitchConfig withLevels(int l) {
        return new SwitchConfig(switchIp, switchMac, l, idleTimeoutNanos, heartbeatStaleNanos, answerArp, hosts, portSpecs, vips, joinAfterNanos, placementTableSize);
    }

    public SwitchConfig withIdleTimeout(long nanos) {
        return new SwitchConfig(switchIp, switchMac, levels, nanos, heartbeatStaleNanos, answerArp, hosts, portSpecs, vips, joinAfterNanos, placementTableSize);
    }

    public SwitchConfig withHeartbeatStale(long nanos) {
        return new SwitchConfig(switchIp, switchMac, levels, idleTimeoutNanos, nanos, answerArp, hosts, portSpecs, vips, joinAfterNanos, placementTableSize);
    }

    public SwitchConfig withArpAnswering(boolean answer) {
        return new SwitchConfig(switchIp, switchMac, levels, idleTimeoutNanos, heartbeatStaleNanos, answer, hosts, portSpecs, vips, joinAfterNanos, placementTableSize);
    }

    public List<Host> servers() {
        return hosts.stream().filter(Host::server).toList();
    }

    public int portCount() {
        int max = portSpecs.size() - 1;
        for (Host h : hosts) {
            max = Math.max(max, h.port());
        }
        return max + 1;
    }

    public static SwitchConfig load(Path file) throws IOException {
        return parse(Files.readAllLines(file), file.toString());
    }

    /** Parses the text form; errors name the source and line. */
    public static SwitchConfig parse(List<String> lines, String source) {
        int switchIp = 0;
        long switchMac = 0;
        boolean haveSwitch = false;
        int levels = 2;
        long idle = 0;
        long stale = 500_000_000L;
        boolean answer = true;
        List<Host> hosts = new ArrayList<>();
        List<String> ports = new ArrayList<>();
        List<Vip> vips = new ArrayList<>();
        long joinAfter = 0;
        int tableSize = MaglevTable.DEFAULT_SIZE;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            int hash = line.indexOf('#');
            String[] w = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
            if (w.length == 0 || w[0].isEmpty()) {
                continue;
            }
            String where = source + ":" + (n + 1) + ": ";
            try {
                switch (w[0].toLowerCase(Locale.ROOT)) {
                    case "switch" -> {
                        need(w, 3, where);
                        switchIp = Ipv4Address.parse(w[1]);
                        switchMac = MacAddress.parse(w[2]);
                        haveSwitch = true;
                    }
                    case "levels" -> levels = Integer.parseInt(need(w, 2, where)[1]);
                    case "idle-timeout-ms" -> idle = Long.parseLong(need(w, 2, where)[1]) * 1_000_000L;
                    case "heartbeat-stale-ms" -> stale = Long.parseLong(need(w, 2, where)[1]) * 1_000_000L;
                    case "arp" -> {
                        String mode = need(w, 2, where)[1];
                        if (!mode.equals("answer") && !mode.equals("flood")) {
                            throw new IllegalArgumentException("arp takes 'answer' or 'flood', got '" + mode + "'");
                        }
                        answer = mode.equals("answer");
                    }
                    case "port" -> {
                        need(w, 3, where);
                        int p = Integer.parseInt(w[1]);
                        while (ports.size() <= p) {
                            ports.add(null);
                        }
                        ports.set(p, w[2]);
                    }
                    case "server", "client" -> {
                        need(w, 4, where);
                        hosts.add(new Host(Ipv4Address.parse(w[1]), MacAddress.parse(w[2]), Integer.parseInt(w[3]),
                                w[0].equalsIgnoreCase("server")));
                    }
                    case "vip" -> {
                        need(w, 3, where);
                        vips.add(new Vip(Ipv4Address.parse(w[1]), Integer.parseInt(w[2])));
                    }
                    case "join-after-ms" -> joinAfter = Long.parseLong(need(w, 2, where)[1]) * 1_000_000L;
                    case "placement-table-size" -> tableSize = Integer.parseInt(need(w, 2, where)[1]);
                    default -> throw new IllegalArgumentException("unknown directive '" + w[0] + "'");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        e.getMessage() != null && e.getMessage().startsWith(source) ? e.getMessage() : where + e.getMessage(), e);
            }
        }
        if (!haveSwitch) {
            throw new IllegalArgumentException(source + ": missing 'switch IP MAC' line");
        }
        if (ports.contains(null)) {
            throw new IllegalArgumentException(source + ": no 'port " + ports.indexOf(null) + " ...' line");
        }
        try {
            return new SwitchConfig(switchIp, switchMac, levels, idle, stale, answer, hosts, ports, vips, joinAfter, tableSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static String[] need(String[] w, int n, String where) {
        if (w.length != n) {
            throw new IllegalArgumentException(where + "'" + w[0] + "' takes " + (n - 1) + " argument(s)");
        }
        return w;
    }
}
