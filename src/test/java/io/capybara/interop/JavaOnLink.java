package io.capybara.interop;

import io.capybara.host.Host;
import io.capybara.host.HostConfig;
import io.capybara.io.FrameChannel;
import io.capybara.io.PcapTap;
import io.capybara.io.PcapWriter;
import io.capybara.io.linux.PacketChannel;
import io.capybara.io.linux.Topology;
import io.capybara.tcp.TcpConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * One Java host on the root-namespace side of a link whose other side is a Linux kernel in a
 * namespace: a TAP (the kernel side moved into the namespace) or a veth pair (the root end
 * read and written through AF_PACKET). Optionally every frame is recorded to a pcap.
 */
final class JavaOnLink implements AutoCloseable {
    enum Kind { TAP, PACKET }

    final Kind kind;
    final String namespace;
    /** The kernel's interface, inside {@link #namespace}. */
    final String kernelDev;
    final int hostIp;
    final int kernelIp;
    final long hostMac;
    final Host host;
    final HostLoop loop;
    final Path pcap;
    /** The AF_PACKET channel under the host (PACKET links), else null. */
    PacketChannel packet;
    private final PcapTap tap;

    private JavaOnLink(Kind kind, String namespace, String kernelDev, int hostIp, int kernelIp, long hostMac,
                       Host host, Path pcap, PcapTap tap) {
        this.kind = kind;
        this.namespace = namespace;
        this.kernelDev = kernelDev;
        this.hostIp = hostIp;
        this.kernelIp = kernelIp;
        this.hostMac = hostMac;
        this.host = host;
        this.pcap = pcap;
        this.tap = tap;
        this.loop = new HostLoop(host);
    }

    /** Builds the link in {@code topo}; {@code pcap} may be null. The loop starts polling at once. */
    static JavaOnLink create(Topology topo, Kind kind, Path pcap, TcpConfig tcp) throws IOException {
        return create(topo, kind, pcap, tcp, UnaryOperator.identity());
    }

    /** As above; {@code wrap} decorates the link's channel (under the pcap, if any). */
    static JavaOnLink create(Topology topo, Kind kind, Path pcap, TcpConfig tcp, UnaryOperator<FrameChannel> wrap)
            throws IOException {
        return create(topo, kind, pcap, tcp, wrap, 0);
    }

    /**
     * As above; with {@code segmentOffload > 0} (PACKET only) the packet socket is opened with
     * PACKET_VNET_HDR and the host may send segments of up to that much payload.
     */
    static JavaOnLink create(Topology topo, Kind kind, Path pcap, TcpConfig tcp, UnaryOperator<FrameChannel> wrap,
                             int segmentOffload) throws IOException {
        String ns = topo.namespace();
        FrameChannel channel;
        String kernelDev;
        int hostIp;
        int kernelIp;
        long mac;
        PacketChannel packet = null;
        if (kind == Kind.TAP) {
            Topology.TapLink t = topo.tap(ns);
            channel = t.channel();
            kernelDev = t.name();
            hostIp = t.hostAddress();
            kernelIp = t.kernelAddress();
            // a station of its own on the link: any MAC but the kernel side's
            mac = 0x02CA_0000_0000L | (hostIp & 0xFFFF_FFFFL);
        } else {
            Topology.VethLink v = topo.veth(ns, null);
            PacketChannel pc = topo.own(PacketChannel.open(v.rootEnd(), -1L, false, PacketChannel.DEFAULT_BUFFER_BYTES,
                    segmentOffload > 0));
            if (Long.getLong("capybara.packet.rcvbuf", 0) > 0) {
                growReceiveBuffer(pc, Long.getLong("capybara.packet.rcvbuf").intValue());
            }
            channel = pc;
            packet = pc;
            kernelDev = v.nameA();
            kernelIp = v.addressA();
            hostIp = v.addressB();
            mac = pc.ourMac(); // the root end's own MAC: what a real NIC would need
        }
        channel = wrap.apply(channel);
        PcapTap tap = null;
        if (pcap != null) {
            long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
            tap = new PcapTap(channel, new PcapWriter(pcap), () -> epochOffset + System.nanoTime());
            channel = tap;
        }
        HostConfig cfg = HostConfig.of("java-" + kind.name().toLowerCase(), mac, hostIp, 24).withTcp(tcp)
                .withSegmentOffload(segmentOffload);
        JavaOnLink j = new JavaOnLink(kind, ns, kernelDev, hostIp, kernelIp, mac, new Host(cfg, channel), pcap, tap);
        j.packet = packet;
        return j;
    }

    static JavaOnLink create(Topology topo, Kind kind, Path pcap) throws IOException {
        return create(topo, kind, pcap, TcpConfig.defaults());
    }

    /** A test's work against the Java host on a fresh link, with the link's topology at hand. */
    interface Run {
        void run(Topology topo, JavaOnLink j) throws Exception;
    }

    /**
     * Runs {@code body} against the Java host on a fresh link of {@code kind} while every frame
     * is recorded to {@code pcap}, then has tshark check the capture is clean (no malformed
     * frame, no bad checksum, no RST). Skips without root, {@code tool} or tshark.
     */
    static void runCaptured(Kind kind, TcpConfig tcp, Path pcap, String tool, Run body) throws Exception {
        io.capybara.io.linux.NetAdmin.assumeNetAdminAnd(tool, "tshark");
        try (Topology topo = Topology.create()) {
            JavaOnLink j = create(topo, kind, pcap, tcp);
            try (j) {
                body.run(topo, j);
            }
            KernelClientsTest.assertCleanCapture(pcap, j.hostAddress());
        }
    }

    /** SO_RCVBUFFORCE (root may exceed net.core.rmem_max). */
    static void growReceiveBuffer(PacketChannel pc, int bytes) {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            var v = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, bytes);
            io.capybara.io.linux.LinuxCalls.check(io.capybara.io.linux.LinuxCalls.setsockopt(
                    io.capybara.io.linux.LinuxCalls.threadCallState(), pc.fd(), io.capybara.io.linux.LinuxCalls.SOL_SOCKET,
                    33 /* SO_RCVBUFFORCE */, v, 4), "setsockopt(SO_RCVBUFFORCE)", pc.name());
        }
    }

    /** Makes {@code app} on the loop and has it listen on {@code port} of the Java host. */
    <T extends io.capybara.host.ConnectionHandler> T listen(int port, java.util.function.Function<Host, T> app) {
        return loop.call(() -> {
            T a = app.apply(host);
            host.listen(port, a);
            return a;
        });
    }

    String hostAddress() {
        return Topology.ipv4(hostIp);
    }

    String kernelAddress() {
        return Topology.ipv4(kernelIp);
    }

    /** Stops the loop and flushes the pcap (the channel is closed by the topology). */
    @Override
    public void close() throws Exception {
        loop.close();
        if (tap != null) {
            tap.writer().flush();
        }
    }
}
