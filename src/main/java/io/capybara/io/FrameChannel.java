package io.capybara.io;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A bidirectional link that carries whole Ethernet frames: an in-memory ring, a simulated
 * link, a TAP device or an AF_PACKET socket. Non-blocking: both calls return at once.
 * Implementations allocate nothing per frame.
 */
public interface FrameChannel extends AutoCloseable {
    /** Largest frame (Ethernet header included, FCS excluded) this channel carries. */
    int DEFAULT_MTU_FRAME = 1514;

    /**
     * Hands up to {@code limit} received frames to {@code handler}, one call each. The buffer
     * passed to the handler is only valid during that call.
     *
     * @return the number of frames handed over
     */
    int poll(FrameHandler handler, int limit);

    /**
     * Sends one frame. The channel copies it (or owns it once this returns).
     *
     * @return false if the frame was dropped because the channel is full or down
     */
    boolean send(DirectBuffer buffer, int offset, int length);

    /**
     * Sends one frame given as three consecutive pieces (say headers, a body that lies
     * elsewhere, a trailer), so that the sender need not assemble it. This default assembles it
     * in {@code scratch} and sends that (false if it does not fit); a channel that copies
     * frames into its own memory anyway copies the pieces there instead.
     */
    default boolean send(DirectBuffer a, int aOffset, int aLength, DirectBuffer b, int bOffset, int bLength,
                         DirectBuffer c, int cOffset, int cLength, MutableDirectBuffer scratch) {
        int length = aLength + bLength + cLength;
        if (length > scratch.capacity()) {
            return false;
        }
        return send(scratch, 0, assemble(scratch, 0, a, aOffset, aLength, b, bOffset, bLength, c, cOffset, cLength));
    }

    /** Copies the three pieces back to back into {@code dst} at {@code at}; returns their length. */
    static int assemble(MutableDirectBuffer dst, int at, DirectBuffer a, int aOffset, int aLength, DirectBuffer b,
                        int bOffset, int bLength, DirectBuffer c, int cOffset, int cLength) {
        dst.putBytes(at, a, aOffset, aLength);
        dst.putBytes(at + aLength, b, bOffset, bLength);
        dst.putBytes(at + aLength + bLength, c, cOffset, cLength);
        return aLength + bLength + cLength;
    }

    /**
     * The largest TCP/IPv4 frame (Ethernet header included) this channel takes through
     * {@link #sendTcpOffloaded}, which finishes its TCP checksum and cuts it into segments on
     * the way out (TSO/GSO): 0 if the channel offers no such offload (the default).
     */
    default int segmentationOffloadBytes() {
        return 0;
    }

    /**
     * Sends a TCP/IPv4 frame given as its headers and its payload, which may lie elsewhere (a
     * connection's send ring: the channel takes it from there, with no copy by the caller),
     * whose TCP checksum field holds only the pseudo-header sum (folded, not complemented, over
     * the whole TCP length), for the channel (the kernel below it) to finish. With
     * {@code segmentSize > 0} and more payload than that, the frame goes out as segments of
     * {@code segmentSize} payload bytes each (the last may be shorter), each with a copy of the
     * headers: sequence numbers, IPv4 ids and lengths advanced, and FIN and PSH only on the
     * last, as a NIC's TSO does. Only for channels whose {@link #segmentationOffloadBytes} is
     * positive.
     *
     * @param headersLength Ethernet, IPv4 and TCP header bytes at {@code headersOffset}
     * @param l4Offset where the TCP header starts, from {@code headersOffset}
     * @return false if the frame was dropped because the channel is full or down
     */
    default boolean sendTcpOffloaded(DirectBuffer headers, int headersOffset, int headersLength, DirectBuffer payload,
                                     int payloadOffset, int payloadLength, int l4Offset, int segmentSize) {
        throw new UnsupportedOperationException(name() + " offers no segmentation offload");
    }

    /**
     * Whether {@link #sendTcpOffloaded} takes a payload in native (off-heap) memory where it
     * lies, with no copy: a host then keeps its connections' rings off the heap.
     */
    default boolean gathersNativePayload() {
        return false;
    }

    /** A name for logs and errors. */
    String name();

    @Override
    default void close() {
    }
}
