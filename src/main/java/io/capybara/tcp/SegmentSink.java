package io.capybara.tcp;

import io.capybara.wire.TcpSegment;

/**
 * Where a connection puts the segments it emits. The host implements it: it wraps the segment
 * in IPv4 and Ethernet and hands the frame to its channel. Called synchronously from inside
 * the connection's methods; the sink must copy the payload before returning, because the
 * payload is a view of the connection's send buffer.
 */
@FunctionalInterface
public interface SegmentSink {
    void transmit(TcpConnection connection, TcpSegment segment);

    /**
     * The most payload one segment may carry because whatever lies below cuts larger ones into
     * segments of the connection's MSS (TSO/GSO); 0, the default, means one MSS. The connection
     * then sends whole multiples of its MSS in one segment and keeps its books per MSS, as if it
     * had sent each piece on its own at the same instant.
     */
    default int segmentOffloadBytes() {
        return 0;
    }
}
