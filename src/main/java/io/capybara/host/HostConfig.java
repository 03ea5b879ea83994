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
 * @param embryonicNanos    how long a half-open connection may wait for the handshake's last ACK
 *                          (its SYN-ACK is retried meanwhile at 1, 3 and 7 s); then it is dropped
 */
public record HostConfig(String name, long mac, int ip, int prefixLength, int gateway,
                         Map<Integer, Long> staticArp, TcpConfig tcp, long isnSeed,
                         long arpTimeoutNanos, long arpRetryNanos, int arpMaxRequests,
                         int maxConnections, int popBufferBytes, int synBacklog, long embryonicNanos) {

    public HostConfig {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
        if (synBacklog < 1 || embryonicNanos < 1) {
            throw new IllegalArgumentException("synBacklog and embryonicNanos must be positive");
        }
        staticArp = Map.copyOf(staticArp);
    }

    /** SYN-ACK at 0, retried at 1, 3 and 7 s (TCP's 1 s initial RTO, doubled), given up at 8 s. */
    public static final long DEFAULT_EMBRYONIC_NANOS = 8_000_000_000L;

    public static HostConfig of(String name, long mac, int ip, int prefixLength) {
        return new HostConfig(name, mac, ip, prefixLength, 0, Map.of(), TcpConfig.defaults(), 1,
                60_000_000_000L, 100_000_000L, 5, 1024, 64 * 1024, 256, DEFAULT_EMBRYONIC_NANOS);
    }

    public HostConfig withGateway(int gw) {
        return new HostConfig(name, mac, ip, prefixLength, gw, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes, synBacklog, embryonicNanos);
    }

    public HostConfig withStaticArp(Map<Integer, Long> entries) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, entries, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes, synBacklog, embryonicNanos);
    }

    public HostConfig withTcp(TcpConfig t) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, t, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes, synBacklog, embryonicNanos);
    }

    public HostConfig withIsnSeed(long seed) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, seed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes, synBacklog, embryonicNanos);
    }

    public HostConfig withArpTiming(long timeoutNanos, long retryNanos, int maxRequests) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, timeoutNanos,
                retryNanos, maxRequests, maxConnections, popBufferBytes, synBacklog, embryonicNanos);
    }

    public HostConfig withMaxConnections(int n) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, n, popBufferBytes, synBacklog, embryonicNanos);
    }

    public HostConfig withPopBufferBytes(int n) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, n, synBacklog, embryonicNanos);
    }

    public HostConfig withListenLimits(int halfOpen, long embryonic) {
        return new HostConfig(name, mac, ip, prefixLength, gateway, staticArp, tcp, isnSeed, arpTimeoutNanos,
                arpRetryNanos, arpMaxRequests, maxConnections, popBufferBytes, halfOpen, embryonic);
    }
}
