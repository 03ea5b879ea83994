package io.capybara.interop;

import io.capybara.io.linux.Topology;
import java.nio.file.Path;

/** tshark's reading of a pcap recorded on the Java side of a link. */
final class Captures {
    /**
     * Frames tshark flags: malformed, bad IP or TCP checksum (verification on), or expert
     * errors. One exception, for frames the kernel sent: a TCP checksum of 0xFFFF where 0x0000
     * was computed. Both are the same one's-complement value and verify; Linux writes 0xFFFF
     * when it finishes a checksum in software ({@code skb_checksum_help} maps 0 to
     * {@code CSUM_MANGLED_0}), which happens here because offloads are off. Frames the Java
     * host sent get no such allowance. {@code %s} is the Java host's address.
     */
    static final String PROBLEMS = "_ws.malformed || ip.checksum.status == 0 || _ws.expert.severity >= 8388608"
            + " || (tcp.checksum.status == 0 && !tcp.checksum.ffff) || (tcp.checksum.ffff && ip.src == %s)";

    private Captures() {
    }

    private static String tshark(Path pcap, String filter) {
        return frames(Topology.exec("tshark", "-n", "-r", pcap.toString(), "-o", "tcp.check_checksum:TRUE",
                "-o", "ip.check_checksum:TRUE", "-Y", filter));
    }

    private static long lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).count();
    }

    /** tshark's output without its warning about running as root (it shares the stream). */
    private static String frames(String text) {
        StringBuilder sb = new StringBuilder();
        text.lines().filter(l -> !l.isBlank() && !l.startsWith("Running as user")).forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    /** Frames with the RST flag, as tshark lines (empty when none). */
    static String resets(Path pcap) {
        return tshark(pcap, "tcp.flags.reset == 1");
    }

    static long resetCount(Path pcap) {
        return lines(resets(pcap));
    }

    /** Frames tshark finds malformed or in error (checksums verified), as tshark lines. */
    static String problems(Path pcap, String javaHostIp) {
        return tshark(pcap, PROBLEMS.formatted(javaHostIp));
    }

    static long tcpFrameCount(Path pcap) {
        return lines(tshark(pcap, "tcp"));
    }

    /** tshark's expert summary (for failure messages). */
    static String expert(Path pcap) {
        return Topology.exec("tshark", "-n", "-r", pcap.toString(), "-o", "tcp.check_checksum:TRUE",
                "-o", "ip.check_checksum:TRUE", "-q", "-z", "expert");
    }
}
