package io.capybara.wire;

/** Why {@link FrameDecoder} rejected a frame; each has its own counter in {@link WireCounters}. */
public enum DropReason {
    ETHERNET_TRUNCATED,
    UNSUPPORTED_ETHERTYPE,
    ARP_TRUNCATED,
    ARP_UNSUPPORTED,
    IPV4_TRUNCATED,
    IPV4_BAD_VERSION,
    IPV4_BAD_HEADER_LENGTH,
    IPV4_BAD_TOTAL_LENGTH,
    IPV4_BAD_CHECKSUM,
    /** Counted apart from malformed input: fragments are legal, we just do not reassemble. */
    IPV4_FRAGMENT,
    TCP_TRUNCATED,
    TCP_BAD_DATA_OFFSET,
    TCP_BAD_OPTION,
    TCP_BAD_CHECKSUM,
    UDP_TRUNCATED,
    UDP_BAD_LENGTH,
    UDP_BAD_CHECKSUM;

    private static final DropReason[] VALUES = values();

    /** All reasons, shared: callers must not modify the array. */
    static DropReason[] all() {
        return VALUES;
    }

    /** Maps a {@link TcpCodec} parse result to a reason. */
    public static DropReason ofTcp(int tcpCodecResult) {
        return switch (tcpCodecResult) {
            case TcpCodec.TRUNCATED -> TCP_TRUNCATED;
            case TcpCodec.BAD_DATA_OFFSET -> TCP_BAD_DATA_OFFSET;
            case TcpCodec.BAD_OPTION -> TCP_BAD_OPTION;
            case TcpCodec.BAD_CHECKSUM -> TCP_BAD_CHECKSUM;
            default -> throw new IllegalArgumentException("not a TCP parse failure: " + tcpCodecResult);
        };
    }
}
