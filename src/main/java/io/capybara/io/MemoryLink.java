package io.capybara.io;

import java.nio.ByteBuffer;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Two {@link FrameChannel} ends joined back to back in memory. Each direction is an Agrona
 * {@link OneToOneRingBuffer}: single producer, single consumer, so one end may be driven by one
 * thread and the other end by another. Frames are copied into the ring on send and handed to
 * the handler straight from the ring on poll: nothing is allocated per frame.
 *
 * <p>A full ring drops the frame: {@code send} returns false and the sender's
 * {@link End#drops()} counter grows, like a NIC with a full transmit queue.
 */
public final class MemoryLink {
    private static final int FRAME_TYPE = 1;

    private final End a;
    private final End b;

    private MemoryLink(End a, End b) {
        this.a = a;
        this.b = b;
    }

    /**
     * Creates a connected pair whose rings each hold at least {@code framesPerDirection} frames
     * of {@code maxFrameBytes}.
     */
    public static MemoryLink pair(String name, int framesPerDirection, int maxFrameBytes) {
        if (framesPerDirection < 1 || maxFrameBytes < 14) {
            throw new IllegalArgumentException("framesPerDirection >= 1 and maxFrameBytes >= 14 required");
        }
        int record = BitUtil.align(maxFrameBytes + RecordDescriptor.HEADER_LENGTH, RecordDescriptor.ALIGNMENT);
        // The ring refuses messages above capacity/8, so the ring must be at least 8 records.
        int capacity = BitUtil.findNextPositivePowerOfTwo(Math.max(framesPerDirection, 8) * record);
        OneToOneRingBuffer ab = ring(capacity);
        OneToOneRingBuffer ba = ring(capacity);
        return new MemoryLink(new End(name + ".a", ab, ba, maxFrameBytes),
                new End(name + ".b", ba, ab, maxFrameBytes));
    }

    /** A pair sized for {@code framesPerDirection} standard Ethernet frames. */
    public static MemoryLink pair(String name, int framesPerDirection) {
        return pair(name, framesPerDirection, FrameChannel.DEFAULT_MTU_FRAME);
    }

    private static OneToOneRingBuffer ring(int capacity) {
        int total = capacity + RingBufferDescriptor.TRAILER_LENGTH;
        return new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(total)));
    }

    public End a() {
        return a;
    }

    public End b() {
        return b;
    }

    /** One end: sends into one ring, polls the other. */
    public static final class End implements FrameChannel, MessageHandler {
        private final String name;
        private final OneToOneRingBuffer tx;
        private final OneToOneRingBuffer rx;
        private final int maxFrameBytes;
        private FrameHandler current;
        private long sent;
        private long received;
        private long drops;
        private long oversize;

        private End(String name, OneToOneRingBuffer tx, OneToOneRingBuffer rx, int maxFrameBytes) {
            this.name = name;
            this.tx = tx;
            this.rx = rx;
            this.maxFrameBytes = maxFrameBytes;
        }

        @Override
        public int poll(FrameHandler handler, int limit) {
            current = handler;
            try {
                int n = rx.read(this, limit);
                received += n;
                return n;
            } finally {
                current = null;
            }
        }

        @Override
        public void onMessage(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
            current.onFrame(buffer, index, length);
        }

        @Override
        public boolean send(DirectBuffer buffer, int offset, int length) {
            if (length > maxFrameBytes || length <= 0) {
                oversize++;
                return false;
            }
            if (!tx.write(FRAME_TYPE, buffer, offset, length)) {
                drops++;
                return false;
            }
            sent++;
            return true;
        }

        /** The pieces go straight into the ring: claimed, copied, committed. */
        @Override
        public boolean send(DirectBuffer a, int aOffset, int aLength, DirectBuffer b, int bOffset, int bLength,
                            DirectBuffer c, int cOffset, int cLength, MutableDirectBuffer scratch) {
            int length = aLength + bLength + cLength;
            if (length > maxFrameBytes || length <= 0) {
                oversize++;
                return false;
            }
            int index = tx.tryClaim(FRAME_TYPE, length);
            if (index <= 0) {
                drops++;
                return false;
            }
            FrameChannel.assemble(tx.buffer(), index, a, aOffset, aLength, b, bOffset, bLength, c, cOffset, cLength);
            tx.commit(index);
            sent++;
            return true;
        }

        @Override
        public String name() {
            return name;
        }

        /** Frames this end sent successfully. Read it from the sending thread. */
        public long sent() {
            return sent;
        }

        /** Frames this end received. Read it from the polling thread. */
        public long received() {
            return received;
        }

        /** Frames refused because the outgoing ring was full. */
        public long drops() {
            return drops;
        }

        /** Frames refused because they were empty or larger than the link's maximum. */
        public long oversize() {
            return oversize;
        }
    }
}
