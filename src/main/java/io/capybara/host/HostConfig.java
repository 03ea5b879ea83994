package io.capybara.host;

import io.capybara.tcp.TcpConfig;
import java.util.Map;

/**
 * What one host is: its name, MAC, IPv4 address and prefix, optional gateway and static
 * neighbours, the TCP settings for its connections and the seed of its ISN key. Immutable;
 * start from {@link #of} and use the withers.
 *
 * @param mac               48-bit MAC in the low bits
 * @param ip                IPv4 address as an int (10.0.0.1 = 0x0A000001)
 * @param gateway           next hop for addresses outside the prefix; 0 = none (off-link dropped)
 * @param staticArp         neighbours that never expire and are never overwritten
 * @param isnSeed           key for RFC 6528 initial sequence numbers and the ephemeral port start
 * @param arpTimeoutNanos   lifetime of a learned ARP entry
 * @param arpRetryNanos     interval between ARP requests for an unresolved next hop
 * @param arpMaxRequests    requests sent before giving up (queued frames are then dropped)
 * @param maxConnections    initial capacity of the connection table (it grows if exceeded)
 * @param popBufferBytes    size of the per-descriptor buffer {@code pop(qd)} fills
 * @param synBacklog        half-open connections a queue API listener keeps; beyond, SYN cookies
 *                          (a callback listener's bound is its {@code backlog})
 * @param synAckRetries     times a half-open connection's SYN-ACK is sent again (Linux's
 *                          {@code tcp_synack_retries}); see {@link #synAckRetryNanos}
 * @param synAckTimeoutNanos the wait before the first retry (0: the TCP config's initial RTO, as Linux
 *                          waits its initial timeout); each next wait is twice the one before
 * @param segmentOffloadBytes the most TCP payload one segment may carry when the channel offers
 *                          segmentation offload (TSO/GSO: the channel cuts it into MSS-sized
 *                          segments); 0 (the default) = one MSS per segment whatever the channel
 */
public record HostConfig(String name, long mac, int ip, int prefixLength, int gateway,
                         Map<Integer, Long> staticArp, TcpConfig tcp, long isnSeed,
                         long arpTimeoutNanos, long arpRetryNanos, int arpMaxRequests,
                         int maxConnections, int popBufferBytes, int synBacklog, int synAckRetries,
                         long synAckTimeoutNanos, int segmentOffloadBytes) {

    public HostConfig {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
        if (synBacklog < 1 || synAckTimeoutNanos < 0) {
            throw new IllegalArgumentException("synBacklog must be positive, synAckTimeoutNanos not negative");
        }
        if (segmentOffloadBytes < 0 || segmentOffloadBytes > MAX_SEGMENT_OFFLOAD_BYTES) {
            throw new IllegalArgumentException("segmentOffloadBytes " + segmentOffloadBytes + " not in 0.."
                    + MAX_SEGMENT_OFFLOAD_BYTES);
        }
        if (synAckRetries < 0 || synAckRetries > MAX_SYN_ACK_RETRIES) {
            throw new IllegalArgumentException("synAckRetries " + synAckRetries + " not in 0.." + MAX_SYN_ACK_RETRIES);
        }
        staticArp = Map.copyOf(staticArp);
    }

    /**
     * The listener's own schedule for a half-open connection, not TCP's data RTO: its SYN-ACK at
     * 0, again at 1 s and 3 s, and the slot freed at 5 s. Linux starts the same way (1 s, doubled)
     * but retries 5 times and holds the slot 63 s; a spoofed SYN holds a slot here 5 s, and past
     * the bound SYN cookies answer without memory, so a flood costs cookies, never the listener.
     * A client whose SYN-ACKs were all lost sends its SYN again (Linux at 1, 3, 7 s...), and
     * finds a fresh slot or a cookie.
     */
    public static final int DEFAULT_SYN_ACK_RETRIES = 2;
    /** The TCP config's initial RTO (1 s by default; 5 ms in the simulated rack's fast config). */
    public static final long DEFAULT_SYN_ACK_TIMEOUT_NANOS = 0;
    static final int MAX_SYN_ACK_RETRIES = 16;
    /** An IPv4 datagram's 65,535 bytes less an option-less IPv4 header and the largest TCP header. */
    public static final int MAX_SEGMENT_OFFLOAD_BYTES = 65535 - 20 - 60;

    /**
     * When the {@code k}-th SYN-ACK retry is due (k = 1..synAckRetries), after the first
     * SYN-ACK: the timeout, then doubling (1 s, 3 s, 7 s...).
     */
    public long synAckRetryNanos(int k) {
        return synAckTimeout() * ((1L << k) - 1);
    }

    /** The wait before the first SYN-ACK retry: as configured, or the TCP config's initial RTO. */
    public long synAckTimeout() {
        return synAckTimeoutNanos > 0 ? synAckTimeoutNanos : tcp.initialRtoNanos();
    }

    /**
     * How long a half-open connection keeps its slot: the last SYN-ACK is waited for as long
     * as the one before it (5 s by default), then it is dropped quietly.
     */
    public long embryonicNanos() {
        return synAckRetries == 0 ? synAckTimeout()
                : synAckRetryNanos(synAckRetries) + (synAckTimeout() << (synAckRetries - 1));
    }

    public static HostConfig of(String name, long mac, int ip, int prefixLength) {
        return new HostConfig(name, mac, ip, prefixLength, 0, Map.of(), TcpConfig.defaults(), 1,
                60_000_000_000L, 100_000_000L, 5, 1024, 64 * 1024, 256, DEFAULT_SYN_ACK_RETRIES,
                DEFAULT_SYN_ACK_TIMEOUT_NANOS, 0);
    }

    public HostConfig withGateway(int gw) {
        return new HostConfig(name, mac, ip, prefixLength, gw, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes,
                synBacklog, synAckRetries, synAckTimeoutNanos, segmentOffloadBytes);
    }

    public HostConfig withStaticArp(Map<Integer, Long> entries) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, entries, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes,
                synBacklog, synAckRetries, synAckTimeoutNanos, segmentOffloadBytes);
    }

    public HostConfig withTcp(TcpConfig t) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, t, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes,
                synBacklog, synAckRetries, synAckTimeoutNanos, segmentOffloadBytes);
    }

    public HostConfig withIsnSeed(long seed) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, seed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes,
                synBacklog, synAckRetries, synAckTimeoutNanos, segmentOffloadBytes);
    }

    public HostConfig withArpTiming(long timeoutNanos, long retryNanos, int maxRequests) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, timeoutNanos,
                retryNanos, maxRequests, maxConnections, popBufferBytes,
                synBacklog, synAckRetries, synAckTimeoutNanos, segmentOffloadBytes);
    }

    public HostConfig withMaxConnections(int n) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, n, popBufferBytes,
                synBacklog, synAckRetries, synAckTimeoutNanos, segmentOffloadBytes);
    }

    public HostConfig withPopBufferBytes(int n) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, n,
                synBacklog, synAckRetries, synAckTimeoutNanos, segmentOffloadBytes);
    }

    /** Half-open connections a queue API listener keeps, and their SYN-ACK schedule. */
    public HostConfig withListenLimits(int halfOpen, int retries, long timeoutNanos) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes, halfOpen, retries, timeoutNanos,
                segmentOffloadBytes);
    }

    /**
     * Lets one segment carry up to {@code bytes} of payload (whole MSS multiples) when the
     * host's channel offers segmentation offload; 0 turns it off.
     */
    public HostConfig withSegmentOffload(int bytes) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes, synBacklog, synAckRetries,
                synAckTimeoutNanos, bytes);
    }
}
