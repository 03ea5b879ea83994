package io.capybara.bench;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.linux.EpollWaiter;
import io.capybara.io.linux.LinuxCalls;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.Topology;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * The receiver's reads per transfer that returned data, and how many times it slept in one
     * (found nothing and waited for the sender), medians, for each sender. A read that found
     * data without sleeping is one the sender's data reached before the receiver looked again.
     */
    public record ReceiverWaits(double capybaraReads, double capybaraSleeps, double linuxReads, double linuxSleeps) {
    }

    /**
     * Each sender's congestion window in segments, read each time it has handed another MiB to
     * its connection (ours from the connection, Linux's from TCP_INFO after each send() of 1 MiB):
     * {@link Row#capybaraCwnd} and {@link Row#linuxCwnd} are the medians over a rate's runs.
     * Under loss it says how far each sender's congestion control lets it go per round trip.
     */
    static final long CWND_SAMPLE_BYTES = 1 << 20;

    /**
     * One loss rate's figures: the medians of the runs' throughputs (each run one transfer per
     * sender, alternating), every run's throughput, and counters summed over the runs. The CPU
     * figures are each sender's own CPU time per transfer (median; user and system: the Java
     * loop's thread, the whole Linux sender process), which includes the receiving kernel's
     * softirq work the sender's transmissions run inline on a veth: less noisy than throughput
     * on a shared machine.
     */
    public record Row(double lossPercent, double capybaraMbps, double linuxMbps, long capybaraRtos, long linuxRtos,
                      long capybaraRetransmits, long linuxRetransmits, long capybaraProbes, long dropped,
                      double[] capybaraRuns, double[] linuxRuns, double capybaraCpuMs, double linuxCpuMs,
                      double capybaraBlockedMs, double capybaraWallMs, long capybaraWaits, double capybaraSpinMs,
                      long capybaraFramesOut, long capybaraFramesIn, double[] capybaraRunQueueRuns,
                      ReceiverWaits receiver, double capybaraCwnd, double linuxCwnd, double capybaraIdleMs) {
        public double ratio() {
            return linuxMbps > 0 ? capybaraMbps / linuxMbps : 0;
        }

        /**
         * How long the loop waited runnable for a CPU, per transfer (median). Most of it is the
         * receiver's time after the loop's yields when the scheduler woke the receiver onto the
         * loop's CPU, so the per-run figures ({@link #capybaraRunQueueRuns}) tell the transfers
         * that shared one CPU with the receiver from those that had one each.
         */
        public double capybaraRunQueueMs() {
            return median(capybaraRunQueueRuns);
        }

        /** Our throughput at this rate as a fraction of ours without loss ({@code noLoss}; NaN without one). */
        public double capybaraVsNoLoss(Row noLoss) {
            return noLoss == null || noLoss.capybaraMbps <= 0 ? Double.NaN : capybaraMbps / noLoss.capybaraMbps;
        }

        /** Linux's throughput at this rate as a fraction of its own without loss (NaN without one). */
        public double linuxVsNoLoss(Row noLoss) {
            return noLoss == null || noLoss.linuxMbps <= 0 ? Double.NaN : linuxMbps / noLoss.linuxMbps;
        }

        /**
         * What loss costs us against what it costs Linux: {@link #ratio} over the ratio without
         * loss. Above 1 we keep more of our own throughput under loss than Linux keeps of its.
         */
        public double ratioVsNoLoss(Row noLoss) {
            return capybaraVsNoLoss(noLoss) / linuxVsNoLoss(noLoss);
        }

        /** Each run's ratio (its Java transfer over the Linux one right after it): the spread behind {@link #ratio}. */
        public double[] ratioRuns() {
            double[] r = new double[capybaraRuns.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = linuxRuns[i] > 0 ? capybaraRuns[i] / linuxRuns[i] : 0;
            }
            return r;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "Row[loss %.2f%%, capybara %s, linux %s Mbit/s, RTOs %d/%d, "
                    + "retransmits %d/%d, probes %d, dropped %d]", lossPercent, java.util.Arrays.toString(capybaraRuns),
                    java.util.Arrays.toString(linuxRuns), capybaraRtos, linuxRtos, capybaraRetransmits,
                    linuxRetransmits, capybaraProbes, dropped);
        }
    }

    /**
     * @param sendBufferBytes the Java connection's send buffer: the Linux sender's largest
     *                        (tcp_wmem[2] in its namespace), so neither may keep more in flight
     * @param linuxCongestion the Linux sender's congestion control as its socket reported it
     */
    public record Result(long bytes, int runs, int warmups, int sendBufferBytes, String linuxCongestion,
                         int segmentOffloadBytes, long spinNanos, boolean senderChecksumOffload, int loopNice,
                         TcpConfig.Congestion congestion, List<Row> rows) {
        /**
         * The row without loss, if the rates asked for included 0 (else null): each sender's own
         * throughput on this path, against which {@link Row#ratioVsNoLoss} measures what loss
         * costs it, apart from what the two senders' paths cost without any loss.
         */
        public Row noLoss() {
            for (Row row : rows) {
                if (row.lossPercent() == 0) {
                    return row;
                }
            }
            return null;
        }
    }

    /**
     * The Java sender's default segmentation offload: segments of up to 64 KiB (whole MSS) go to
     * the kernel as one frame through PACKET_VNET_HDR, which cuts them into MSS-sized packets at
     * the veth, as Linux's own TCP is cut (its veth has TSO off too) before either reaches the
     * receiving side and its loss rule.
     */
    public static final int DEFAULT_SEGMENT_OFFLOAD = io.capybara.host.HostConfig.MAX_SEGMENT_OFFLOAD_BYTES;

    private LossBench() {
    }

    /**
     * The receiver in R: per connection one line "bytes seconds reads sleeps" (accept to EOF; the
     * reads that returned data, the voluntary context switches meanwhile).
     */
    static final String RECEIVER = String.join("\n",
            "import resource, socket, sys, time",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(4)",
            "buf = bytearray(1 << 20)  # one buffer for every read: recv() would allocate 1 MiB each time",
            "print('ready', flush=True)",
            "while True:",
            "    c, _ = s.accept(); t0 = time.monotonic(); n = 0; reads = 0",
            "    slept = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw",
            "    while True:",
            "        k = c.recv_into(buf)",
            "        if not k: break",
            "        n += k; reads += 1",
            "    t = time.monotonic() - t0",
            "    slept = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - slept; c.close()",
            "    print(n, t, reads, slept, flush=True)", "");

    /**
     * The Linux sender in S: CUBIC like our default (this kernel's default may be BBR, which
     * ignores random loss), connects, sends N bytes, half-closes, waits for the receiver's close,
     * and prints the congestion control the socket used, its CPU seconds and its congestion window
     * (tcpi_snd_cwnd, segments, at offset 80 of struct tcp_info) after each send() of 1 MiB.
     */
    static final String SENDER = String.join("\n",
            "import socket, sys",
            "import struct",
            "n = int(sys.argv[3]); buf = bytes(1 << 20); cwnd = []",
            "c = socket.socket(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, sys.argv[4].encode())",
            "c.connect((sys.argv[1], int(sys.argv[2])))",
            "while n > 0:",
            "    k = c.send(buf[:min(n, len(buf))]); n -= k",
            "    cwnd.append(struct.unpack_from('I', c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 80)[0])",
            "c.shutdown(socket.SHUT_WR)",
            "while c.recv(65536): pass",
            "import resource; u = resource.getrusage(resource.RUSAGE_SELF)",
            "print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b'\\0').decode(),",
            "      u.ru_utime + u.ru_stime, *cwnd, flush=True)",
            "c.close()", "");

    /** The Linux sender's congestion control: CUBIC, as our connections use by default. */
    public static final String LINUX_CONGESTION = "cubic";

    /** One run per rate, one warm-up transfer: what the small test uses. */
    public static Result run(double[] lossPercents, long bytes, Consumer<String> progress) throws Exception {
        return run(lossPercents, bytes, 1, 1, 1, DEFAULT_SEGMENT_OFFLOAD, SPIN_NANOS, true, 0,
                TcpConfig.Congestion.CUBIC, progress);
    }

    /**
     * Runs every rate; {@code progress} gets one line per finished transfer.
     *
     * @param lossPercents e.g. 0.5, 1, 5
     * @param runs         transfers per sender and rate, alternating Java and Linux; the row
     *                     reports the median of each (this machine is noisy)
     * @param warmups      unmeasured Java transfers first, so that the JIT has compiled the send
     *                     path (a JVM server runs warm; cold, the first 20 MB ran 3-10 times
     *                     slower), every other one at the highest rate (loss recovery)
     * @param maxWarmups   more warm-ups, up to this many in all, while the JIT compiled more than
     *                     {@link #JIT_QUIET_MS} during the last two (on a loaded machine the
     *                     compiler threads lag: after 2 warm-ups the first runs still cost 2-3
     *                     times the CPU of later ones)
     * @param segmentOffload the Java host's bound on payload per segment with segmentation
     *                     offload (PACKET_VNET_HDR); 0 = one MSS per frame and per send(2), no
     *                     virtio header
     * @param spinNanos    how long the Java loop busy-polls after work before it blocks in epoll
     * @param checksumOffload turn checksum offload and scatter-gather on at both senders' veth
     *                     ends (TSO and GSO stay off); false leaves every offload off there
     * @param loopNice     the Java loop thread's nice value while it sends (0: as it is; below 0
     *                     needs CAP_SYS_NICE): the scheduler then lets a receiver it woke onto the
     *                     loop's CPU preempt the loop less, as softirq, where Linux's sender does
     *                     its work, is never preempted by a task
     * @param congestion   the Java connection's congestion control (CUBIC by default; the Linux
     *                     sender runs CUBIC whatever this is)
     */
    public static Result run(double[] lossPercents, long bytes, int runs, int warmups, int maxWarmups,
                             int segmentOffload, long spinNanos, boolean checksumOffload, int loopNice,
                             TcpConfig.Congestion congestion, Consumer<String> progress) throws Exception {
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
        String linuxCongestion = "";
        int sendBuffer;
        int warmed = 0;
        int niceBefore = threadNice();
        if (loopNice != 0) {
            setThreadNice(loopNice);
        }
        try (Topology topo = Topology.create()) {
            String r = topo.namespace();
            String s = topo.namespace();
            Topology.VethLink javaLink = topo.veth(null, r);
            Topology.VethLink linuxLink = topo.veth(s, r);
            sendBuffer = linuxMaxSendBuffer(topo, s);
            if (checksumOffload) {
                senderChecksumOffload(topo, javaLink.nameA(), null);
                senderChecksumOffload(topo, linuxLink.nameA(), s);
            }
            // a MAC of the stack's own, not the interface's: frames for it reach the packet socket
            // and stop at the kernel's ip_rcv (PACKET_OTHERHOST) instead of a route lookup there
            PacketChannel pc = topo.own(PacketChannel.open(javaLink.rootEnd(), STACK_MAC, false,
                    PacketChannel.DEFAULT_BUFFER_BYTES, segmentOffload > 0));
            Process receiver = topo.start(r, "python3", "-c", RECEIVER, Integer.toString(PORT));
            BufferedReader lines = new BufferedReader(new InputStreamReader(receiver.getInputStream(),
                    StandardCharsets.US_ASCII));
            expect(lines, "ready");
            topo.run(r, "nft", "add", "table", "inet", "capybara_loss");
            topo.run(r, "nft", "add", "chain", "inet", "capybara_loss", "input",
                    "{ type filter hook input priority 0; }");
            TcpConfig tcp = TcpConfig.defaults().withBuffers(sendBuffer, TcpConfig.defaults().receiveBufferBytes())
                    .withCongestion(congestion);
            // one host for every transfer, as a server's lives on: its rings come back to its pool
            // when a connection is done, so later transfers do not map fresh memory
            Host host = new Host(HostConfig.of("lossbench", pc.ourMac(), javaLink.addressA(), javaLink.prefixLength())
                    .withTcp(tcp).withSegmentOffload(segmentOffload), pc);
            double worst = 0;
            for (double loss : lossPercents) {
                worst = Math.max(worst, loss);
            }
            java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
            // JIT time during the last two warm-ups; one not yet made counts as not quiet, so that
            // quiet is judged over two measured warm-ups (the seed 0 of before let one decide)
            long[] compiledMs = {JIT_QUIET_MS + 1, JIT_QUIET_MS + 1};
            while (warmed < warmups || (warmed < maxWarmups && compiledMs[0] + compiledMs[1] > JIT_QUIET_MS)) {
                // every other warm-up at the worst rate asked for, so that the JIT has also
                // compiled loss recovery before the lossy runs
                double loss = warmed % 2 == 1 ? worst : 0;
                setLoss(topo, r, loss);
                long jit0 = jit.getTotalCompilationTime();
                JavaRun w = javaTransfer(host, pc, javaLink, spinNanos, bytes, lines);
                compiledMs[1] = compiledMs[0];
                compiledMs[0] = jit.getTotalCompilationTime() - jit0;
                warmed++;
                progress.accept(String.format(Locale.ROOT, "warm-up %d (loss %.2f%%): capybara %.1f Mbit/s, "
                        + "CPU %.1f ms, JIT %d ms", warmed, loss, w.received().bitsPerSecond() / 1e6, w.cpuNanos() / 1e6,
                        compiledMs[0]));
            }
            for (double loss : lossPercents) {
                long per10k = setLoss(topo, r, loss);
                double[] javaMbps = new double[runs];
                double[] linuxMbps = new double[runs];
                double[] javaCpu = new double[runs];
                double[] javaBlocked = new double[runs];
                double[] javaWall = new double[runs];
                long javaWaits = 0;
                double[] javaSpin = new double[runs];
                double[] framesOut = new double[runs];
                double[] framesIn = new double[runs];
                double[] runQueue = new double[runs];
                double[] linuxCpu = new double[runs];
                double[] receiverReads = new double[runs];
                double[] receiverSleeps = new double[runs];
                double[] linuxReceiverReads = new double[runs];
                double[] linuxReceiverSleeps = new double[runs];
                List<Double> javaCwnd = new ArrayList<>();
                double[] javaIdle = new double[runs];
                List<Double> linuxCwnd = new ArrayList<>();
                long javaRtos = 0, javaRexmit = 0, javaProbes = 0, linuxRtos = 0, linuxRexmit = 0;
                for (int run = 0; run < runs; run++) {
                    JavaRun java = javaTransfer(host, pc, javaLink, spinNanos, bytes, lines);
                    javaMbps[run] = java.received().bitsPerSecond() / 1e6;
                    javaCpu[run] = java.cpuNanos() / 1e6;
                    javaBlocked[run] = java.blockedNanos() / 1e6;
                    javaWall[run] = java.wallNanos() / 1e6;
                    javaWaits += java.waits();
                    javaSpin[run] = java.spinNanos() / 1e6;
                    framesOut[run] = java.framesOut();
                    framesIn[run] = java.framesIn();
                    runQueue[run] = java.runQueueNanos() / 1e6;
                    javaIdle[run] = java.idleMicros() / 1e3;
                    receiverReads[run] = java.received().reads();
                    receiverSleeps[run] = java.received().sleeps();
                    for (double w : java.cwnd()) {
                        javaCwnd.add(w);
                    }
                    javaRtos += java.rtos();
                    javaRexmit += java.retransmits();
                    javaProbes += java.probes();
                    progress.accept(String.format(Locale.ROOT, "loss %.2f%% run %d/%d: capybara %.1f Mbit/s, %d RTOs "
                            + "(CPU %.1f ms, spin %.1f ms, blocked %.1f ms, wall %.1f ms, waiting for a CPU %.1f ms; "
                            + "%d frames out, %d in)",
                            loss, run + 1, runs, javaMbps[run], java.rtos(), javaCpu[run], javaSpin[run],
                            javaBlocked[run], javaWall[run], runQueue[run], java.framesOut(), java.framesIn()));
                    long rtos0 = netstat(topo, s, "TcpExt:", "TCPTimeouts");
                    long rexmit0 = netstat(topo, s, "Tcp:", "RetransSegs");
                    String[] said = topo.run(s, "python3", "-c", SENDER, Topology.ipv4(linuxLink.addressB()),
                            Integer.toString(PORT), Long.toString(bytes), LINUX_CONGESTION).trim().split("\\s+");
                    linuxCongestion = said[0];
                    linuxCpu[run] = Double.parseDouble(said[1]) * 1e3;
                    for (int i = 2; i < said.length; i++) {
                        linuxCwnd.add(Double.parseDouble(said[i]));
                    }
                    Received received = result(lines, bytes);
                    linuxMbps[run] = received.bitsPerSecond() / 1e6;
                    linuxReceiverReads[run] = received.reads();
                    linuxReceiverSleeps[run] = received.sleeps();
                    long rtos = netstat(topo, s, "TcpExt:", "TCPTimeouts") - rtos0;
                    linuxRtos += rtos;
                    linuxRexmit += netstat(topo, s, "Tcp:", "RetransSegs") - rexmit0;
                    progress.accept(String.format(Locale.ROOT, "loss %.2f%% run %d/%d: linux (%s) %.1f Mbit/s, %d RTOs",
                            loss, run + 1, runs, linuxCongestion, linuxMbps[run], rtos));
                }
                rows.add(new Row(per10k / 100.0, median(javaMbps), median(linuxMbps), javaRtos, linuxRtos, javaRexmit,
                        linuxRexmit, javaProbes, dropped(topo, r), javaMbps, linuxMbps,
                        median(javaCpu), median(linuxCpu), median(javaBlocked), median(javaWall), javaWaits,
                        median(javaSpin), (long) median(framesOut), (long) median(framesIn),
                        runQueue, new ReceiverWaits(median(receiverReads), median(receiverSleeps),
                        median(linuxReceiverReads), median(linuxReceiverSleeps)), median(javaCwnd), median(linuxCwnd),
                        median(javaIdle)));
            }
        } finally {
            if (loopNice != 0) {
                restoreThreadNice(niceBefore);
            }
        }
        return new Result(bytes, runs, warmed, sendBuffer, linuxCongestion, segmentOffload, spinNanos, checksumOffload,
                loopNice, congestion, rows);
    }

    /** The calling thread's nice value: field 19 of /proc/thread-self/stat (counted past the command's ')'). */
    static int threadNice() throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(f[16]); // fields from the state (3rd) on: nice is the 19th
    }

    /**
     * Back to the nice value from before, best effort: without CAP_SYS_NICE a thread that raised
     * its own may not lower it again, and then it stays (the bench's process ends soon after).
     */
    private static void restoreThreadNice(int nice) {
        setOwnNice(nice);
    }

    /** Sets the calling thread's nice value; a clear error where it may not be lowered. */
    static void setThreadNice(int nice) {
        int r = setOwnNice(nice);
        if (r < 0) {
            throw new IllegalStateException("bench loss could not set the loop thread's nice value to " + nice
                    + " (a value below 0 needs CAP_SYS_NICE): " + LinuxCalls.strerror(-r));
        }
    }

    /** setpriority(2) on the calling thread alone (PRIO_PROCESS with its thread id): 0 or -errno. */
    private static int setOwnNice(int nice) {
        MemorySegment cs = LinuxCalls.threadCallState();
        return LinuxCalls.setpriority(cs, LinuxCalls.PRIO_PROCESS, LinuxCalls.gettid(cs), nice);
    }

    /** Makes the receiving side's rule drop {@code loss} percent of the data segments; returns it in 1/10,000. */
    private static long setLoss(Topology topo, String r, double loss) {
        long per10k = Math.round(loss * 100);
        topo.run(r, "nft", "flush", "chain", "inet", "capybara_loss", "input");
        topo.run(r, "nft", "add", "rule", "inet", "capybara_loss", "input", "tcp", "dport",
                Integer.toString(PORT), "tcp", "flags", "&", "syn", "==", "0", "numgen", "random", "mod",
                "10000", "<", Long.toString(per10k), "counter", "drop");
        return per10k;
    }

    /**
     * Turns checksum offload and scatter-gather on at a sender's end of its veth, TSO and GSO
     * staying off: the kernel then cuts a large segment into MSS-sized packets without copying
     * or summing the payload, and the receiving side trusts the partial checksums. Done alike for
     * both senders, so both reach the receiver (and its loss rule) as MSS-sized packets.
     */
    private static void senderChecksumOffload(Topology topo, String dev, String ns) {
        topo.run(ns, "ethtool", "-K", dev, "tx", "on", "sg", "on", "tso", "off", "gso", "off");
        String features = topo.run(ns, "ethtool", "-k", dev);
        if (!features.contains("tx-checksumming: on") || !features.contains("tcp-segmentation-offload: off")
                || !features.contains("generic-segmentation-offload: off")) {
            throw new IllegalStateException("ethtool did not set tx on, tso/gso off on " + dev + ": " + features);
        }
    }

    static double median(List<Double> v) {
        return median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        int n = s.length;
        return n == 0 ? 0 : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** tcp_wmem[2] in {@code ns}: the most a Linux sender there may buffer (autotuning's limit). */
    private static int linuxMaxSendBuffer(Topology topo, String ns) {
        String[] f = topo.run(ns, "cat", "/proc/sys/net/ipv4/tcp_wmem").trim().split("\\s+");
        long max = Long.parseLong(f[f.length - 1]);
        // our send ring is a power of two: the largest not above Linux's limit
        return Integer.highestOneBit((int) Math.min(max, 1 << 30));
    }

    /** JIT compilation time (ms, all compiler threads) over two warm-ups below which the sender counts as warm. */
    static final long JIT_QUIET_MS = 20;

    /** The Java host's MAC (locally administered), distinct from its veth end's. */
    static final long STACK_MAC = 0x02CA_B0AA_0017L;

    /**
     * One transfer of the Java sender: what the receiver saw, the connection's RTOs,
     * retransmitted segments and loss probes, and the loop thread's CPU, wall, blocked (in
     * epoll: no frame, no timer due), spin (polls that found nothing) and run-queue (runnable,
     * waiting for a CPU) nanoseconds, its epoll waits, the channel's frames each way and the
     * connection's congestion window (segments) each time the sender had handed it another MiB,
     * and the machine's idle CPU time meanwhile ({@link #idleMicros}; -1 without cpuidle).
     */
    private record JavaRun(Received received, long rtos, long retransmits, long probes, long cpuNanos,
                           long wallNanos, long blockedNanos, long spinNanos, long runQueueNanos, long waits,
                           long framesOut, long framesIn, double[] cwnd, long idleMicros) {
    }

    private static JavaRun javaTransfer(Host host, PacketChannel pc, Topology.VethLink link, long spinNanos, long bytes,
                                       BufferedReader lines) throws Exception {
        UnsafeBuffer chunk = new UnsafeBuffer(new byte[64 * 1024]);
        long[] sent = {0};
        boolean[] closed = {false};
        double[] cwnd = new double[(int) (bytes / CWND_SAMPLE_BYTES) + 1];
        int[] cwndSamples = {0};
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
                    boolean nextMiB = (sent[0] + n) / CWND_SAMPLE_BYTES > sent[0] / CWND_SAMPLE_BYTES;
                    if (nextMiB && cwndSamples[0] < cwnd.length) {
                        cwnd[cwndSamples[0]++] = (double) c.congestionWindow() / c.sendMss();
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
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long out0 = pc.framesSent();
        long in0 = pc.framesReceived();
        long wall0;
        long cpu0 = cpu.getCurrentThreadCpuTime();
        long queued0;
        long idle0;
        host.poll(System.nanoTime());
        TcpConnection conn = host.connect(link.addressB(), PORT, sender);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        Loop loop = new Loop(host, pc, conn, spinNanos);
        try (loop) {
            wall0 = loop.lastWork;
            queued0 = runQueueNanos(); // after the wall clock's start: a part of the wall time
            idle0 = idleMicros();
            while (loop.iterate(LOOP_CHUNK)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("capybara transfer did not finish in 5 minutes: " + conn);
                }
            }
        }
        long cpuNanos = cpu.getCurrentThreadCpuTime() - cpu0;
        long queued = runQueueNanos() - queued0;
        long idle = idle0 < 0 ? -1 : idleMicros() - idle0;
        long wall = System.nanoTime() - wall0;
        return new JavaRun(result(lines, bytes), conn.stats().timeouts(), conn.stats().retransmits(),
                conn.stats().lossProbes(), cpuNanos, wall, loop.blocked, loop.spin, queued, loop.waits,
                pc.framesSent() - out0, pc.framesReceived() - in0, java.util.Arrays.copyOf(cwnd, cwndSamples[0]), idle);
    }

    /** Loop iterations per {@link Loop#iterate} call. */
    private static final int LOOP_CHUNK = 16;

    /**
     * The Java sender's loop, run in chunks of iterations. Why not one loop in
     * {@link #javaTransfer}: a transfer is a few thousand iterations, so HotSpot compiled that
     * loop (on stack replacement, by its back-edge count) only a dozen transfers into the
     * measured runs (-XX:+PrintCompilation), which until then ran it interpreted. A method
     * called per chunk is compiled by its calls during the warm-ups. The transfers' speed did
     * not change (bench compare against the one loop, 6 rounds: ratio 1.01 at 0.5% and 1%
     * loss), but what is measured is the compiled loop, as a server would run it.
     *
     * <p>Like a Linux sender that sleeps while its window is full: it busy-polls briefly after
     * work (ACKs come microseconds apart), then blocks in epoll until a frame or the next
     * timer, so that on 2 cores the receiver gets the CPU a spinning sender would take.
     */
    private static final class Loop implements AutoCloseable {
        private final Host host;
        private final TcpConnection conn;
        private final EpollWaiter waiter = new EpollWaiter();
        private final long spinNanos;
        /** Waits on {@code pc}'s socket when there is nothing to do. */
        Loop(Host host, PacketChannel pc, TcpConnection conn, long spinNanos) {
            this.host = host;
            this.conn = conn;
            this.spinNanos = spinNanos;
            waiter.add(pc.fd());
        }

        @Override
        public void close() {
            waiter.close();
        }

        /** When a poll last found work (or the loop last woke). */
        long lastWork = System.nanoTime();
        /** Nanoseconds blocked in epoll, and how many times. */
        long blocked;
        long waits;
        /** Nanoseconds of polls that found nothing, with what their yields gave away. */
        long spin;

        /** Up to {@code iterations} polls, spins or waits; false once the connection is done. */
        boolean iterate(int iterations) {
            for (int i = 0; i < iterations; i++) {
                io.capybara.tcp.TcpState state = conn.state();
                if (state == io.capybara.tcp.TcpState.CLOSED || state == io.capybara.tcp.TcpState.TIME_WAIT) {
                    return false;
                }
                long now = System.nanoTime();
                if (host.poll(now) > 0) {
                    lastWork = now;
                } else if (now - lastWork < spinNanos) {
                    // yield, not just pause: a receiver the kernel woke onto this CPU gets it at
                    // once rather than after our spin (bench compare: 1.6x our Mbit/s at 0.5% loss);
                    // the spin time then includes what the yields gave away
                    Thread.yield();
                    spin += System.nanoTime() - now;
                } else {
                    long wait = Math.min(host.nextDeadline() - now, MAX_WAIT_NANOS);
                    if (wait > 0) {
                        waits++;
                        waiter.await(wait);
                    }
                    lastWork = System.nanoTime();
                    blocked += lastWork - now;
                }
            }
            return true;
        }
    }

    /**
     * Nanoseconds the calling thread has waited runnable for a CPU (the second field of
     * /proc/thread-self/schedstat), or 0 where the kernel keeps no such account: how much of a
     * transfer's wall time other work on the machine took from the loop.
     */
    static long runQueueNanos() {
        try {
            String[] f = Files.readString(Path.of("/proc/thread-self/schedstat")).trim()
                    .split(" ");
            return f.length > 1 ? Long.parseLong(f[1]) : 0;
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Every CPU's cpuidle state residency files, found once (none where the kernel has no cpuidle). */
    private static final List<Path> IDLE_FILES = idleFiles();

    private static List<Path> idleFiles() {
        List<Path> files = new ArrayList<>();
        try (var cpus = Files.newDirectoryStream(Path.of("/sys/devices/system/cpu"),
                "cpu[0-9]*")) {
            for (Path cpuDir : cpus) {
                try (var states = Files.newDirectoryStream(cpuDir.resolve("cpuidle"), "state*")) {
                    for (Path state : states) {
                        files.add(state.resolve("time"));
                    }
                } catch (java.io.IOException e) {
                    // this CPU has no cpuidle directory
                }
            }
        } catch (java.io.IOException e) {
            return List.of();
        }
        return files;
    }

    /**
     * Microseconds all CPUs have spent idle (the sum of every cpuidle state's residency), or -1
     * where the kernel keeps no such account. Over a transfer it says whether a CPU sat idle
     * while the loop waited for one: the scheduler's choice of where the receiver runs, not a
     * want of CPUs. A state's time is counted when the CPU leaves it, so an idle spell that
     * spans the transfer's end counts in the next.
     */
    static long idleMicros() {
        if (IDLE_FILES.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (Path f : IDLE_FILES) {
            try {
                sum += Long.parseLong(Files.readString(f).trim());
            } catch (java.io.IOException | NumberFormatException e) {
                return -1;
            }
        }
        return sum;
    }

    /**
     * Busy-poll this long after the last work before blocking (default). A wake-up from epoll
     * costs the ACK clock tens of microseconds (more on a loaded machine), about a round trip
     * on this veth: 20 us spin let the loop sleep between a burst and its ACKs.
     */
    public static final long SPIN_NANOS = 200_000;
    private static final long MAX_WAIT_NANOS = 10_000_000;

    private static void expect(BufferedReader lines, String what) throws Exception {
        String line = lines.readLine();
        if (line == null || !line.startsWith(what)) {
            throw new IllegalStateException("receiver said '" + line + "', expected '" + what + "'");
        }
    }

    /**
     * What the receiver said of a transfer: bits/s, its reads that returned data, and the times
     * it slept (voluntary context switches: a read that found nothing and waited).
     */
    private record Received(double bitsPerSecond, long reads, long sleeps) {
    }

    /** The receiver's line for the last transfer; checks the byte count. */
    private static Received result(BufferedReader lines, long bytes) throws Exception {
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
        return new Received(n * 8 / seconds, Long.parseLong(f[2]), Long.parseLong(f[3]));
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
                "%d bytes to a Linux receiver over a veth, random loss on the receiving side; median of %d run(s) "
                        + "per sender after %d warm-up transfer(s); Linux sender %s, our send buffer %d bytes, "
                        + "segmentation offload %d bytes, spin %d us, loop nice %d, our congestion control %s%n",
                r.bytes(), r.runs(), r.warmups(), r.linuxCongestion(), r.sendBufferBytes(), r.segmentOffloadBytes(),
                r.spinNanos() / 1000, r.loopNice(), r.congestion().label()));
        sb.append(String.format(Locale.ROOT, "%7s %14s %12s %7s %13s %11s %12s %10s %14s %11s%n", "loss %",
                "capybara Mb/s", "linux Mb/s", "ratio", "capybara RTOs", "linux RTOs", "capybara CPU", "linux CPU",
                "capybara cwnd", "linux cwnd"));
        for (Row row : r.rows()) {
            sb.append(String.format(Locale.ROOT, "%7.2f %14.1f %12.1f %7.2f %13d %11d %10.0fms %8.0fms %14.0f %11.0f%n",
                    row.lossPercent(), row.capybaraMbps(), row.linuxMbps(), row.ratio(), row.capybaraRtos(),
                    row.linuxRtos(), row.capybaraCpuMs(), row.linuxCpuMs(), row.capybaraCwnd(), row.linuxCwnd()));
        }
        Row noLoss = r.noLoss();
        for (Row row : r.rows()) {
            if (noLoss != null && row != noLoss) {
                sb.append(String.format(Locale.ROOT, "at %.2f%% loss each keeps of its own rate without loss: "
                        + "capybara %.2f, linux %.2f (ratio %.2f)%n", row.lossPercent(), row.capybaraVsNoLoss(noLoss),
                        row.linuxVsNoLoss(noLoss), row.ratioVsNoLoss(noLoss)));
            }
        }
        return sb.toString();
    }
}
