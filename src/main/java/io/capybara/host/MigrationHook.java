package io.capybara.host;

import io.capybara.wire.DecodedFrame;

/**
 * What the host asks a migration layer (io.capybara.mig): the TCPMig control datagrams, and
 * TCP segments that match no connection of this host before the listener and RST rules see
 * them. Called synchronously from inside {@link Host#poll}; the frame (and the
 * {@link DecodedFrame} describing it) is valid only during the call.
 */
public interface MigrationHook {
    /** A UDP datagram addressed to this host on port {@link io.capybara.wire.TcpMigHeader#UDP_PORT}. */
    void onControl(DecodedFrame frame);

    /**
     * A TCP segment ({@code frame.tcp}) for a connection this host does not hold.
     *
     * @return true if the hook took it (buffered for a connection migrating in, or forwarded
     *     to the server that now holds it): the host then neither answers nor counts it further
     */
    boolean onUnmatchedSegment(DecodedFrame frame);
}
