package io.capybara.host;

/**
 * Counters of one {@link Host}: every frame it drops is counted under exactly one reason.
 * Written only by the host's thread.
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
    /** ARP packets that are truncated or not Ethernet/IPv4. */
    long arpMalformed;
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
    /** Shorter than a minimal IPv4 header. */
    long ipTruncated;
    /** IP version not 4. */
    long ipBadVersion;
    /** IHL below 5 or beyond the frame. */
    long ipBadHeaderLength;
    /** Total length below the header or beyond the frame. */
    long ipBadTotalLength;
    /** Header checksum wrong. */
    long ipBadChecksum;
    /** Destination is not our address. */
    long ipNotForUs;
    /** Source is 0.0.0.0, broadcast or our own address. */
    long ipMartianSource;
    /** Fragments (we do not reassemble). */
    long ipFragments;
    /** Not TCP. */
    long ipOtherProtocol;
    /** TCP segment shorter than its header. */
    long tcpTruncated;
    /** Data offset out of range. */
    long tcpBadDataOffset;
    /** Malformed options. */
    long tcpBadOption;
    /** TCP checksum wrong. */
    long tcpBadChecksum;
    /** Segments handed to a connection. */
    long tcpSegments;
    /** RSTs sent for segments matching no connection or listener. */
    long tcpRstSent;
    /** RSTs matching nothing (never answered). */
    long tcpRstIgnored;
    /** Segments to a listener that were neither SYN, ACK nor RST. */
    long tcpListenBadSegment;
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

    public long arpMalformed() {
        return arpMalformed;
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

    public long ipTruncated() {
        return ipTruncated;
    }

    public long ipBadVersion() {
        return ipBadVersion;
    }

    public long ipBadHeaderLength() {
        return ipBadHeaderLength;
    }

    public long ipBadTotalLength() {
        return ipBadTotalLength;
    }

    public long ipBadChecksum() {
        return ipBadChecksum;
    }

    public long ipNotForUs() {
        return ipNotForUs;
    }

    public long ipMartianSource() {
        return ipMartianSource;
    }

    public long ipFragments() {
        return ipFragments;
    }

    public long ipOtherProtocol() {
        return ipOtherProtocol;
    }

    public long tcpTruncated() {
        return tcpTruncated;
    }

    public long tcpBadDataOffset() {
        return tcpBadDataOffset;
    }

    public long tcpBadOption() {
        return tcpBadOption;
    }

    public long tcpBadChecksum() {
        return tcpBadChecksum;
    }

    public long tcpSegments() {
        return tcpSegments;
    }

    public long tcpRstSent() {
        return tcpRstSent;
    }

    public long tcpRstIgnored() {
        return tcpRstIgnored;
    }

    public long tcpListenBadSegment() {
        return tcpListenBadSegment;
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
        append(sb, "arpMalformed", arpMalformed);
        append(sb, "arpNotForUs", arpNotForUs);
        append(sb, "arpRequestsAnswered", arpRequestsAnswered);
        append(sb, "arpLearned", arpLearned);
        append(sb, "arpRequestsSent", arpRequestsSent);
        append(sb, "arpGratuitousSent", arpGratuitousSent);
        append(sb, "arpQueued", arpQueued);
        append(sb, "arpQueueFullDrops", arpQueueFullDrops);
        append(sb, "arpUnresolvedDrops", arpUnresolvedDrops);
        append(sb, "arpExpired", arpExpired);
        append(sb, "ipTruncated", ipTruncated);
        append(sb, "ipBadVersion", ipBadVersion);
        append(sb, "ipBadHeaderLength", ipBadHeaderLength);
        append(sb, "ipBadTotalLength", ipBadTotalLength);
        append(sb, "ipBadChecksum", ipBadChecksum);
        append(sb, "ipNotForUs", ipNotForUs);
        append(sb, "ipMartianSource", ipMartianSource);
        append(sb, "ipFragments", ipFragments);
        append(sb, "ipOtherProtocol", ipOtherProtocol);
        append(sb, "tcpTruncated", tcpTruncated);
        append(sb, "tcpBadDataOffset", tcpBadDataOffset);
        append(sb, "tcpBadOption", tcpBadOption);
        append(sb, "tcpBadChecksum", tcpBadChecksum);
        append(sb, "tcpSegments", tcpSegments);
        append(sb, "tcpRstSent", tcpRstSent);
        append(sb, "tcpRstIgnored", tcpRstIgnored);
        append(sb, "tcpListenBadSegment", tcpListenBadSegment);
        append(sb, "tcpBacklogDrops", tcpBacklogDrops);
        append(sb, "tcpPortExhausted", tcpPortExhausted);
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
