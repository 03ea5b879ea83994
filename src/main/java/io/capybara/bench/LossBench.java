package io.capybara.bench;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.Topology;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Bulk transfer under random loss, Java stack against Linux, same path, same run: one receiver
 * namespace R running a Linux receiver (python, reads to EOF and reports bytes and seconds from
 * accept to EOF), reached over two veths with the same settings (offloads off, MTU 1500):
 * <ol>
 *   <li>from the Java host, whose end of the first veth is read through AF_PACKET;</li>
 *   <li>from Linux in a sender namespace S, over the second veth.</li>
 * </ol>
 * The loss is one nftables rule in R's input hook that drops that share of the TCP segments (not
 * SYNs) to the receiver's port, so both senders see the same random loss on the same receiving
 * side (this kernel has no sch_netem). Reported per rate: throughput of each (receiver's clock),
 * their ratio, and each sender's retransmission timeouts (the Java connection's counter; Linux's
 * TcpExtTCPTimeouts in S).
 */
public final class LossBench {
    public static final int PORT = 5201;

    /** One loss rate's figures. */
    public record Row(double lossPercent, double capybaraMbps, double linuxMbps, long capybaraRtos, long linuxRtos,
                      long capybaraRetransmits, long linuxRetransmits, long capybaraProbes, long dropped) {
        public double ratio() {
            return linuxMbps > 0 ? capybaraMbps / linuxMbps : 0;
        }
    }

    public record Result(long bytes, List<Row> rows) {
    }

    private LossBench() {
    }

    /** The receiver in R: per connection one line "bytes seconds" (accept to EOF). */
    static final String RECEIVER = String.join("\n",
            "import socket, sys, time",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(4)",
            "print('ready', flush=True)",
            "while True:",
            "    c, _ = s.accept(); t0 = time.monotonic(); n = 0",
            "    while True:",
            "        b = c.recv(1 << 20)",
            "        if not b: break",
            "        n += len(b)",
            "    t = time.monotonic() - t0; c.close()",
            "    print(n, t, flush=True)", "");

    /** The Linux sender in S: connects, sends N bytes, half-closes, waits for the receiver's close. */
    static final String SENDER = String.join("\n",
            "import socket, sys",
            "n = int(sys.argv[3]); buf = bytes(1 << 20)",
            "c = socket.create_connection((sys.argv[1], int(sys.argv[2])))",
            "while n > 0:",
            "    k = c.send(buf[:min(n, len(buf))]); n -= k",
            "c.shutdown(socket.SHUT_WR)",
            "while c.recv(65536): pass",
            "c.close()", "");

    /**
     * Runs every rate; {@code progress} gets one line per finished transfer.
     *
     * @param lossPercents e.g. 0.5, 1, 5
     */
    public static Result run(double[] lossPercents, long bytes, Consumer<String> progress) throws Exception {
        String problem = Topology.netAdminProblem();
        if (problem != null) {
            throw new IllegalStateException("bench loss needs root/CAP_NET_ADMIN: " + problem);
        }
        for (String tool : new String[]{"python3", "nft"}) {
            if (!Topology.onPath(tool)) {
                throw new IllegalStateException("bench loss needs " + tool + " (apt-get install -y "
                        + (tool.equals("nft") ? "nftables" : tool) + ")");
            }
        }
        List<Row> rows = new ArrayList<>();
        try (Topology topo = Topology.create()) {
            String r = topo.namespace();
            String s = topo.namespace();
            Topology.VethLink javaLink = topo.veth(null, r);
            Topology.VethLink linuxLink = topo.veth(s, r);
            PacketChannel pc = topo.own(PacketChannel.open(javaLink.rootEnd()));
            Process receiver = topo.start(r, "python3", "-c", RECEIVER, Integer.toString(PORT));
            BufferedReader lines = new BufferedReader(new InputStreamReader(receiver.getInputStream(),
                    StandardCharsets.US_ASCII));
            expect(lines, "ready");
            topo.run(r, "nft", "add", "table", "inet", "capybara_loss");
            topo.run(r, "nft", "add", "chain", "inet", "capybara_loss", "input",
                    "{ type filter hook input priority 0; }");
            for (double loss : lossPercents) {
                long per10k = Math.round(loss * 100);
                topo.run(r, "nft", "flush", "chain", "inet", "capybara_loss", "input");
                topo.run(r, "nft", "add", "rule", "inet", "capybara_loss", "input", "tcp", "dport",
                        Integer.toString(PORT), "tcp", "flags", "&", "syn", "==", "0", "numgen", "random", "mod",
                        "10000", "<", Long.toString(per10k), "counter", "drop");
                long[] java = javaTransfer(pc, javaLink, bytes, lines);
                progress.accept(String.format(Locale.ROOT, "loss %.2f%%: capybara %.1f Mbit/s, %d RTOs", loss,
                        java[0] / 1e6, java[1]));
                long rtos0 = netstat(topo, s, "TcpExt:", "TCPTimeouts");
                long rexmit0 = netstat(topo, s, "Tcp:", "RetransSegs");
                topo.run(s, "python3", "-c", SENDER, Topology.ipv4(linuxLink.addressB()), Integer.toString(PORT),
                        Long.toString(bytes));
                double[] linux = result(lines, bytes);
                long rtos = netstat(topo, s, "TcpExt:", "TCPTimeouts") - rtos0;
                long rexmit = netstat(topo, s, "Tcp:", "RetransSegs") - rexmit0;
                progress.accept(String.format(Locale.ROOT, "loss %.2f%%: linux %.1f Mbit/s, %d RTOs", loss,
                        linux[0] / 1e6, rtos));
                rows.add(new Row(per10k / 100.0, java[0] / 1e6, linux[0] / 1e6, java[1], rtos, java[2], rexmit,
                        java[3], dropped(topo, r)));
            }
        }
        return new Result(bytes, rows);
    }

    /** Returns {bits/s, RTOs, retransmitted segments, loss probes}. */
    private static long[] javaTransfer(PacketChannel pc, Topology.VethLink link, long bytes, BufferedReader lines)
            throws Exception {
        long mac = pc.ourMac();
        Host host = new Host(HostConfig.of("lossbench", mac, link.addressA(), link.prefixLength())
                .withTcp(TcpConfig.defaults()), pc);
        UnsafeBuffer chunk = new UnsafeBuffer(new byte[64 * 1024]);
        long[] sent = {0};
        boolean[] closed = {false};
        ConnectionHandler sender = new ConnectionHandler() {
            @Override
            public void onConnected(TcpConnection c) {
                onWritable(c);
            }

            @Override
            public void onWritable(TcpConnection c) {
                while (sent[0] < bytes) {
                    int n = c.send(chunk, 0, (int) Math.min(chunk.capacity(), bytes - sent[0]), host.now());
                    if (n == 0) {
                        return;
                    }
                    sent[0] += n;
                }
                if (!closed[0]) {
                    closed[0] = true;
                    c.close(host.now());
                }
            }

            @Override
            public void onData(TcpConnection c) {
                c.receive(chunk, 0, chunk.capacity(), host.now());
            }
        };
        host.poll(System.nanoTime());
        TcpConnection conn = host.connect(link.addressB(), PORT, sender);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        int idle = 0;
        while (conn.state() != io.capybara.tcp.TcpState.CLOSED && conn.state() != io.capybara.tcp.TcpState.TIME_WAIT) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("capybara transfer did not finish in 5 minutes: " + conn);
            }
            if (host.poll(System.nanoTime()) > 0) {
                idle = 0;
            } else if (++idle > 1000) {
                Thread.yield(); // 2 cores: let the receiver and softirqs run
            } else {
                Thread.onSpinWait();
            }
        }
        long rtos = conn.stats().timeouts();
        long rexmit = conn.stats().retransmits();
        long probes = conn.stats().lossProbes();
        double[] r = result(lines, bytes);
        return new long[]{(long) r[0], rtos, rexmit, probes};
    }

    private static void expect(BufferedReader lines, String what) throws Exception {
        String line = lines.readLine();
        if (line == null || !line.startsWith(what)) {
            throw new IllegalStateException("receiver said '" + line + "', expected '" + what + "'");
        }
    }

    /** The receiver's line for the last transfer: {bits/s}; checks the byte count. */
    private static double[] result(BufferedReader lines, long bytes) throws Exception {
        String line = lines.readLine();
        if (line == null) {
            throw new IllegalStateException("receiver exited");
        }
        String[] f = line.trim().split("\\s+");
        long n = Long.parseLong(f[0]);
        double seconds = Double.parseDouble(f[1]);
        if (n != bytes) {
            throw new IllegalStateException("receiver got " + n + " bytes, expected " + bytes);
        }
        return new double[]{n * 8 / seconds};
    }

    /** A counter from /proc/net/netstat or /proc/net/snmp inside {@code ns}. */
    static long netstat(Topology topo, String ns, String group, String name) {
        for (String file : new String[]{"/proc/net/netstat", "/proc/net/snmp"}) {
            List<String> rows = topo.run(ns, "cat", file).lines().filter(l -> l.startsWith(group)).toList();
            for (int i = 0; i + 1 < rows.size(); i += 2) {
                String[] keys = rows.get(i).trim().split("\\s+");
                String[] values = rows.get(i + 1).trim().split("\\s+");
                for (int k = 1; k < keys.length && k < values.length; k++) {
                    if (keys[k].equals(name)) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        throw new IllegalStateException("no " + group + name + " counter in namespace " + ns);
    }

    private static long dropped(Topology topo, String ns) {
        String text = topo.run(ns, "nft", "list", "chain", "inet", "capybara_loss", "input");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** A table, one row per rate. */
    public static String format(Result r) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%d bytes to a Linux receiver over a veth, random loss on the receiving side%n", r.bytes()));
        sb.append(String.format(Locale.ROOT, "%7s %14s %12s %7s %13s %11s%n", "loss %", "capybara Mb/s",
                "linux Mb/s", "ratio", "capybara RTOs", "linux RTOs"));
        for (Row row : r.rows()) {
            sb.append(String.format(Locale.ROOT, "%7.2f %14.1f %12.1f %7.2f %13d %11d%n", row.lossPercent(),
                    row.capybaraMbps(), row.linuxMbps(), row.ratio(), row.capybaraRtos(), row.linuxRtos()));
        }
        return sb.toString();
    }
}
