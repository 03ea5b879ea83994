package io.capybara.cli;

import io.capybara.bench.Compare;
import io.capybara.bench.JmhRunner;
import io.capybara.bench.JmhRunner.Score;
import io.capybara.bench.SwitchBench;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./capybara bench ...}: JMH benchmarks run in process (each in one forked JVM). */
@Command(name = "bench", description = "Run benchmarks (JMH).",
        subcommands = {BenchCommand.Switch.class, BenchCommand.Tcp.class, BenchCommand.Migration.class, BenchCommand.Link.class,
                BenchCommand.Loss.class, BenchCommand.Jmh.class, BenchCommand.Scale.class, BenchCommand.CompareCommand.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The options every JMH-backed subcommand takes. */
    static final class JmhOptions {
        @Mixin
        JsonFlag json;
        @Option(names = "--quick", description = "Short iterations (a smoke run).")
        boolean quick;
    }

    @Command(name = "switch", description = "Per-packet cost and allocation of the switch dataplane.")
    static final class Switch implements Callable<Integer> {
        @Mixin
        JmhOptions opts;

        @Override
        public Integer call() throws Exception {
            Map<String, Score> r = JmhRunner.run(SwitchBench.class.getName() + "\\.", opts.quick, true);
            String[][] cases = {{"hit_level1", "hitLevel1"}, {"hit_level2", "hitLevel2"}, {"miss", "miss"},
                    {"control", "control"}, {"vip_hit", "vipHit"}, {"vip_response", "vipResponse"},
                    {"vip_response_untracked", "vipResponseUntracked"}, {"vip_syn", "vipSyn"}};
            Json out = new Json();
            Json ns = out.object("ns_per_packet");
            double alloc = 0;
            double worst = 0;
            for (String[] c : cases) {
                Score s = r.get(c[1]);
                ns.put(c[0], s.value());
                worst = Math.max(worst, s.value());
                alloc = Math.max(alloc, Double.isNaN(s.allocBytesPerOp()) ? 0 : s.allocBytesPerOp());
            }
            // JMH's normalised allocation has noise of a fraction of a byte per op.
            long allocRounded = Math.round(alloc);
            out.put("alloc_bytes_per_packet", allocRounded);
            // Load-balancer mode: the placement table's rebuild (control plane, per membership
            // change) and what the switch holds (fixed tables; per-connection tracking entries).
            Score rebuild = r.get("placementRebuild");
            out.put("placement_rebuild_us", rebuild == null ? Double.NaN : rebuild.value() / 1000.0);
            Json mem = out.object("switch_memory_bytes");
            mem.put("placement_table", new io.capybara.tor.MaglevTable(io.capybara.tor.MaglevTable.DEFAULT_SIZE, new int[3])
                    .dataplaneBytes());
            mem.put("directory_per_level", (long) io.capybara.tor.MigrationDirectory.SLOTS_PER_LEVEL
                    * io.capybara.tor.MigrationDirectory.bytesPerSlot());
            mem.put("per_tracked_connection", io.capybara.tor.MigrationDirectory.bytesPerSlot());
            mem.put("untracked_buckets", io.capybara.tor.Placement.untrackedBytes(io.capybara.tor.MaglevTable.DEFAULT_SIZE));
            out.put("goal_ns_per_packet", 50);
            out.put("goal_met", worst <= 50 && allocRounded == 0);
            if (opts.json.on) {
                System.out.println(out);
            } else {
                System.out.printf("switch dataplane, ns per packet (goal <= 50, 0 B allocated)%n");
                for (String[] c : cases) {
                    Score s = r.get(c[1]);
                    System.out.printf("  %-22s %8.1f ns  ±%.1f   %.2f B/op%n", c[0], s.value(), s.error(), s.allocBytesPerOp());
                }
                System.out.printf("  placement table rebuild (3 servers, %d buckets): %.1f us%n",
                        io.capybara.tor.MaglevTable.DEFAULT_SIZE, rebuild == null ? Double.NaN : rebuild.value() / 1000.0);
            }
            return 0;
        }
    }

    @Command(name = "tcp", description = "Per-segment receive/send cost and allocation, in-memory echo, snapshot/restore.")
    static final class Tcp implements Callable<Integer> {
        @Mixin
        JmhOptions opts;

        @Override
        public Integer call() throws Exception {
            Map<String, Score> r = JmhRunner.run("io\\.capybara\\.bench\\.(TcpSegmentBench|EchoBench|SnapshotBench)\\.",
                    opts.quick, true);
            if (opts.json.on) {
                Json out = new Json();
                for (Map.Entry<String, Score> e : r.entrySet()) {
                    out.object(e.getKey()).put("score", e.getValue().value()).put("unit", e.getValue().unit())
                            .put("error", e.getValue().error()).put("alloc_bytes_per_op", e.getValue().allocBytesPerOp());
                }
                System.out.println(out);
            } else {
                print(r);
            }
            return 0;
        }
    }

    @Command(name = "link", description = "HTTP over TAP and AF_PACKET against the Java stack, and over a veth "
            + "against nginx on the kernel, same wrk client, same run (needs root).")
    static final class Link implements Callable<Integer> {
        @Mixin
        JsonFlag json;
        @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "5",
                description = "Seconds per case, decimal (default ${DEFAULT-VALUE}).")
        double duration;
        /** The old name of --duration, kept so that scripts keep working. */
        @Option(names = "--seconds", hidden = true)
        Double seconds;

        @Override
        public Integer call() throws Exception {
            double seconds = Args.positive(this.seconds != null ? "--seconds" : "--duration",
                    this.seconds != null ? this.seconds : duration);
            io.capybara.bench.LinkBench.Result r = io.capybara.bench.LinkBench.run(seconds);
            if (!json.on) {
                System.out.println(io.capybara.bench.LinkBench.format(r));
                return 0;
            }
            Json out = new Json().put("seconds", r.seconds()).put("notes", r.notes());
            Json rows = out.object("cases");
            for (io.capybara.bench.LinkBench.Row row : r.rows()) {
                rows.object(row.link() + "_" + row.server()).put("requests_per_second", row.requestsPerSecond())
                        .put("frames_per_second", row.framesPerSecond()).put("p50_us", row.p50Micros())
                        .put("p99_us", row.p99Micros()).put("requests", row.requests());
            }
            System.out.println(out);
            return 0;
        }
    }

    /** A congestion control by its {@link io.capybara.tcp.TcpConfig.Congestion#label}: cubic, cubic-rfc, new-reno. */
    static final class CongestionConverter implements CommandLine.ITypeConverter<io.capybara.tcp.TcpConfig.Congestion> {
        @Override
        public io.capybara.tcp.TcpConfig.Congestion convert(String value) {
            List<String> labels = new ArrayList<>();
            for (io.capybara.tcp.TcpConfig.Congestion c : io.capybara.tcp.TcpConfig.Congestion.values()) {
                if (c.label().equals(value)) {
                    return c;
                }
                labels.add(c.label());
            }
            labels.sort(null);
            throw new CommandLine.TypeConversionException("'" + value + "' is not one of " + String.join(", ", labels));
        }
    }

    @Command(name = "loss", description = "20 MB to a Linux receiver over a veth under random loss (nftables on the "
            + "receiving side): the Java stack through AF_PACKET and Linux over the same kind of path, same run "
            + "(needs root).")
    static final class Loss implements Callable<Integer> {
        @Option(names = "--loss", split = ",", defaultValue = "0.5,1,5",
                description = "Loss rates in percent, comma-separated (default ${DEFAULT-VALUE}).")
        double[] loss;
        @Option(names = "--bytes", defaultValue = "20000000", description = "Bytes per transfer (default ${DEFAULT-VALUE}).")
        long bytes;
        @Option(names = "--runs", defaultValue = "5", description = "Transfers per sender and rate, alternating; "
                + "the medians are compared (default ${DEFAULT-VALUE}: one transfer's throughput can swing "
                + "2-3x on a small shared machine).")
        int runs;
        @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured transfers of the Java sender first, "
                + "so that it runs JIT-compiled, every other one at the highest rate (default ${DEFAULT-VALUE}).")
        int warmup;
        @Option(names = "--max-warmup", defaultValue = "20", description = "More warm-ups, up to this many, while the "
                + "JIT is still compiling (default ${DEFAULT-VALUE}; = --warmup for a fixed count).")
        int maxWarmup;
        @Option(names = "--segment-offload", defaultValue = "65455", description = "Payload bytes per segment the "
                + "Java sender may hand the kernel as one frame (PACKET_VNET_HDR GSO; cut into MSS-sized packets at "
                + "the veth); 0 = one MSS per frame (default ${DEFAULT-VALUE}).")
        int segmentOffload;
        @Option(names = "--spin-us", defaultValue = "200", description = "Microseconds the Java sender's loop "
                + "busy-polls after work before it blocks in epoll (default ${DEFAULT-VALUE}).")
        long spinMicros;
        @Option(names = "--loop-nice", defaultValue = "0", description = "Nice value of the Java sender's loop thread "
                + "while it runs, -20..19 (below 0 needs CAP_SYS_NICE; default ${DEFAULT-VALUE}: unchanged). Where the "
                + "scheduler puts the woken receiver on the loop's CPU, a lower value lets it preempt the loop less.")
        int loopNice;
        @Option(names = "--congestion", defaultValue = "cubic", converter = CongestionConverter.class,
                description = "The Java connection's congestion control: cubic (RFC 9438, growing as Linux's in an "
                        + "epoch's first millisecond), cubic-rfc (RFC 9438's increase alone) or new-reno (default "
                        + "${DEFAULT-VALUE}; the Linux sender runs CUBIC either way).")
        io.capybara.tcp.TcpConfig.Congestion congestion;
        @Option(names = "--sender-checksum-offload", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Checksum offload and scatter-gather on at both senders' veth ends, TSO/GSO off "
                        + "(default ${DEFAULT-VALUE}; --no-sender-checksum-offload: every offload off).")
        boolean senderChecksumOffload;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            Args.between("--runs", runs, 1, 100);
            Args.between("--segment-offload", segmentOffload, 0, io.capybara.host.HostConfig.MAX_SEGMENT_OFFLOAD_BYTES);
            Args.between("--spin-us", spinMicros, 0, 1_000_000);
            Args.between("--loop-nice", loopNice, -20, 19);
            Args.between("--warmup", warmup, 0, 100);
            Args.between("--max-warmup", maxWarmup, 0, 100); // below --warmup: --warmup counts
            for (double l : loss) {
                if (!(l >= 0 && l < 100)) {
                    throw CliException.usage("--loss", "a percentage in [0, 100), got " + l);
                }
            }
            if (bytes <= 0) {
                throw CliException.usage("--bytes", "must be > 0, got " + bytes);
            }
            io.capybara.bench.LossBench.Result r = io.capybara.bench.LossBench.run(loss, bytes, runs, warmup, maxWarmup,
                    segmentOffload, spinMicros * 1000, senderChecksumOffload, loopNice, congestion, System.err::println);
            if (!json.on) {
                System.out.print(io.capybara.bench.LossBench.format(r));
                return 0;
            }
            java.util.List<Object> rates = new java.util.ArrayList<>();
            boolean goal = true;
            io.capybara.bench.LossBench.Row noLoss = r.noLoss();
            for (io.capybara.bench.LossBench.Row row : r.rows()) {
                Json j = new Json().put("loss_percent", row.lossPercent()).put("capybara_mbps", row.capybaraMbps())
                        .put("linux_mbps", row.linuxMbps()).put("ratio", row.ratio())
                        .put("capybara_rtos", row.capybaraRtos()).put("linux_rtos", row.linuxRtos())
                        .put("capybara_retransmits", row.capybaraRetransmits())
                        .put("linux_retransmits", row.linuxRetransmits())
                        .put("capybara_loss_probes", row.capybaraProbes()).put("frames_dropped", row.dropped())
                        .put("capybara_mbps_runs", row.capybaraRuns())
                        .put("linux_mbps_runs", row.linuxRuns()).put("capybara_cpu_ms", row.capybaraCpuMs())
                        .put("linux_cpu_ms", row.linuxCpuMs()).put("capybara_wall_ms", row.capybaraWallMs())
                        .put("capybara_blocked_ms", row.capybaraBlockedMs()).put("capybara_waits", row.capybaraWaits())
                        .put("capybara_spin_ms", row.capybaraSpinMs()).put("capybara_frames_out", row.capybaraFramesOut())
                        .put("capybara_frames_in", row.capybaraFramesIn())
                        .put("capybara_runqueue_ms", row.capybaraRunQueueMs()).put("ratio_runs", row.ratioRuns())
                        .put("capybara_runqueue_ms_runs", row.capybaraRunQueueRuns())
                        .put("capybara_receiver_reads", row.receiver().capybaraReads())
                        .put("capybara_receiver_sleeps", row.receiver().capybaraSleeps())
                        .put("linux_receiver_reads", row.receiver().linuxReads())
                        .put("linux_receiver_sleeps", row.receiver().linuxSleeps())
                        .put("capybara_cwnd_segments", row.capybaraCwnd()).put("linux_cwnd_segments", row.linuxCwnd())
                        .put("capybara_machine_idle_ms", row.capybaraIdleMs())
                        // null unless --loss included 0: what loss costs each sender on its own path
                        .put("capybara_vs_no_loss", row.capybaraVsNoLoss(noLoss))
                        .put("linux_vs_no_loss", row.linuxVsNoLoss(noLoss))
                        .put("ratio_vs_no_loss", row.ratioVsNoLoss(noLoss));
                rates.add(j);
                goal &= row.ratio() >= 0.9;
            }
            System.out.println(new Json().put("bytes", r.bytes()).put("runs", r.runs()).put("warmups", r.warmups())
                    .put("linux_congestion_control", r.linuxCongestion())
                    .put("capybara_congestion_control", r.congestion().label())
                    .put("capybara_send_buffer_bytes", r.sendBufferBytes())
                    .put("capybara_segment_offload_bytes", r.segmentOffloadBytes())
                    .put("capybara_spin_us", r.spinNanos() / 1000).put("capybara_loop_nice", r.loopNice())
                    .put("sender_checksum_offload", r.senderChecksumOffload())
                    .put("rates", rates).put("goal_ratio", 0.9)
                    .put("goal_met", goal));
            return 0;
        }
    }

    @Command(name = "migration", description = "Migrate live connections (4 KiB unread and 4 KiB unacknowledged "
            + "each) back and forth in an in-memory rack on one thread; server overhead and blackout per migration.")
    static final class Migration implements Callable<Integer> {
        @Option(names = "--count", defaultValue = "10000", description = "Migrations measured (default ${DEFAULT-VALUE}), "
                + "after as many (at least 2,000) warm-up ones.")
        int count;
        @Option(names = "--connections", defaultValue = "64", description = "Live connections (default ${DEFAULT-VALUE}).")
        int connections;
        @Option(names = "--unread", defaultValue = "4096", description = "Bytes left unread at the server (default ${DEFAULT-VALUE}).")
        int unread;
        @Option(names = "--unacked", defaultValue = "4096",
                description = "Bytes the server sent that are not yet acknowledged (default ${DEFAULT-VALUE}).")
        int unacked;
        @Option(names = "--mtu", defaultValue = "1500", description = "IPv4 MTU of the rack's links: 1500 (default) "
                + "or up to 9000 for jumbo frames, which carry a state in fewer CONN_STATE fragments.")
        int mtu;
        @Option(names = "--tls", description = "Each connection also carries an established TLS 1.3 session that "
                + "migrates with it; runs the plain TCP case in the same run and reports both and their ratio.")
        boolean tls;
        @Option(names = "--tls-suite", defaultValue = "aes128", description = "With --tls: aes128, aes256 or chacha20 "
                + "(default ${DEFAULT-VALUE}).")
        String tlsSuite;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() {
            Args.atLeast("--count", count, 1);
            Args.atLeast("--connections", connections, 1);
            Args.atLeast("--unread", unread, 0);
            Args.atLeast("--unacked", unacked, 0);
            Args.between("--mtu", mtu, 576, 9000);
            if (tls) {
                return callTls();
            }
            io.capybara.rack.MigrationBenchmark.Result r = io.capybara.rack.MigrationBenchmark.run(count, connections,
                    unread, unacked, mtu, System::nanoTime);
            if (json.on) {
                Json out = new Json().put("migrations", r.count());
                r.toMap().forEach(out::put);
                out.put("goal", java.util.Map.of("overhead_p50_us", 2, "overhead_p99_us", 5, "blackout_p50_us", 10));
                System.out.println(out);
            } else {
                System.out.print(r);
            }
            return r.failed() == 0 ? 0 : 1;
        }

        /**
         * TLS and plain TCP in one run, alternating halves (TCP, TLS, TCP, TLS) so that the
         * machine's noise hits both: the TLS result under today's keys, the TCP one under
         * {@code tcp}, and {@code tls_overhead_ratio_p50} (goal: at most 1.6, as 3.67 / 2.29 us).
         */
        private Integer callTls() {
            io.capybara.tls.TlsSuite suite;
            try {
                suite = io.capybara.tls.TlsSuite.byName(tlsSuite);
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--tls-suite " + tlsSuite, e.getMessage(), e);
            }
            int half = Math.max(1, count / 2);
            java.util.List<io.capybara.rack.MigrationBenchmark.Result> tcp = new java.util.ArrayList<>();
            java.util.List<io.capybara.rack.MigrationBenchmark.Result> tlsRuns = new java.util.ArrayList<>();
            for (int round = 0; round < 2; round++) {
                tcp.add(io.capybara.rack.MigrationBenchmark.run(half, connections, unread, unacked, mtu, System::nanoTime,
                        null));
                tlsRuns.add(io.capybara.rack.MigrationBenchmark.run(half, connections, unread, unacked, mtu,
                        System::nanoTime, suite));
            }
            double tcpP50 = median(tcp.stream().mapToDouble(io.capybara.rack.MigrationBenchmark.Result::overheadP50Us));
            double tlsP50 = median(tlsRuns.stream().mapToDouble(io.capybara.rack.MigrationBenchmark.Result::overheadP50Us));
            io.capybara.rack.MigrationBenchmark.Result t = tlsRuns.get(1);
            io.capybara.rack.MigrationBenchmark.Result p = tcp.get(1);
            double ratio = tcpP50 == 0 ? 0 : tlsP50 / tcpP50;
            if (json.on) {
                Json out = new Json().put("migrations", t.count());
                t.toMap().forEach(out::put);
                out.put("goal", java.util.Map.of("overhead_p50_us", 2, "overhead_p99_us", 5, "blackout_p50_us", 10,
                        "tls_overhead_ratio_p50", 1.6));
                out.put("tls_suite", suite.name());
                Json tcpOut = out.object("tcp");
                tcpOut.put("migrations", p.count());
                p.toMap().forEach(tcpOut::put);
                out.put("tls_overhead_p50_us", java.util.List.of(tlsRuns.get(0).overheadP50Us(), t.overheadP50Us()));
                out.put("tcp_overhead_p50_us", java.util.List.of(tcp.get(0).overheadP50Us(), p.overheadP50Us()));
                out.put("tls_overhead_ratio_p50", ratio);
                System.out.println(out);
            } else {
                System.out.println("TLS 1.3 (" + suite.name() + "), second half:");
                System.out.print(t);
                System.out.println("TCP only, second half:");
                System.out.print(p);
                System.out.printf("overhead p50 (median of the two halves): TLS %.2f us, TCP %.2f us, ratio %.2f "
                        + "(goal <= 1.6)%n", tlsP50, tcpP50, ratio);
            }
            long failed = tcp.stream().mapToLong(io.capybara.rack.MigrationBenchmark.Result::failed).sum()
                    + tlsRuns.stream().mapToLong(io.capybara.rack.MigrationBenchmark.Result::failed).sum();
            return failed == 0 ? 0 : 1;
        }

        private static double median(java.util.stream.DoubleStream values) {
            double[] v = values.sorted().toArray();
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }
    }

    @Command(name = "scale", description = "Idle connections on one host (in memory, one thread): heap per "
            + "connection, an idle poll, an echo round trip and a migration among them, per connection count.")
    static final class Scale implements Callable<Integer> {
        @Option(names = "--connections", split = ",", defaultValue = "1000,100000",
                description = "Idle connection counts, comma-separated (default ${DEFAULT-VALUE}; a million "
                        + "needs about 6 GB of heap: CAPYBARA_JAVA_OPTS=-Xmx8g).")
        int[] connections;
        @Option(names = "--echoes", defaultValue = "20000", description = "Echo round trips measured (default ${DEFAULT-VALUE}).")
        int echoes;
        @Option(names = "--migrations", defaultValue = "2000", description = "Migrations measured (default ${DEFAULT-VALUE}).")
        int migrations;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() {
            for (int c : connections) {
                if (c < 1 || c > 4_000_000) {
                    throw CliException.usage("--connections", "must be in 1..4000000, got " + c);
                }
            }
            boolean tty = System.console() != null;
            java.util.List<io.capybara.bench.ScaleBenchmark.Row> rows = io.capybara.bench.ScaleBenchmark.run(
                    connections, echoes, migrations, n -> {
                        if (tty) {
                            System.err.printf("\rbench scale: %,d connections...   ", n);
                        }
                    });
            if (tty) {
                System.err.println();
            }
            io.capybara.bench.ScaleBenchmark.Row base = rows.get(0);
            if (json.on) {
                Json out = new Json();
                Json per = out.object("counts");
                for (io.capybara.bench.ScaleBenchmark.Row r : rows) {
                    Json o = per.object(Integer.toString(r.connections()));
                    r.toMap().forEach(o::put);
                    o.put("ratio_to_first", java.util.Map.of(
                            "poll_ns_idle", ratio(r.pollNsIdle(), base.pollNsIdle()),
                            "echo_rtt_p99", ratio(r.echoP99Us(), base.echoP99Us()),
                            "migration_overhead_p50", ratio(r.migrationP50Us(), base.migrationP50Us())));
                }
                out.put("goal", java.util.Map.of("heap_bytes_per_connection", 1024, "poll_ns_idle_ratio", 2,
                        "echo_rtt_p99_ratio", 2, "migration_overhead_p50_ratio", 1.5));
                System.out.println(out);
            } else {
                System.out.printf("%12s %10s %10s %10s %10s %12s%n", "connections", "B/conn", "poll ns", "echo p50",
                        "echo p99", "mig p50 us");
                for (io.capybara.bench.ScaleBenchmark.Row r : rows) {
                    System.out.printf("%,12d %10.0f %10.1f %10.2f %10.2f %12.2f%n", r.connections(),
                            r.heapBytesPerConnection(), r.pollNsIdle(), r.echoP50Us(), r.echoP99Us(), r.migrationP50Us());
                }
            }
            return 0;
        }

        private static double ratio(double a, double b) {
            return b == 0 ? Double.NaN : Math.round(a / b * 1000) / 1000.0;
        }
    }

    static void print(Map<String, Score> r) {
        for (Map.Entry<String, Score> e : r.entrySet()) {
            Score s = e.getValue();
            System.out.printf("%-50s %12.2f %-8s ±%.2f  %8.2f B/op%n", e.getKey(), s.value(), s.unit(), s.error(),
                    s.allocBytesPerOp());
        }
    }

    @Command(name = "jmh", description = "Run any JMH benchmarks by regular expression, with the GC profiler.")
    static final class Jmh implements Callable<Integer> {
        @Parameters(paramLabel = "REGEX", description = "Benchmarks to run, e.g. TcpSegmentBench")
        String regex;
        @Option(names = "--quick", description = "Short iterations (a smoke run).")
        boolean quick;

        @Override
        public Integer call() throws Exception {
            print(JmhRunner.run(regex, quick, true));
            return 0;
        }
    }

    @Command(name = "compare", description = "This tree against an earlier commit, side by side in one run: each "
            + "round measures both, alternating which goes first; per figure the ratio this tree / the commit, "
            + "round by round. The commit is cloned into target/compare and built by its own ./capybara. With "
            + "several --base, each round measures every tree, the order rotating.")
    static final class CompareCommand implements Callable<Integer> {
        /** What the figures are measured against: a commit of this repository. */
        @Option(names = "--base", required = true, paramLabel = "COMMIT", description = "The commit to compare "
                + "against (repeatable: several commits in the same rounds, e.g. to find where a figure changed; "
                + "the JSON's top-level figures are against the first, \"bases\" holds each).") List<String> bases;
        /** Either JMH benchmarks... */
        @Option(names = "--jmh", paramLabel = "REGEX", description = "Run these JMH benchmarks in both trees, one fork "
                + "each with the tree's JVM flags (else the command after --).") String jmh;
        /** ...or a command of either tree, whose JSON holds the figures. */
        @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "After --: a ./capybara command that prints "
                + "JSON, e.g. -- bench migration --json") List<String> command = new ArrayList<>();
        /** Pairs of this tree's name and the base's, for a figure renamed since (keys are added, never renamed). */
        @Option(names = "--key", paramLabel = "NAME[=BASE_NAME]", description = "A figure to compare (repeatable): a "
                + "JMH benchmark method or a JSON field of the command (a dotted path or its last part); =BASE_NAME "
                + "when the commit calls it otherwise. Default with --jmh: every benchmark both trees ran.")
        List<String> keys = new ArrayList<>();
        /** Rounds alternate which tree goes first, so that a drift in the machine's load favours neither. */
        @Option(names = "--rounds", defaultValue = "4", description = "Rounds (default ${DEFAULT-VALUE}).") int rounds;
        /** JMH iterations of one second: warm-up, then measured. */
        @Option(names = "--iterations", split = ",", defaultValue = "5,5", paramLabel = "WARMUP,MEASURED",
                description = "JMH iterations of 1 s, warm-up and measured (default ${DEFAULT-VALUE}).") int[] iterations;
        @Mixin
        JsonFlag json;

        @Override
        public Integer call() throws Exception {
            Args.between("--rounds", rounds, 1, 100);
            if (iterations.length != 2) {
                throw CliException.usage("--iterations", "expected WARMUP,MEASURED, got "
                        + java.util.Arrays.toString(iterations));
            }
            Args.between("--iterations (warm-up)", iterations[0], 0, 100);
            Args.between("--iterations (measured)", iterations[1], 1, 100);
            if ((jmh == null) == command.isEmpty()) {
                throw CliException.usage("--jmh", "give --jmh REGEX or a command after --, one of the two");
            }
            if (jmh == null && keys.isEmpty()) {
                throw CliException.usage("--key", "a command's figures must be named (e.g. --key overhead_us.p50)");
            }
            List<String[]> pairs = new ArrayList<>();
            for (String k : keys) {
                String[] p = k.split("=", -1);
                if (p.length > 2 || p[0].isBlank() || (p.length == 2 && p[1].isBlank())) {
                    throw CliException.usage("--key", "expected NAME or NAME=BASE_NAME, got '" + k + "'");
                }
                pairs.add(new String[]{p[0], p.length == 2 ? p[1] : p[0]});
            }
            Compare.Measurement m = jmh != null ? new Compare.Jmh(jmh, iterations[0], iterations[1]) : new Compare.Cli(command);
            Args.between("--base (count)", bases.size(), 1, 8);
            List<Compare.Result> results;
            try {
                results = Compare.run(java.nio.file.Path.of("").toAbsolutePath(), bases, m, rounds, pairs,
                        System.err::println);
            } catch (Compare.MissingFigure e) {
                throw CliException.usage("--key", e.getMessage());
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--base", e.getMessage());
            } catch (IllegalStateException e) {
                throw CliException.failure("bench compare", e.getMessage());
            }
            Compare.Result first = results.getFirst();
            if (json.on) {
                Json out = new Json().put("base", first.baseCommit()).put("current", first.currentCommit())
                        .put("measurement", first.measurement()).put("rounds", first.rounds());
                putFigures(out.object("figures"), first);
                List<Json> each = new ArrayList<>();
                for (Compare.Result r : results) {
                    Json b = new Json().put("base", r.baseCommit());
                    putFigures(b.object("figures"), r);
                    each.add(b);
                }
                out.put("bases", each);
                System.out.println(out);
                return 0;
            }
            for (Compare.Result r : results) {
                System.out.printf("this tree (%s) against %s, %d rounds%s: %s%n", r.currentCommit(), r.baseCommit(),
                        r.rounds(), results.size() == 1 ? " alternating" : " rotating over " + (results.size() + 1)
                        + " trees", r.measurement());
                for (Compare.Series s : r.series()) {
                    System.out.printf(java.util.Locale.ROOT, "  %s: ratio %.2f [%.2f-%.2f]; this tree %s; the commit%s %s%n",
                            s.key(), s.ratioMedian(), s.ratioMin(), s.ratioMax(), figures(s.current()),
                            s.baseKey().equals(s.key()) ? "" : " (" + s.baseKey() + ")", figures(s.base()));
                }
            }
            return 0;
        }

        private static void putFigures(Json figures, Compare.Result r) {
            for (Compare.Series s : r.series()) {
                figures.object(s.key()).put("base_key", s.baseKey()).put("base", s.base()).put("current", s.current())
                        .put("ratios", s.ratios()).put("ratio_median", s.ratioMedian())
                        .put("ratio_min", s.ratioMin()).put("ratio_max", s.ratioMax());
            }
        }

        private static String figures(double[] v) {
            StringBuilder s = new StringBuilder();
            for (double x : v) {
                s.append(s.isEmpty() ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.4g", x));
            }
            return s.toString();
        }
    }
}
