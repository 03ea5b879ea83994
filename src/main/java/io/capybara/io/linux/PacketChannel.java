package io.capybara.io.linux;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import io.capybara.wire.Checksums;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An {@code AF_PACKET}/{@code SOCK_RAW} socket bound to one interface as a
 * {@link FrameChannel}: whole Ethernet frames in and out, non-blocking.
 *
 * <ul>
 *   <li>Bound with {@code sockaddr_ll} to the interface index and {@code ETH_P_ALL}. The socket
 *       is created with protocol 0 and only bind() turns reception on, so no frame from
 *       another interface slips in between socket() and bind().</li>
 *   <li>{@code PACKET_IGNORE_OUTGOING}: our own transmissions are not looped back to us.</li>
 *   <li>Frames unicast to a MAC other than {@link #ourMac()} are dropped and counted
 *       ({@link #framesNotForUs()}): a veth, like a hub, delivers everything its peer sends.
 *       Broadcast and multicast frames are delivered.</li>
 *   <li>Optional {@code PACKET_QDISC_BYPASS}: transmit straight to the driver.</li>
 *   <li>Optional offload ({@code PACKET_VNET_HDR}): every frame in and out is prefixed by a
 *       10-byte {@code struct virtio_net_hdr} (flags, gso_type, hdr_len, gso_size, csum_start,
 *       csum_offset; host byte order). {@link #sendTcpOffloaded} then hands the kernel one TCP
 *       frame of up to 64 KiB with {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} and
 *       {@code VIRTIO_NET_HDR_GSO_TCPV4}: one system call for many segments, its payload taken
 *       where it lies when that is native memory (an off-heap send ring: sendmsg(2) with a
 *       second iovec, so the kernel's copy into the skb is the only one), the kernel's GSO
 *       cuts it (in software if the interface has TSO off) and fills in every
 *       checksum. Received frames lose their header here; one that says
 *       {@code NEEDS_CSUM} (a peer with checksum offload on) gets its L4 checksum finished here,
 *       as a NIC would, so the stack above sees complete checksums either way. With offload
 *       frames are read from an mmap'ed receive ring (PACKET_RX_RING, TPACKET_V2: no system
 *       call and no copy per frame, which matters for the ACK clock: a poll that finds nothing
 *       costs a memory read, not a recvmmsg); a frame longer than a slot (a GSO super-frame) is
 *       queued whole to the socket as well (PACKET_COPY_THRESH) and read from there.</li>
 * </ul>
 *
 * <p><b>Checksums and offloads.</b> A kernel peer on a veth with offloads on sends frames with
 * CHECKSUM_PARTIAL (the TCP/UDP checksum not filled in) and GSO super-frames larger than the
 * MTU; a packet socket sees them as they are. We chose to turn offloads off on both veth ends
 * ({@code ethtool -K dev tx off tso off gso off gro off ...}, done by {@link Topology}) rather
 * than parse {@code PACKET_AUXDATA} and finish checksums here: it keeps this channel and the
 * stack above it free of a Linux-only special case, costs nothing at our rates, and makes
 * captures (tshark) show correct checksums. A consequence: a PacketChannel on an interface
 * with offloads still on may deliver frames whose L4 checksum is not valid; the stack counts
 * and drops them (unless opened with offload: its virtio header tells, and the checksum is
 * finished here). The sending side is another matter: a frame sent with GSO is cut by the
 * kernel in software when the interface has TSO off, so offload on our socket needs no offload
 * on the device.
 *
 * <p>Buffers are off-heap, allocated once, wrapped by Agrona {@link UnsafeBuffer}s: nothing
 * is allocated per frame. Not thread-safe.
 */
public final class PacketChannel extends FdFrameChannel {
    public static final int DEFAULT_BUFFER_BYTES = 65536;
    /** The socket's kernel receive buffer. */
    public static final int RECEIVE_BUFFER_BYTES = 4 << 20;
    /** {@code ourMac} for a switch port: deliver unicast frames for every MAC (a switch forwards them). */
    public static final long ANY_MAC = -2L;
    private static final java.lang.foreign.ValueLayout.OfShort NETWORK_SHORT =
            JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    private final int interfaceIndex;
    private final long ourMac;
    private final int ourMacHigh;
    private final short ourMacLow;
    /** sizeof(struct virtio_net_hdr) without num_buffers: what PACKET_VNET_HDR prefixes. */
    public static final int VNET_HDR_BYTES = 10;
    /** The largest frame with offload: an IPv4 datagram of 65,535 bytes behind an Ethernet header. */
    public static final int OFFLOAD_FRAME_BYTES = 14 + 65535;
    static final int VNET_F_NEEDS_CSUM = 1;
    static final int VNET_GSO_NONE = 0;
    static final int VNET_GSO_TCPV4 = 1;
    /** Offset of the checksum field in a TCP header: the header's csum_offset. */
    private static final int TCP_CHECKSUM_FIELD = 16;
    private static final ByteOrder HOST = ByteOrder.nativeOrder();

    private final boolean anyMac;
    private final boolean offload;
    /** Frames one recvmmsg(2) may return (offload only). */
    static final int BATCH = 16;
    /** With offload where the ring cannot be set up: recvmmsg(2) batches. */
    private final Batch batch;
    /** With offload: the mmap'ed receive ring (TPACKET_V2), read without a system call. */
    private final RxRing ring;
    /** sendmsg(2)'s struct msghdr and its two iovecs: the transmit buffer's head, a payload elsewhere. */
    private final MemorySegment gatherMessage;
    private final MemorySegment gather;

    private long framesNotForUs;
    private long framesTruncated;
    private long offloadedSent;
    private long segmentedSent;
    private long gatheredSent;
    private long checksumsFinished;

    private PacketChannel(Arena arena, int fd, String interfaceName, int interfaceIndex, long ourMac,
                          int bufferBytes, boolean offload, RxRing ring) {
        super(arena, fd, interfaceName, bufferBytes, offload ? VNET_HDR_BYTES : 0);
        this.interfaceIndex = interfaceIndex;
        this.anyMac = ourMac == ANY_MAC;
        this.ourMac = ourMac;
        this.ourMacHigh = anyMac ? 0 : (int) (ourMac >>> 16);
        this.ourMacLow = anyMac ? 0 : (short) ourMac;
        this.offload = offload;
        this.ring = ring;
        this.batch = offload && ring == null ? new Batch(arena, (OFFLOAD_FRAME_BYTES + VNET_HDR_BYTES + 63) & ~63) : null;
        this.gather = arena.allocate(2L * LinuxCalls.IOVEC_SIZE, 8);
        gather.set(ValueLayout.ADDRESS, 0, tx);
        this.gatherMessage = arena.allocate(LinuxCalls.MSGHDR_SIZE, 8);
        gatherMessage.set(ValueLayout.ADDRESS, LinuxCalls.MSGHDR_IOV, gather);
        gatherMessage.set(ValueLayout.JAVA_LONG, LinuxCalls.MSGHDR_IOVLEN, 2);
    }

    /** Opens a channel on {@code interfaceName}, accepting frames for the interface's own MAC. */
    public static PacketChannel open(String interfaceName) {
        return open(interfaceName, -1L, false);
    }

    /**
     * @param ourMac      the 48-bit MAC (in the low bits) the stack above uses; frames unicast
     *                    to any other MAC are dropped. -1 means the interface's own MAC,
     *                    {@link #ANY_MAC} every MAC (a switch port).
     * @param qdiscBypass set PACKET_QDISC_BYPASS (send skips the interface's queueing discipline)
     */
    public static PacketChannel open(String interfaceName, long ourMac, boolean qdiscBypass) {
        return open(interfaceName, ourMac, qdiscBypass, DEFAULT_BUFFER_BYTES);
    }

    public static PacketChannel open(String interfaceName, long ourMac, boolean qdiscBypass, int bufferBytes) {
        return open(interfaceName, ourMac, qdiscBypass, bufferBytes, false);
    }

    /**
     * @param offload set PACKET_VNET_HDR: {@link #sendTcpOffloaded} works (segmentation and
     *                checksum offload), received frames may be GSO super-frames (the receive
     *                buffer is then at least {@link #OFFLOAD_FRAME_BYTES})
     */
    public static PacketChannel open(String interfaceName, long ourMac, boolean qdiscBypass, int bufferBytes,
                                     boolean offload) {
        LinuxCalls.checkInterfaceName(interfaceName);
        if (bufferBytes < 64) {
            throw new IllegalArgumentException("bufferBytes " + bufferBytes + " < 64");
        }
        Arena arena = Arena.ofShared();
        int fd = -1;
        RxRing ring = null; // mapped before bind: unmapped again if a later step fails
        try {
            MemorySegment cs = LinuxCalls.newCallState(arena);
            int index = LinuxCalls.check(LinuxCalls.ifNameToIndex(cs, arena.allocateFrom(interfaceName)),
                    "if_nametoindex", interfaceName);
            fd = LinuxCalls.check(LinuxCalls.socket(cs, LinuxCalls.AF_PACKET,
                    LinuxCalls.SOCK_RAW | LinuxCalls.SOCK_NONBLOCK | LinuxCalls.SOCK_CLOEXEC, 0),
                    "socket(AF_PACKET, SOCK_RAW)", interfaceName);
            MemorySegment one = arena.allocateFrom(JAVA_INT, 1);
            LinuxCalls.check(LinuxCalls.setsockopt(cs, fd, LinuxCalls.SOL_PACKET, LinuxCalls.PACKET_IGNORE_OUTGOING,
                    one, 4), "setsockopt(PACKET_IGNORE_OUTGOING)", interfaceName);
            if (qdiscBypass) {
                LinuxCalls.check(LinuxCalls.setsockopt(cs, fd, LinuxCalls.SOL_PACKET, LinuxCalls.PACKET_QDISC_BYPASS,
                        one, 4), "setsockopt(PACKET_QDISC_BYPASS)", interfaceName);
            }
            if (offload) {
                LinuxCalls.check(LinuxCalls.setsockopt(cs, fd, LinuxCalls.SOL_PACKET, LinuxCalls.PACKET_VNET_HDR,
                        one, 4), "setsockopt(PACKET_VNET_HDR)", interfaceName);
            }
            // The default socket buffer (rmem_default, ~200 KiB) overflows in bursts while the
            // loop is busy: a 4 MiB buffer took kernel->Java bulk from 1.2 to 27 MB/s on a veth.
            MemorySegment rcvbuf = arena.allocateFrom(JAVA_INT, RECEIVE_BUFFER_BYTES);
            LinuxCalls.check(LinuxCalls.setsockopt(cs, fd, LinuxCalls.SOL_SOCKET, LinuxCalls.SO_RCVBUFFORCE,
                    rcvbuf, 4), "setsockopt(SO_RCVBUFFORCE)", interfaceName);
            ring = offload ? RxRing.setUp(cs, arena, fd) : null;
            long mac = ourMac >= 0 ? ourMac & 0xFFFF_FFFF_FFFFL
                    : ourMac == ANY_MAC ? ANY_MAC : interfaceMac(cs, arena, fd, interfaceName);
            MemorySegment sll = arena.allocate(LinuxCalls.SOCKADDR_LL_SIZE, 4);
            sll.set(JAVA_SHORT, 0, (short) LinuxCalls.AF_PACKET);
            sll.set(NETWORK_SHORT, 2, (short) LinuxCalls.ETH_P_ALL); // sll_protocol is __be16
            sll.set(JAVA_INT, 4, index);
            LinuxCalls.check(LinuxCalls.bind(cs, fd, sll, LinuxCalls.SOCKADDR_LL_SIZE),
                    "bind(AF_PACKET, ifindex " + index + ")", interfaceName);
            return new PacketChannel(arena, fd, interfaceName, index, mac,
                    offload ? Math.max(bufferBytes, OFFLOAD_FRAME_BYTES) : bufferBytes, offload, ring);
        } catch (RuntimeException e) {
            if (ring != null) {
                try {
                    LinuxCalls.unmap(LinuxCalls.threadCallState(), ring.address, RxRing.BYTES,
                            "PACKET_RX_RING of " + interfaceName);
                } catch (RuntimeException u) {
                    e.addSuppressed(u); // the first failure is the one to report
                }
            }
            if (fd >= 0) {
                LinuxCalls.close(LinuxCalls.threadCallState(), fd);
            }
            arena.close();
            throw e;
        }
    }

    private static long interfaceMac(MemorySegment cs, Arena arena, int fd, String name) {
        MemorySegment ifr = LinuxCalls.ifreq(arena, name);
        LinuxCalls.check(LinuxCalls.ioctl(cs, fd, LinuxCalls.SIOCGIFHWADDR, ifr), "ioctl(SIOCGIFHWADDR)", name);
        long mac = 0;
        // struct sockaddr ifr_hwaddr at 16: sa_family (2 bytes), then sa_data with the address.
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (ifr.get(JAVA_BYTE, LinuxCalls.IFREQ_UNION_OFFSET + 2 + i) & 0xFF);
        }
        return mac;
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        ensureOpen();
        if (ring != null) {
            return pollRing(handler, limit);
        }
        if (batch != null) {
            return pollBatched(handler, limit);
        }
        int delivered = 0;
        int r;
        while (delivered < limit && (r = receiveOne(handler)) >= 0) {
            delivered += r;
        }
        return delivered;
    }

    /** One frame by recv(2): 1 delivered, 0 read and dropped, -1 none waiting. */
    private int receiveOne(FrameHandler handler) {
        int capacity = (int) rx.byteSize();
        long n;
        do {
            // MSG_TRUNC: the result is the frame's real length even if it did not fit.
            n = LinuxCalls.recv(callState, fd, rx, capacity, LinuxCalls.MSG_TRUNC);
        } while (n < 0 && readFailed(n));
        if (n < 0) {
            return -1;
        }
        if (n > capacity) {
            framesTruncated++;
            return 0;
        }
        if (accept(rxBuffer, 0, (int) n - headroom)) {
            handler.onFrame(rxBuffer, headroom, (int) n - headroom);
            return 1;
        }
        return 0;
    }

    /**
     * With offload: frames straight from the receive ring, no system call and no copy; a slot
     * is handed back to the kernel once its frame is handled. A frame longer than a slot (a GSO
     * super-frame) is marked TP_STATUS_COPY there and read whole from the socket's queue.
     */
    private int pollRing(FrameHandler handler, int limit) {
        int delivered = 0;
        UnsafeBuffer frames = ring.frames;
        while (delivered < limit) {
            int slot = ring.head * RxRing.FRAME_BYTES;
            int status = frames.getIntAcquire(slot + LinuxCalls.TPACKET2_STATUS);
            if ((status & LinuxCalls.TP_STATUS_USER) == 0) {
                break;
            }
            if ((status & LinuxCalls.TP_STATUS_COPY) != 0) {
                delivered += Math.max(0, receiveOne(handler));
            } else {
                int length = frames.getInt(slot + LinuxCalls.TPACKET2_SNAPLEN);
                int mac = slot + (frames.getShort(slot + LinuxCalls.TPACKET2_MAC) & 0xFFFF);
                if (length != frames.getInt(slot + LinuxCalls.TPACKET2_LEN)) {
                    framesTruncated++; // cut to the slot and no whole copy queued (socket buffer full)
                } else if (accept(frames, mac - headroom, length)) {
                    delivered++;
                    handler.onFrame(frames, mac, length);
                }
            }
            frames.putIntRelease(slot + LinuxCalls.TPACKET2_STATUS, LinuxCalls.TP_STATUS_KERNEL);
            ring.head = ring.head + 1 == RxRing.FRAMES ? 0 : ring.head + 1;
        }
        return delivered;
    }

    /**
     * With offload: up to {@link #BATCH} frames per recvmmsg(2), each in a slot that holds the
     * largest GSO frame, so a burst of ACKs costs one system call, not one each.
     */
    private int pollBatched(FrameHandler handler, int limit) {
        int delivered = 0;
        while (delivered < limit) {
            int want = Math.min(BATCH, limit - delivered);
            int got = LinuxCalls.recvmmsg(callState, fd, batch.headers, want, LinuxCalls.MSG_TRUNC);
            if (got < 0) {
                if (readFailed(got)) {
                    continue;
                }
                break;
            }
            for (int i = 0; i < got; i++) {
                int n = batch.length(i);
                int base = i * batch.slot;
                if ((batch.flags(i) & LinuxCalls.MSG_TRUNC) != 0 || n > batch.slot) {
                    framesTruncated++;
                } else if (accept(batch.buffer, base, n - headroom)) {
                    delivered++;
                    handler.onFrame(batch.buffer, base + headroom, n - headroom);
                }
            }
            if (got < want) {
                break;
            }
        }
        return delivered;
    }

    /**
     * Checks the frame of {@code length} bytes behind the headroom at {@code base}: long enough,
     * for us, its checksum finished if the virtio header says it is partial. Counts what it drops.
     */
    private boolean accept(UnsafeBuffer buf, int base, int length) {
        if (length < 14) {
            framesTruncated++;
            return false;
        }
        if (!addressedToUs(buf, base + headroom)) {
            framesNotForUs++;
            return false;
        }
        if (offload && (buf.getByte(base) & VNET_F_NEEDS_CSUM) != 0 && !finishChecksum(buf, base, length)) {
            framesTruncated++;
            return false;
        }
        framesReceived++;
        return true;
    }

    private boolean addressedToUs(UnsafeBuffer buf, int frame) {
        int high = buf.getInt(frame, ByteOrder.BIG_ENDIAN);
        if (anyMac || (high & 0x0100_0000) != 0) {
            return true; // group bit: broadcast or multicast
        }
        return high == ourMacHigh && buf.getShort(frame + 4, ByteOrder.BIG_ENDIAN) == ourMacLow;
    }

    /**
     * A received frame whose header says NEEDS_CSUM: its checksum field holds the pseudo-header
     * sum; adding every byte from csum_start on and complementing finishes it. False if the
     * header points outside the frame.
     */
    private boolean finishChecksum(UnsafeBuffer buf, int base, int length) {
        int start = buf.getShort(base + 6, HOST) & 0xFFFF;
        int field = start + (buf.getShort(base + 8, HOST) & 0xFFFF);
        if (start >= length || field + 2 > length) {
            return false;
        }
        int frame = base + headroom;
        long sum = Checksums.sum(buf, frame + start, length - start);
        buf.putShort(frame + field, (short) Checksums.finish(sum), ByteOrder.BIG_ENDIAN);
        checksumsFinished++;
        return true;
    }

    /**
     * The PACKET_RX_RING (TPACKET_V2) of an offload socket: {@link #FRAMES} slots of
     * {@link #FRAME_BYTES}, each a tpacket2_hdr, the virtio header and a frame up to the MTU;
     * frames longer than a slot also go whole to the socket's queue (PACKET_COPY_THRESH).
     */
    static final class RxRing {
        static final int FRAME_BYTES = 2048;
        static final int BLOCK_BYTES = 64 * 1024;
        static final int BLOCKS = 64;
        static final int FRAMES = BLOCKS * (BLOCK_BYTES / FRAME_BYTES);
        static final long BYTES = (long) BLOCKS * BLOCK_BYTES;
        final long address;
        final UnsafeBuffer frames;
        /** The next slot to read. */
        int head;

        private RxRing(long address) {
            this.address = address;
            this.frames = new UnsafeBuffer(address, (int) BYTES);
        }

        /** Sets the ring up on {@code fd} (before bind), or null if the kernel refuses (then recvmmsg). */
        static RxRing setUp(MemorySegment cs, Arena arena, int fd) {
            MemorySegment v = arena.allocateFrom(JAVA_INT, LinuxCalls.TPACKET_V2);
            if (LinuxCalls.setsockopt(cs, fd, LinuxCalls.SOL_PACKET, LinuxCalls.PACKET_VERSION, v, 4) < 0) {
                return null;
            }
            MemorySegment req = arena.allocate(16, 4); // struct tpacket_req
            req.set(JAVA_INT, 0, BLOCK_BYTES);
            req.set(JAVA_INT, 4, BLOCKS);
            req.set(JAVA_INT, 8, FRAME_BYTES);
            req.set(JAVA_INT, 12, FRAMES);
            if (LinuxCalls.setsockopt(cs, fd, LinuxCalls.SOL_PACKET, LinuxCalls.PACKET_RX_RING, req, 16) < 0) {
                return null;
            }
            MemorySegment one = arena.allocateFrom(JAVA_INT, 1);
            LinuxCalls.check(LinuxCalls.setsockopt(cs, fd, LinuxCalls.SOL_PACKET, LinuxCalls.PACKET_COPY_THRESH, one, 4),
                    "setsockopt(PACKET_COPY_THRESH)", "fd " + fd);
            long address = LinuxCalls.mapShared(cs, fd, BYTES, "PACKET_RX_RING of fd " + fd);
            return new RxRing(address);
        }
    }

    /** Unmaps the receive ring after the socket is closed. */
    @Override
    public synchronized void close() {
        boolean open = fd >= 0;
        super.close();
        if (open && ring != null) {
            LinuxCalls.unmap(LinuxCalls.threadCallState(), ring.address, RxRing.BYTES, "PACKET_RX_RING of " + name);
        }
    }

    /** recvmmsg(2)'s vector: BATCH mmsghdrs, each with one iovec onto its own slot. */
    private static final class Batch {
        final int slot;
        final MemorySegment headers;
        final UnsafeBuffer buffer;

        Batch(Arena arena, int slot) {
            this.slot = slot;
            MemorySegment slots = arena.allocate((long) slot * BATCH, 64);
            this.buffer = new UnsafeBuffer(slots.address(), slot * BATCH);
            this.headers = arena.allocate((long) LinuxCalls.MMSGHDR_SIZE * BATCH, 8);
            MemorySegment iovecs = arena.allocate((long) LinuxCalls.IOVEC_SIZE * BATCH, 8);
            for (int i = 0; i < BATCH; i++) {
                MemorySegment iov = iovecs.asSlice((long) i * LinuxCalls.IOVEC_SIZE, LinuxCalls.IOVEC_SIZE);
                iov.set(ValueLayout.ADDRESS, 0, slots.asSlice((long) i * slot, slot));
                iov.set(ValueLayout.JAVA_LONG, 8, slot);
                MemorySegment h = headers.asSlice((long) i * LinuxCalls.MMSGHDR_SIZE, LinuxCalls.MMSGHDR_SIZE);
                h.set(ValueLayout.ADDRESS, LinuxCalls.MSGHDR_IOV, iov);
                h.set(ValueLayout.JAVA_LONG, LinuxCalls.MSGHDR_IOVLEN, 1);
            }
        }

        int length(int i) {
            return headers.get(ValueLayout.JAVA_INT, (long) i * LinuxCalls.MMSGHDR_SIZE + LinuxCalls.MMSGHDR_LEN);
        }

        int flags(int i) {
            return headers.get(ValueLayout.JAVA_INT, (long) i * LinuxCalls.MMSGHDR_SIZE + LinuxCalls.MSGHDR_FLAGS);
        }
    }

    @Override
    public boolean gathersNativePayload() {
        return offload;
    }

    @Override
    public int segmentationOffloadBytes() {
        return offload ? (int) Math.min(tx.byteSize() - headroom, OFFLOAD_FRAME_BYTES) : 0;
    }

    /**
     * The virtio header and the frame's headers go in the transmit buffer; a payload in native
     * memory (an off-heap send ring) goes to sendmsg(2) as a second iovec where it lies, one on
     * the heap is copied behind the headers (the system call needs native memory).
     */
    @Override
    public boolean sendTcpOffloaded(DirectBuffer headers, int headersOffset, int headersLength, DirectBuffer payload,
                                    int payloadOffset, int payloadLength, int l4Offset, int segmentSize) {
        ensureOpen();
        if (!offload) {
            throw new UnsupportedOperationException(name + " was opened without offload");
        }
        int length = headersLength + payloadLength;
        if (length > tx.byteSize() - headroom || payloadLength < 0 || l4Offset + 20 > headersLength) {
            sendsDropped++;
            return false;
        }
        boolean segment = segmentSize > 0 && payloadLength > segmentSize;
        txBuffer.putByte(0, (byte) VNET_F_NEEDS_CSUM);
        txBuffer.putByte(1, (byte) (segment ? VNET_GSO_TCPV4 : VNET_GSO_NONE));
        txBuffer.putShort(2, (short) headersLength, HOST);
        txBuffer.putShort(4, (short) (segment ? segmentSize : 0), HOST);
        txBuffer.putShort(6, (short) l4Offset, HOST);
        txBuffer.putShort(8, (short) TCP_CHECKSUM_FIELD, HOST);
        txBuffer.putBytes(headroom, headers, headersOffset, headersLength);
        boolean sent;
        if (payloadLength > 0 && payload.byteArray() == null) {
            sent = gathered(headroom + headersLength, payload.addressOffset() + payloadOffset, payloadLength);
        } else {
            if (payloadLength > 0) {
                txBuffer.putBytes(headroom + headersLength, payload, payloadOffset, payloadLength);
            }
            sent = transmitted(headroom + length);
        }
        if (sent) {
            offloadedSent++;
            if (segment) {
                segmentedSent++;
            }
            return true;
        }
        return false;
    }

    /** sendmsg(2) of the first {@code head} bytes of {@link #tx} and then {@code length} bytes at {@code address}. */
    private boolean gathered(int head, long address, int length) {
        gather.set(ValueLayout.JAVA_LONG, 8, head);
        gather.set(ValueLayout.JAVA_LONG, LinuxCalls.IOVEC_SIZE, address);
        gather.set(ValueLayout.JAVA_LONG, LinuxCalls.IOVEC_SIZE + 8, length);
        long n;
        do {
            n = LinuxCalls.sendmsg(callState, fd, gatherMessage, LinuxCalls.MSG_DONTWAIT);
        } while (n == -LinuxCalls.EINTR);
        if (counted(n, head + length)) {
            gatheredSent++;
            return true;
        }
        return false;
    }

    @Override
    protected long transmit(int length) {
        return LinuxCalls.send(callState, fd, tx, length, LinuxCalls.MSG_DONTWAIT);
    }

    @Override
    protected int minFrameLength() {
        return 14;
    }

    public int interfaceIndex() {
        return interfaceIndex;
    }

    /** The MAC frames must be unicast to, as a 48-bit value ({@link #ANY_MAC} for a switch port). */
    public long ourMac() {
        return ourMac;
    }

    /** Unicast frames for another MAC, dropped. */
    public long framesNotForUs() {
        return framesNotForUs;
    }

    /** Whether frames are read from an mmap'ed receive ring (offload channels where the kernel allows it). */
    public boolean receiveRing() {
        return ring != null;
    }

    /** Whether the socket was opened with PACKET_VNET_HDR. */
    public boolean offload() {
        return offload;
    }

    /** Frames sent through {@link #sendTcpOffloaded} (each one system call, any number of segments). */
    public long offloadedSent() {
        return offloadedSent;
    }

    /** Of {@link #offloadedSent}, the frames the kernel was asked to cut into segments (GSO). */
    public long segmentedSent() {
        return segmentedSent;
    }

    /** Of {@link #offloadedSent}, the frames whose payload went to the kernel from where it lay (no copy). */
    public long gatheredSent() {
        return gatheredSent;
    }

    /** Received frames with a partial checksum (NEEDS_CSUM) that this channel finished. */
    public long checksumsFinished() {
        return checksumsFinished;
    }

    /**
     * Frames larger than the receive buffer, shorter than an Ethernet header, or with a
     * virtio_net_hdr pointing outside them, dropped.
     */
    public long framesTruncated() {
        return framesTruncated;
    }
}
