/**
 * Wire formats: flyweight-style static accessors over Agrona buffers (network byte order),
 * checksums, and the two whole-frame entry points the host uses.
 *
 * <ul>
 *   <li>Receive: {@link io.capybara.wire.FrameDecoder#decode} fills a reused
 *       {@link io.capybara.wire.DecodedFrame} (and its {@link io.capybara.wire.TcpSegment}), or
 *       drops the frame with a {@link io.capybara.wire.DropReason} counted in
 *       {@link io.capybara.wire.WireCounters}. It never throws on bad bytes.</li>
 *   <li>Transmit: {@link io.capybara.wire.FrameEncoder#encodeTcp} writes Ethernet + IPv4 + TCP for
 *       a segment, both checksums included.</li>
 *   <li>Forwarding: {@link io.capybara.wire.Ipv4Header#setDst} and
 *       {@link io.capybara.wire.TcpCodec#updateChecksumForAddress} rewrite addresses with RFC 1624
 *       incremental checksum updates.</li>
 * </ul>
 *
 * <p>Nothing here allocates per packet, reads a clock, or keeps state beyond counters.
 */
package io.capybara.wire;
