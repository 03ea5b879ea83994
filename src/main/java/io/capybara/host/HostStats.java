package io.capybara.host;

/**
 * Counters of one {@link Host}. Every frame it drops is counted under exactly one reason: here
 * for host-level reasons (wrong MAC or address, not TCP, ...), in {@link Host#wireCounters()} for
 * frames the decoder rejected (truncation, checksums, fragments). Written only by the host's thread.
 */
public final class HostStats {
    /** Frames polled from the channel. */
    long rxFrames;
    /** Shorter than an Ethernet header. */
    long rxRunt;
    /** Addressed to another unicast or a multicast MAC. */
    long rxOtherMac;
    /** Neither ARP nor IPv4. */
    long rxUnknownEtherType;
    /** ARP packets about other addresses that updated nothing. */
    long arpNotForUs;
    /** Requests for our address we replied to. */
    long arpRequestsAnswered;
    /** Cache entries added or refreshed. */
    long arpLearned;
    /** Requests sent for unresolved next hops. */
    long arpRequestsSent;
    /** Announcements of our own address. */
    long arpGratuitousSent;
    /** Frames parked while their next hop resolves. */
    long arpQueued;
    /** Frames dropped because the parking queue was full. */
    long arpQueueFullDrops;
    /** Parked frames dropped when resolution gave up. */
    long arpUnresolvedDrops;
    /** Cache entries found expired on lookup. */
    long arpExpired;
    /** Destination is not our address. */
    long ipNotForUs;
    /** Source is 0.0.0.0, broadcast or our own address. */
    long ipMartianSource;
    /** For us but not TCP (UDP, ICMP, ...). */
    long ipOtherProtocol;
    /** Segments handed to a connection. */
    long tcpSegments;
    /** RSTs sent for segments matching no connection or listener. */
    long tcpRstSent;
    /** RSTs matching nothing (never answered). */
    long tcpRstIgnored;
    /** Segments to a listener that were neither SYN, ACK nor RST. */
    long tcpListenBadSegment;
    /** SYN-ACKs sent as SYN cookies (a listener's embryonic connections at their bound). */
    long tcpSynCookiesSent;
    /** Connections created from a valid cookie ACK. */
    long tcpSynCookiesAccepted;
    /** ACKs to a listener that recently sent cookies whose cookie did not verify (answered with RST). */
    long tcpSynCookiesFailed;
    /** SYN-ACKs of half-open connections sent again on the listener's schedule ({@link HostConfig#synAckRetries}). */
    long tcpSynAckRetransmits;
    /** Half-open connections dropped after their SYN-ACK retries (no RST: the peer never answered). */
    long tcpEmbryonicExpired;
    /** Handshakes completed while the application's accept queue was full (reset, or a cookie ACK dropped). */
    long tcpAcceptOverflows;
    /** TIME_WAIT connections ended early by a newer SYN (RFC 6191). */
    long tcpTimeWaitReused;
    /** SYNs dropped because the listener's backlog was full. */
    long tcpBacklogDrops;
    /** Connects that found no free ephemeral port. */
    long tcpPortExhausted;
    /** Passive connections created. */
    long connectionsAccepted;
    /** Active connections created. */
    long connectionsConnected;
    /** Connections removed from the table after CLOSED. */
    long connectionsRemoved;
    /** Connections removed silently for migration. */
    long connectionsDetached;
    /** Connections inserted (restored). */
    long connectionsAttached;
    /** Connection timer calls. */
    long timersRun;
    /** Frames sent on the channel. */
    long txFrames;
    /** Frames the channel refused. */
    long txChannelFull;
    /** Segments too large for a frame. */
    long txOversize;
    /** Segments for off-link addresses without a gateway. */
    long txNoRoute;

    public long rxFrames() {
        return rxFrames;
    }

    public long rxRunt() {
        return rxRunt;
    }

    public long rxOtherMac() {
        return rxOtherMac;
    }

    public long rxUnknownEtherType() {
        return rxUnknownEtherType;
    }

    public long arpNotForUs() {
        return arpNotForUs;
    }

    public long arpRequestsAnswered() {
        return arpRequestsAnswered;
    }

    public long arpLearned() {
        return arpLearned;
    }

    public long arpRequestsSent() {
        return arpRequestsSent;
    }

    public long arpGratuitousSent() {
        return arpGratuitousSent;
    }

    public long arpQueued() {
        return arpQueued;
    }

    public long arpQueueFullDrops() {
        return arpQueueFullDrops;
    }

    public long arpUnresolvedDrops() {
        return arpUnresolvedDrops;
    }

    public long arpExpired() {
        return arpExpired;
    }

    public long ipNotForUs() {
        return ipNotForUs;
    }

    public long ipMartianSource() {
        return ipMartianSource;
    }

    public long ipOtherProtocol() {
        return ipOtherProtocol;
    }

    public long tcpSegments() {
        return tcpSegments;
    }

    public long tcpRstSent() {
        return tcpRstSent;
    }

    public long tcpSynCookiesSent() {
        return tcpSynCookiesSent;
    }

    public long tcpSynCookiesAccepted() {
        return tcpSynCookiesAccepted;
    }

    public long tcpSynCookiesFailed() {
        return tcpSynCookiesFailed;
    }

    public long tcpSynAckRetransmits() {
        return tcpSynAckRetransmits;
    }

    public long tcpEmbryonicExpired() {
        return tcpEmbryonicExpired;
    }

    public long tcpAcceptOverflows() {
        return tcpAcceptOverflows;
    }

    public long tcpRstIgnored() {
        return tcpRstIgnored;
    }

    public long tcpListenBadSegment() {
        return tcpListenBadSegment;
    }

    public long tcpTimeWaitReused() {
        return tcpTimeWaitReused;
    }

    public long tcpBacklogDrops() {
        return tcpBacklogDrops;
    }

    public long tcpPortExhausted() {
        return tcpPortExhausted;
    }

    public long connectionsAccepted() {
        return connectionsAccepted;
    }

    public long connectionsConnected() {
        return connectionsConnected;
    }

    public long connectionsRemoved() {
        return connectionsRemoved;
    }

    public long connectionsDetached() {
        return connectionsDetached;
    }

    public long connectionsAttached() {
        return connectionsAttached;
    }

    public long timersRun() {
        return timersRun;
    }

    public long txFrames() {
        return txFrames;
    }

    public long txChannelFull() {
        return txChannelFull;
    }

    public long txOversize() {
        return txOversize;
    }

    public long txNoRoute() {
        return txNoRoute;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("HostStats{");
        append(sb, "rxFrames", rxFrames);
        append(sb, "rxRunt", rxRunt);
        append(sb, "rxOtherMac", rxOtherMac);
        append(sb, "rxUnknownEtherType", rxUnknownEtherType);
        append(sb, "arpNotForUs", arpNotForUs);
        append(sb, "arpRequestsAnswered", arpRequestsAnswered);
        append(sb, "arpLearned", arpLearned);
        append(sb, "arpRequestsSent", arpRequestsSent);
        append(sb, "arpGratuitousSent", arpGratuitousSent);
        append(sb, "arpQueued", arpQueued);
        append(sb, "arpQueueFullDrops", arpQueueFullDrops);
        append(sb, "arpUnresolvedDrops", arpUnresolvedDrops);
        append(sb, "arpExpired", arpExpired);
        append(sb, "ipNotForUs", ipNotForUs);
        append(sb, "ipMartianSource", ipMartianSource);
        append(sb, "ipOtherProtocol", ipOtherProtocol);
        append(sb, "tcpSegments", tcpSegments);
        append(sb, "tcpRstSent", tcpRstSent);
        append(sb, "tcpRstIgnored", tcpRstIgnored);
        append(sb, "tcpListenBadSegment", tcpListenBadSegment);
        append(sb, "tcpTimeWaitReused", tcpTimeWaitReused);
        append(sb, "tcpBacklogDrops", tcpBacklogDrops);
        append(sb, "tcpPortExhausted", tcpPortExhausted);
        append(sb, "tcpSynCookiesSent", tcpSynCookiesSent);
        append(sb, "tcpSynCookiesAccepted", tcpSynCookiesAccepted);
        append(sb, "tcpSynCookiesFailed", tcpSynCookiesFailed);
        append(sb, "tcpSynAckRetransmits", tcpSynAckRetransmits);
        append(sb, "tcpEmbryonicExpired", tcpEmbryonicExpired);
        append(sb, "tcpAcceptOverflows", tcpAcceptOverflows);
        append(sb, "connectionsAccepted", connectionsAccepted);
        append(sb, "connectionsConnected", connectionsConnected);
        append(sb, "connectionsRemoved", connectionsRemoved);
        append(sb, "connectionsDetached", connectionsDetached);
        append(sb, "connectionsAttached", connectionsAttached);
        append(sb, "timersRun", timersRun);
        append(sb, "txFrames", txFrames);
        append(sb, "txChannelFull", txChannelFull);
        append(sb, "txOversize", txOversize);
        append(sb, "txNoRoute", txNoRoute);
        return sb.append('}').toString();
    }

    private static void append(StringBuilder sb, String name, long v) {
        if (v != 0) {
            sb.append(sb.length() > 10 ? " " : "").append(name).append('=').append(v);
        }
    }
}
