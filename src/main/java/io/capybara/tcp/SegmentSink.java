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
}
