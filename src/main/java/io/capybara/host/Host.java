package io.capybara.host;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import io.capybara.io.Node;
import io.capybara.tcp.BufferPool;
import io.capybara.tcp.ConnectionObserver;
import io.capybara.tcp.IsnGenerator;
import io.capybara.tcp.SegmentSink;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import io.capybara.wire.ArpPacket;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.WireCounters;
import io.capybara.wire.TcpSegment;
import java.util.Arrays;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The per-host library OS: one {@link FrameChannel}, Ethernet/ARP, IPv4 demultiplexing, the TCP
 * connection table and listeners, and the callback API ({@link ConnectionHandler}) that
 * applications and the Demikernel-style {@link QueueApi} use.
 *
 * <p>Sans-IO: everything happens inside {@link #poll(long)} or a method the application calls;
 * nothing reads a clock or starts a thread. Time is the {@code nowNanos} of the last poll
 * ({@link #now()}). Per frame nothing is allocated: one reused receive {@link TcpSegment}, one
 * reused transmit buffer.
 */
public final class Host implements Node, SegmentSink {
    /**
     * Ring buffers of each size the host keeps for restores: up to 4,096 of them and 8 MiB per
     * size (2,048 rings of 4 KiB, 32 of 256 KiB), so that a server taking in a few hundred
     * connections at once (half of the rings were fresh, zeroed heap at 256 per size) restores
     * them all into recycled memory.
     */
    private static final int BUFFER_POOL_PER_SIZE = 4096;
    private static final long BUFFER_POOL_BYTES_PER_SIZE = 8L << 20;
    /** Frames taken from the channel per poll; the caller polls again while work is reported. */
    static final int RX_BATCH = 64;
    private static final int MAX_FRAME = FrameChannel.DEFAULT_MTU_FRAME;
    private static final int MIN_FRAME = 60;
    /** Ethernet, option-less IPv4 and the largest TCP header. */
    private static final int TCP_HEADERS_MAX = FrameEncoder.IPV4_HEADERS_LENGTH + 60;
    private static final int EPHEMERAL_FIRST = 49152;
    private static final int EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
    private static final int DEFAULT_BACKLOG = 128;
    private static final SegmentSink DISCARD = (c, s) -> { };
    /** ACKs are checked as cookies for two cookie periods after the last cookie was sent. */
    private static final long COOKIE_ACK_WINDOW_NANOS = 1L << 37;

    private final HostConfig config;
    private final FrameChannel channel;
    private final HostStats stats = new HostStats();
    private final ArpTable arp;
    private final WireCounters wireCounters = new WireCounters();
    private final FrameDecoder decoder = new FrameDecoder(wireCounters);
    private final DecodedFrame decoded = new DecodedFrame();
    private final TcpSegment controlSegment = new TcpSegment();
    /** The SYN a valid cookie ACK stands for. */
    private final TcpSegment cookieSyn = new TcpSegment();
    private final SynCookies cookies;
    /** Connection frames are built here: an MTU, or a whole offloaded segment when the channel takes them. */
    private final UnsafeBuffer tx;
    /**
     * The most TCP payload one segment may carry: the configured bound when the channel offers
     * segmentation offload (every TCP frame of a connection then goes through
     * {@link FrameChannel#sendTcpOffloaded} with its checksum left to the channel), else 0.
     */
    private final int segmentOffload;
    private final UnsafeBuffer control = new UnsafeBuffer(new byte[MAX_FRAME]);
    /** Where a frame sent in pieces is assembled when the channel cannot take pieces. */
    private UnsafeBuffer gatherScratch = new UnsafeBuffer(new byte[MAX_FRAME]);
    private final Long2ObjectHashMap<Binding> connections;
    private Binding[] active;
    private int activeCount;
    /** Kept as connections change (no scan): the sum of their queued bytes, and how many are live. */
    private long queuedBytes;
    private int liveCount;
    /** Connections whose output waits for the end of the frame batch being read ({@link #hold}). */
    private TcpConnection[] held = new TcpConnection[16];
    private int heldCount;
    /** Connections that sent or received a segment since {@link #clearBusy()}, each once (when tracked). */
    private Binding[] busy = new Binding[16];
    private int busyCount;
    private boolean trackBusy;
    /** Every connection's next deadline, so that a poll with nothing due costs O(1). */
    private final TimerWheel timers = new TimerWheel(0);
    private final Int2ObjectHashMap<Listener> listeners = new Int2ObjectHashMap<>();
    private final IntHashSet boundPorts = new IntHashSet();
    private final IsnGenerator isns;
    private int nextEphemeral;
    private int ipId;
    private long now;
    private boolean started;
    private final ArpTable.ParkedFrameSink parkedSender;
    /** Created once: a method reference per poll would allocate. */
    private final FrameHandler rxHandler = this::onFrame;
    private long resolvedMac;
    private MigrationHook migrationHook;

    private final BufferPool bufferPool;
    /** Handler-API connections closed since the last poll: their rings go to the pool then. */
    private final TcpConnection[] closed = new TcpConnection[256];
    private int closedCount;

    public Host(HostConfig config, FrameChannel channel) {
        this.config = config;
        this.channel = channel;
        int offloadFrame = channel.segmentationOffloadBytes();
        this.segmentOffload = offloadFrame > TCP_HEADERS_MAX
                ? Math.min(config.segmentOffloadBytes(), offloadFrame - TCP_HEADERS_MAX) : 0;
        this.tx = new UnsafeBuffer(new byte[MAX_FRAME]);
        // rings off the heap when the channel sends from them where they lie (one copy less per byte)
        this.bufferPool = new BufferPool(BUFFER_POOL_PER_SIZE, BUFFER_POOL_BYTES_PER_SIZE,
                segmentOffload > 0 && channel.gathersNativePayload());
        this.arp = new ArpTable(config.arpTimeoutNanos());
        for (Map.Entry<Integer, Long> e : config.staticArp().entrySet()) {
            arp.putStatic(e.getKey(), e.getValue());
        }
        this.connections = new Long2ObjectHashMap<>(Math.max(16, config.maxConnections() * 2), 0.6f);
        this.active = new Binding[Math.max(16, config.maxConnections())];
        this.isns = new IsnGenerator(mix(config.isnSeed() ^ 0x243F6A8885A308D3L));
        this.cookies = new SynCookies(mix(config.isnSeed() ^ 0x452821E638D01377L), config.tcp());
        this.nextEphemeral = EPHEMERAL_FIRST
                + (int) Long.remainderUnsigned(mix(config.isnSeed() ^ 0x13198A2E03707344L), EPHEMERAL_COUNT);
        this.parkedSender = (buf, off, len) -> {
            EthernetHeader.dst(buf, off, resolvedMac);
            transmitFrame(buf, off, len);
        };
    }

    // ------------------------------------------------------------------ node loop

    /**
     * Drains up to {@link #RX_BATCH} frames, runs due ARP and connection timers, and on the first
     * call announces the host with a gratuitous ARP.
     *
     * @return work done (frames, timers, announcements); 0 when idle
     */
    @Override
    public int poll(long nowNanos) {
        now = nowNanos;
        int work = 0;
        if (!started) {
            started = true;
            announce();
            work++;
        }
        try {
            work += channel.poll(rxHandler, RX_BATCH);
        } finally {
            releaseHeld(); // even if a frame's handling threw: no connection stays silent
        }
        work += runArpTimers();
        work += runConnectionTimers();
        recycleClosed();
        return work;
    }

    /**
     * Gives the rings of connections that closed since the last poll to the buffer pool. Done
     * here, not in {@link #onClosed}, because that runs inside the connection's own call.
     */
    private void recycleClosed() {
        for (int i = 0; i < closedCount; i++) {
            closed[i].recycle(bufferPool);
            closed[i] = null;
        }
        closedCount = 0;
    }

    @Override
    public long nextDeadline() {
        if (!started) {
            return now;
        }
        return Math.min(arp.nextDeadline(), timers.nextDeadline());
    }

    /** The time of the last poll; pass it to connection calls made from handlers. */
    public long now() {
        return now;
    }

    public HostConfig config() {
        return config;
    }

    public HostStats stats() {
        return stats;
    }

    /** Frames the decoder rejected, by {@link io.capybara.wire.DropReason} (checksums, fragments...). */
    public WireCounters wireCounters() {
        return wireCounters;
    }

    public String name() {
        return config.name();
    }

    /** The sink to give a restored connection before {@link #attach}. */
    public SegmentSink sink() {
        return this;
    }

    /**
     * Ring memory of connections that left this host (migrated away, or closed: after
     * {@link ConnectionHandler#onClosed} a handler's connection is empty), for connections
     * restored on it (see {@link TcpConnection#recycle}); one per host, like its loop.
     */
    public BufferPool bufferPool() {
        return bufferPool;
    }

    /** Connections in the table (including closing ones the application already released). */
    public int connectionCount() {
        return activeCount;
    }

    /**
     * True if {@code conn} is in this host's table: {@code connection(its addresses) == conn}
     * without the table lookup (through its binding, which the connection points to).
     */
    public boolean holds(TcpConnection conn) {
        return conn.observer() instanceof Binding b && b.host == this && !b.removed;
    }

    /** The connection with this remote address and local port, or null. */
    public TcpConnection connection(int remoteIp, int remotePort, int localPort) {
        Binding b = connections.get(key(remoteIp, remotePort, localPort));
        return b == null ? null : b.conn;
    }

    /** The cached MAC for {@code ip}, or -1. */
    public long arpLookup(int ip) {
        return arp.lookup(ip, now, stats);
    }

    /** Sends a gratuitous ARP request announcing our address (done once on the first poll). */
    public void announce() {
        sendArp(ArpPacket.OP_REQUEST, MacAddress.BROADCAST, config.ip(), 0L, config.ip());
        stats.arpGratuitousSent++;
    }

    private int runConnectionTimers() {
        int work = 0;
        timers.advance(now);
        TimerWheel.Timer t;
        while ((t = timers.pollDue()) != null) {
            Binding b = (Binding) t;
            if (b.listener != null && b.embryonicUntil <= now) {
                expireEmbryonic(b);
                work++;
                continue;
            }
            if (embryonic(b)) { // the listener's schedule, not the connection's RTO
                if (nextSynAck(b) <= now) {
                    do { // one SYN-ACK however late this poll: the retries it missed are skipped
                        b.synAcks++;
                    } while (b.synAcks < config.synAckRetries() && nextSynAck(b) <= now);
                    stats.tcpSynAckRetransmits++;
                    b.conn.retransmitSynAck(now);
                    work++;
                }
                if (!b.removed) {
                    reschedule(b);
                }
                continue;
            }
            long due = b.conn.nextDeadline();
            if (due > now) { // moved later since it was scheduled: not due after all
                reschedule(b);
                continue;
            }
            b.conn.onTimer(now);
            stats.timersRun++;
            work++;
            reapIfClosed(b);
            if (!b.removed) {
                reschedule(b);
                if (b.deadline <= now) { // a timer left due would come back in this loop: next poll
                    timers.schedule(b, now + 1);
                }
            }
        }
        return work;
    }

    private int runArpTimers() {
        int work = 0;
        for (int i = 0; i < arp.resolvingCount(); ) {
            if (arp.resolvingDeadline(i) > now) {
                i++;
                continue;
            }
            int ip = arp.resolvingIp(i);
            work++;
            if (arp.resolvingRequests(i) >= config.arpMaxRequests()) {
                stats.arpUnresolvedDrops += arp.unpark(ip, null);
                arp.stopResolving(ip); // swaps another entry into i
            } else {
                arp.retried(i, now + config.arpRetryNanos());
                sendArpRequest(ip);
                i++;
            }
        }
        return work;
    }

    // ------------------------------------------------------------------ receive path

    private void onFrame(MutableDirectBuffer buf, int off, int len) {
        stats.rxFrames++;
        // the cheap MAC filter first: a veth or a flooding switch delivers frames for others
        if (len >= EthernetHeader.LENGTH) {
            long dst = EthernetHeader.dst(buf, off);
            if (dst != config.mac() && dst != MacAddress.BROADCAST) {
                stats.rxOtherMac++;
                return;
            }
        }
        switch (decoder.decode(buf, off, len, decoded)) {
            case TCP -> onIpv4Tcp(decoded);
            case ARP -> onArp(decoded);
            case UDP, OTHER_IPV4 -> {
                if (migrationHook != null && decoded.kind == DecodedFrame.Kind.UDP && decoded.dstIp == config.ip()
                        && decoded.udpDstPort == io.capybara.wire.TcpMigHeader.UDP_PORT) {
                    releaseHeld(); // a control message may snapshot or detach a connection
                    migrationHook.onControl(decoded);
                } else if (decoded.dstIp != config.ip()) {
                    stats.ipNotForUs++;
                } else {
                    stats.ipOtherProtocol++;
                }
            }
            case DROPPED -> {
                // counted by reason in wireCounters()
            }
        }
    }

    private void onArp(DecodedFrame f) {
        int op = f.arpOp;
        long senderMac = f.arpSenderMac;
        int senderIp = f.arpSenderIp;
        int targetIp = f.arpTargetIp;
        // a probe (sender 0.0.0.0), our own address echoed, or a multicast sender: learn nothing
        boolean usable = senderIp != 0 && senderIp != config.ip() && !MacAddress.isMulticast(senderMac);
        // RFC 826 merge: refresh an entry we already have; add one only if addressed to us
        boolean learned = false;
        if (usable && (targetIp == config.ip() || arp.contains(senderIp))) {
            arp.learn(senderIp, senderMac, now);
            stats.arpLearned++;
            learned = true;
            arp.stopResolving(senderIp);
            resolvedMac = arp.lookup(senderIp, now, stats);
            if (resolvedMac >= 0) {
                arp.unpark(senderIp, parkedSender);
            }
        }
        // answer requests for our address, RFC 5227 probes (sender 0.0.0.0) included
        boolean asker = usable || (senderIp == 0 && !MacAddress.isMulticast(senderMac));
        if (asker && targetIp == config.ip() && op == ArpPacket.OP_REQUEST) {
            sendArp(ArpPacket.OP_REPLY, senderMac, config.ip(), senderMac, senderIp);
            stats.arpRequestsAnswered++;
        } else if (!learned) {
            stats.arpNotForUs++;
        }
    }

    private void onIpv4Tcp(DecodedFrame f) {
        if (f.dstIp != config.ip()) {
            stats.ipNotForUs++;
            return;
        }
        int src = f.srcIp;
        if (src == 0 || src == Ipv4Address.BROADCAST || src == config.ip()) {
            stats.ipMartianSource++;
            return;
        }
        onTcp(f.tcp);
    }

    private void onTcp(TcpSegment seg) {
        Binding b = connections.get(key(seg.srcIp, seg.srcPort, seg.dstPort));
        if (b != null && b.conn.state() == TcpState.TIME_WAIT && listeners.containsKey(seg.dstPort)
                && b.conn.acceptsNewIncarnation(seg)) {
            // RFC 6191: a newer SYN ends TIME_WAIT early; the listener takes it as a new connection
            stats.tcpTimeWaitReused++;
            onClosed(b, false);
            b = null;
        }
        if (b != null) {
            stats.tcpSegments++;
            markBusy(b);
            if (segmentOffload > 0 && !b.conn.holdsOutput()) {
                hold(b.conn);
            }
            b.conn.onSegment(seg, now);
            reapIfClosed(b);
            return;
        }
        if (migrationHook != null && migrationHook.onUnmatchedSegment(decoded)) {
            return;
        }
        Listener l = listeners.get(seg.dstPort);
        if (l == null) {
            sendReset(seg);
            return;
        }
        // RFC 9293 3.10.7.2, LISTEN state
        if (seg.has(TcpSegment.RST)) {
            stats.tcpRstIgnored++;
        } else if (seg.has(TcpSegment.ACK)) {
            if (now < l.cookiesUntil && !seg.has(TcpSegment.SYN)) {
                acceptCookie(l, seg);
            } else {
                sendReset(seg);
            }
        } else if (seg.has(TcpSegment.SYN)) {
            if (l.queued >= l.acceptBacklog) {
                stats.tcpBacklogDrops++; // the application is not accepting: nothing to offer
            } else if (l.halfOpen >= l.synBacklog) {
                // RFC 4987: past the bound a SYN costs a SYN-ACK and no memory
                cookies.fillSynAck(seg, now, controlSegment);
                stats.tcpSynCookiesSent++;
                l.cookiesUntil = now + COOKIE_ACK_WINDOW_NANOS;
                frameSegment(controlSegment, control);
            } else {
                int iss = isn(seg.dstIp, seg.dstPort, seg.srcIp, seg.srcPort);
                open(l, TcpConnection.accept(config.tcp(), seg, iss, now, this), null);
            }
        } else {
            stats.tcpListenBadSegment++;
        }
    }

    /** A connection the listener accepted: half-open until its handshake completes, then the application's. */
    private void open(Listener l, TcpConnection conn, TcpSegment ack) {
        Binding nb = insert(conn, null);
        nb.listener = l;
        nb.openedAt = now;
        nb.embryonicUntil = now + config.embryonicNanos();
        l.halfOpen++;
        stats.connectionsAccepted++;
        reschedule(nb);
        if (ack != null) {
            nb.conn.onSegment(ack, now); // completes the handshake
        }
        reapIfClosed(nb);
    }

    /** The ACK of a cookie SYN-ACK (or a stray ACK): a connection if its cookie verifies, else RST. */
    private void acceptCookie(Listener l, TcpSegment ack) {
        if (!cookies.check(ack, now, cookieSyn)) {
            stats.tcpSynCookiesFailed++;
            sendReset(ack);
            return;
        }
        if (l.queued >= l.acceptBacklog) {
            stats.tcpAcceptOverflows++; // dropped: the client retransmits, or its data does
            return;
        }
        stats.tcpSynCookiesAccepted++;
        // the connection as if it had answered the SYN the cookie kept; its own SYN-ACK is not sent
        TcpConnection conn = TcpConnection.accept(config.tcp(), cookieSyn, SynCookies.iss(ack), now, DISCARD);
        conn.sink(this);
        open(l, conn, ack);
    }

    /**
     * The wheel's deadline for {@code b}: a half-open connection's next SYN-ACK or its end (the
     * listener's schedule: its own retransmission deadline, TCP's data RTO, is not used), else
     * its connection's.
     */
    private void reschedule(Binding b) {
        timers.schedule(b, embryonic(b) ? nextSynAck(b) : b.conn.nextDeadline());
    }

    /** Half-open, waiting for the handshake's last ACK: on the listener's SYN-ACK schedule. */
    private static boolean embryonic(Binding b) {
        return b.listener != null && b.conn.state() == TcpState.SYN_RECEIVED;
    }

    /** When the next SYN-ACK retry is due, or the end of the slot after the last one. */
    private long nextSynAck(Binding b) {
        return b.synAcks < config.synAckRetries() ? b.openedAt + config.synAckRetryNanos(b.synAcks + 1)
                : b.embryonicUntil;
    }

    /** A half-open connection whose handshake never completed: dropped quietly (no RST). */
    private void expireEmbryonic(Binding b) {
        remove(b);
        leaveListener(b);
        b.conn.observer(ConnectionObserver.NONE);
        b.conn.sink(DISCARD);
        b.conn.recycle(bufferPool);
        stats.tcpEmbryonicExpired++;
    }

    /** RFC 9293 3.10.7.1: the reset for a segment that matches nothing (never for a RST). */
    private void sendReset(TcpSegment seg) {
        if (TcpConnection.fillReset(seg, controlSegment)) {
            stats.tcpRstSent++;
            frameSegment(controlSegment, control);
        } else {
            stats.tcpRstIgnored++;
        }
    }

    // ------------------------------------------------------------------ transmit path

    /** Frames a connection's segment (Ethernet + IPv4 + TCP) and sends it. */
    @Override
    public void transmit(TcpConnection connection, TcpSegment segment) {
        if (trackBusy && connection.observer() instanceof Binding b && b.host == this) {
            markBusy(b);
        }
        if (segmentOffload > 0) {
            frameOffloaded(segment, connection.sendMss());
        } else {
            frameSegment(segment, tx);
        }
    }

    /** Lets the connection send segments of up to this much payload (see {@link HostConfig#segmentOffloadBytes}). */
    @Override
    public int segmentOffloadBytes() {
        return segmentOffload;
    }

    /**
     * A connection's segment on a channel with segmentation offload: its TCP checksum left to
     * the channel, unpadded (the checksum covers the frame to its end), cut into segments of
     * {@code mss} payload bytes below if longer. Until the next hop's MAC is known it is framed
     * in full instead, since a parked frame goes out later as a plain one.
     */
    private void frameOffloaded(TcpSegment seg, int mss) {
        int nextHop = nextHop(seg.dstIp);
        long mac = nextHop == 0 ? -1 : arp.lookup(nextHop, now, stats);
        if (mac < 0 || seg.payloadLength > segmentOffload) {
            frameSegment(seg, tx);
            return;
        }
        // the headers here, the payload straight from the connection's send ring
        int headers = FrameEncoder.encodeTcpHeaders(tx, 0, mac, config.mac(), ipId & 0xFFFF, seg) - seg.payloadLength;
        // the channel's segments take consecutive IPv4 ids from this one
        ipId += seg.payloadLength > mss ? (seg.payloadLength + mss - 1) / mss : 1;
        if (channel.sendTcpOffloaded(tx, 0, headers, seg.payload, seg.payloadOffset, seg.payloadLength,
                FrameEncoder.IPV4_HEADERS_LENGTH, mss)) {
            stats.txFrames++;
        } else {
            stats.txChannelFull++;
        }
    }

    /**
     * With segmentation offload, a connection that gets a segment sends nothing until the batch
     * of frames has been read: a sender reading a burst of ACKs (a receiver's SACKs after a loss,
     * or ACKs that queued while this host was sending) then sends one large segment instead of a
     * small one per ACK, a system call and a trip through the kernel each. Without offload every
     * segment is a frame of its own anyway, so nothing is held (and the simulated racks, whose
     * channels offer none, run as they always have).
     */
    private void hold(TcpConnection conn) {
        conn.holdOutput();
        if (heldCount == held.length) {
            held = Arrays.copyOf(held, heldCount * 2);
        }
        held[heldCount++] = conn;
    }

    /** Lets every held connection send: at the end of a batch, and before anything may move one. */
    private void releaseHeld() {
        for (int i = 0; i < heldCount; i++) {
            held[i].releaseOutput(now);
            held[i] = null;
        }
        heldCount = 0;
    }

    private void markBusy(Binding b) {
        if (trackBusy && !b.busy) {
            b.busy = true;
            if (busyCount == busy.length) {
                busy = Arrays.copyOf(busy, busyCount * 2);
            }
            busy[busyCount++] = b;
        }
    }

    private void frameSegment(TcpSegment seg, UnsafeBuffer buf) {
        int frameLength = FrameEncoder.tcpFrameLength(seg);
        if (frameLength > MAX_FRAME) {
            // on an offload channel a segment longer than an MTU waiting for ARP is dropped like a lost one
            stats.txOversize++;
            return;
        }
        int nextHop = nextHop(seg.dstIp);
        if (nextHop == 0) {
            stats.txNoRoute++;
            return;
        }
        long mac = arp.lookup(nextHop, now, stats);
        frameLength = pad(buf, FrameEncoder.encodeTcp(buf, 0, mac < 0 ? 0 : mac, config.mac(), ipId++ & 0xFFFF, seg));
        if (mac >= 0) {
            transmitFrame(buf, 0, frameLength);
            return;
        }
        if (arp.park(nextHop, buf, 0, frameLength)) {
            stats.arpQueued++;
        } else {
            stats.arpQueueFullDrops++;
        }
        if (!arp.isResolving(nextHop) && arp.startResolving(nextHop, now + config.arpRetryNanos())) {
            sendArpRequest(nextHop);
        }
    }

    private int nextHop(int dst) {
        if (Ipv4Address.sameSubnet(dst, config.ip(), config.prefixLength())) {
            return dst;
        }
        return config.gateway();
    }

    private void sendArpRequest(int targetIp) {
        sendArp(ArpPacket.OP_REQUEST, MacAddress.BROADCAST, config.ip(), 0L, targetIp);
        stats.arpRequestsSent++;
    }

    private void sendArp(int op, long ethDst, int senderIp, long targetMac, int targetIp) {
        int len = pad(control, FrameEncoder.encodeArp(control, 0, ethDst, config.mac(), op, config.mac(), senderIp,
                targetMac, targetIp));
        transmitFrame(control, 0, len);
    }

    /** Pads to the Ethernet minimum with zeros (a TAP or NIC would otherwise do it). */
    private static int pad(UnsafeBuffer buf, int len) {
        if (len < MIN_FRAME) {
            buf.setMemory(len, MIN_FRAME - len, (byte) 0);
            return MIN_FRAME;
        }
        return len;
    }

    private void transmitFrame(DirectBuffer buf, int off, int len) {
        if (channel.send(buf, off, len)) {
            stats.txFrames++;
        } else {
            stats.txChannelFull++;
        }
    }

    // ------------------------------------------------------------------ connection table

    private static long key(int remoteIp, int remotePort, int localPort) {
        return (remoteIp & 0xFFFF_FFFFL) << 32 | (long) (remotePort & 0xFFFF) << 16 | (localPort & 0xFFFF);
    }

    private Binding insert(TcpConnection conn, ConnectionHandler handler) {
        long k = key(conn.remoteIp(), conn.remotePort(), conn.localPort());
        if (connections.containsKey(k)) {
            throw new IllegalStateException("connection already in the table: " + describe(conn));
        }
        Binding b = new Binding(this, conn, k);
        b.handler = handler;
        b.established = conn.state().isSynchronized();
        conn.observer(b);
        conn.bufferPool(bufferPool);
        connections.put(k, b);
        if (activeCount == active.length) {
            active = Arrays.copyOf(active, active.length * 2);
        }
        b.index = activeCount;
        active[activeCount++] = b;
        b.queued = conn.queuedBytes();
        queuedBytes += b.queued;
        updateLive(b);
        timers.schedule(b, conn.nextDeadline());
        return b;
    }

    private void remove(Binding b) {
        if (b.removed) {
            return;
        }
        b.removed = true;
        timers.cancel(b);
        connections.remove(b.key);
        queuedBytes -= b.queued;
        if (b.live) {
            b.live = false;
            liveCount--;
        }
        int i = b.index;
        Binding last = active[--activeCount];
        active[i] = last;
        last.index = i;
        active[activeCount] = null;
    }

    /**
     * After every call the host makes into a connection (a segment, a timer): one that reached
     * CLOSED without telling us (defensive) is cleaned up; the live count follows its state.
     * Calls the application makes cannot change whether a connection is live (close keeps it
     * synchronized, abort closes it, which removes it).
     */
    private void reapIfClosed(Binding b) {
        if (!b.removed && b.conn.state() == TcpState.CLOSED) {
            onClosed(b, false);
        }
        updateLive(b);
    }

    private void updateLive(Binding b) {
        boolean live = !b.removed && isLive(b.conn.state());
        if (live != b.live) {
            b.live = live;
            liveCount += live ? 1 : -1;
        }
    }

    /** Synchronized and not yet in TIME_WAIT: a connection its server still serves (and may migrate). */
    public static boolean isLive(TcpState s) {
        return s.isSynchronized() && s != TcpState.TIME_WAIT;
    }

    void onQueuedChanged(Binding b) {
        if (!b.removed) {
            int q = b.conn.queuedBytes();
            queuedBytes += q - b.queued;
            b.queued = q;
        }
    }

    private static String describe(TcpConnection c) {
        return Ipv4Address.format(c.localIp()) + ":" + c.localPort() + " <-> "
                + Ipv4Address.format(c.remoteIp()) + ":" + c.remotePort();
    }

    /** RFC 6528 (keyed hash of the four-tuple plus a 4-microsecond clock). */
    private int isn(int localIp, int localPort, int remoteIp, int remotePort) {
        return isns.isn(localIp, localPort, remoteIp, remotePort, now);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    int ephemeralPort(int remoteIp, int remotePort) {
        for (int i = 0; i < EPHEMERAL_COUNT; i++) {
            int port = nextEphemeral;
            nextEphemeral = port == 65535 ? EPHEMERAL_FIRST : port + 1;
            if (!listeners.containsKey(port) && !boundPorts.contains(port)
                    && !connections.containsKey(key(remoteIp, remotePort, port))) {
                return port;
            }
        }
        stats.tcpPortExhausted++;
        return -1;
    }

    // ------------------------------------------------------------------ connection events

    void onEstablished(Binding b) {
        b.established = true;
        Listener l = b.listener;
        if (l != null) {
            l.halfOpen--;
            if (l.closed || l.queued >= l.acceptBacklog) {
                if (!l.closed) {
                    stats.tcpAcceptOverflows++; // the accept queue filled during the handshake
                }
                b.listener = null;
                b.conn.abort(now);
                return;
            }
            b.listener = null;
            b.handler = l.handler;
            l.handler.onAccepted(b.conn);
            return;
        }
        if (b.handler != null) {
            b.handler.onConnected(b.conn);
        }
    }

    void onReadable(Binding b) {
        if (b.handler != null) {
            b.handler.onData(b.conn);
        }
    }

    void onWritable(Binding b) {
        if (b.handler != null) {
            b.handler.onWritable(b.conn);
        }
    }

    void onClosed(Binding b, boolean reset) {
        if (b.removed) {
            return;
        }
        remove(b);
        stats.connectionsRemoved++;
        leaveListener(b);
        if (b.handler != null) {
            b.handler.onClosed(b.conn, reset);
            // a queue API descriptor may still pop what is left in it: not those
            boolean described = b.handler instanceof QueueApi.Events && b.conn.attachment() != null;
            if (!described && closedCount < closed.length) {
                closed[closedCount++] = b.conn;
            }
        }
    }

    /** A half-open connection leaving the table frees its listener's slot. */
    private static void leaveListener(Binding b) {
        Listener l = b.listener;
        if (l != null) {
            b.listener = null;
            l.halfOpen--;
        }
    }

    // ------------------------------------------------------------------ callback API

    /**
     * Listens on {@code port}; accepted connections are reported to {@code handler}. Up to
     * {@code backlog} connections may be half-open; beyond that SYNs are answered with SYN cookies
     * (RFC 4987), which cost no memory; a half-open connection's SYN-ACK is retried on the
     * listener's schedule ({@link HostConfig#synAckRetryNanos}) and the connection is dropped after
     * {@link HostConfig#embryonicNanos()}.
     */
    public void listen(int port, int backlog, ConnectionHandler handler) {
        if (listeners.containsKey(port) || boundPorts.contains(port)) {
            throw new IllegalStateException("port in use: " + port);
        }
        listener(port, backlog, Integer.MAX_VALUE, handler); // the handler takes connections at once
    }

    /**
     * Registers a listener (the port must be free) and returns it: up to {@code synBacklog}
     * half-open connections (then SYN cookies) and {@code acceptBacklog} established ones
     * waiting for the application (then SYNs are dropped).
     */
    Listener listener(int port, int synBacklog, int acceptBacklog, ConnectionHandler handler) {
        Listener l = new Listener(port, synBacklog, acceptBacklog);
        l.handler = handler;
        listeners.put(port, l);
        return l;
    }

    Listener listenerOf(int port) {
        return listeners.get(port);
    }

    /** Reserves a port for a bound socket; false if a listener or another socket has it. */
    boolean reservePort(int port) {
        if (listeners.containsKey(port) || boundPorts.contains(port)) {
            return false;
        }
        boundPorts.add(port);
        return true;
    }

    void releasePort(int port) {
        boundPorts.remove(port);
    }

    /** Closes a connection gracefully for an application that let go of it. */
    void close(TcpConnection conn) {
        conn.close(now);
        if (conn.observer() instanceof Binding b) {
            reapIfClosed(b);
        }
    }

    void abort(TcpConnection conn) {
        conn.abort(now);
        if (conn.observer() instanceof Binding b) {
            reapIfClosed(b);
        }
    }

    public void listen(int port, ConnectionHandler handler) {
        listen(port, DEFAULT_BACKLOG, handler);
    }

    /** Stops listening; established connections stay, half-open ones are reset when they complete. */
    public void unlisten(int port) {
        Listener l = listeners.remove(port);
        if (l != null) {
            l.closed = true;
        }
    }

    /**
     * Opens a connection from an ephemeral port; {@code handler.onConnected} follows the handshake.
     *
     * @return the connection (in SYN_SENT), or null if no ephemeral port is free
     */
    public TcpConnection connect(int remoteIp, int remotePort, ConnectionHandler handler) {
        int port = ephemeralPort(remoteIp, remotePort);
        if (port < 0) {
            return null;
        }
        return openActive(port, remoteIp, remotePort, handler, null);
    }

    /** Opens a connection from {@code localPort}; {@code attachment} is set before anything can happen to it. */
    TcpConnection openActive(int localPort, int remoteIp, int remotePort, ConnectionHandler h, Object attachment) {
        int iss = isn(config.ip(), localPort, remoteIp, remotePort);
        // the SYN is sent from inside connect, before the binding exists; that is fine, the sink
        // needs no binding
        TcpConnection conn = TcpConnection.connect(config.tcp(), config.ip(), localPort, remoteIp, remotePort, iss,
                now, this);
        conn.attach(attachment);
        stats.connectionsConnected++;
        Binding b = insert(conn, h);
        reapIfClosed(b);
        return conn;
    }

    // ------------------------------------------------------------------ migration hooks

    /**
     * Removes a connection from the table silently: no RST, no FIN, no callbacks, and its sink
     * is disconnected so nothing it does later reaches the wire. The connection object is left
     * as it was (snapshot it next).
     *
     * @return false if the connection is not in this host's table
     */
    public boolean detach(TcpConnection conn) {
        if (!(conn.observer() instanceof Binding b) || b.host != this || b.removed) {
            return false; // not in this table (its binding says so: no lookup)
        }
        if (conn.holdsOutput()) {
            releaseHeld(); // what it may send goes out from here, before its state is copied
        }
        remove(b);
        conn.observer(ConnectionObserver.NONE);
        conn.sink(DISCARD);
        leaveListener(b);
        if (b.handler instanceof QueueApi.Events e) {
            e.api().detached(conn);
        }
        stats.connectionsDetached++;
        return true;
    }

    /**
     * Inserts a connection (typically from {@link TcpConnection#restore}) into the table, points
     * its sink at this host and its events at {@code handler}. Nothing is sent and no callback
     * runs now.
     *
     * @throws IllegalStateException if a connection with the same addresses is already here
     */
    public void attach(TcpConnection conn, ConnectionHandler handler) {
        conn.sink(this);
        insert(conn, handler);
        stats.connectionsAttached++;
    }

    /** Installs the migration layer's hook (null removes it). */
    public void migrationHook(MigrationHook hook) {
        this.migrationHook = hook;
    }

    /**
     * The sum of {@link TcpConnection#queuedBytes()} over the table's connections, kept as they
     * change: O(1), however many connections are idle.
     */
    public long queuedBytes() {
        return queuedBytes;
    }

    /** Connections in the table that are {@link #isLive live}, kept as they change: O(1). */
    public int liveConnections() {
        return liveCount;
    }

    /**
     * Starts (or stops and forgets) noting which connections send or receive segments, for a
     * policy that looks only at busy connections ({@link #busyCount}, {@link #busyAt}, {@link #clearBusy}).
     */
    public void trackBusy(boolean on) {
        trackBusy = on;
        clearBusy();
    }

    /** Connections that sent or received a segment since the last {@link #clearBusy()}. */
    public int busyCount() {
        return busyCount;
    }

    /** The i-th busy connection; it may have left the table since (see {@link #holds}). */
    public TcpConnection busyAt(int i) {
        return busy[i].conn;
    }

    public void clearBusy() {
        for (int i = 0; i < busyCount; i++) {
            busy[i].busy = false;
            busy[i] = null;
        }
        busyCount = 0;
    }

    /** The i-th connection of the table, 0 <= i < {@link #connectionCount()}; order changes on removal. */
    public TcpConnection connectionAt(int i) {
        return active[i].conn;
    }

    /**
     * Sends a complete Ethernet/IPv4 frame built elsewhere (a TCPMig datagram, a segment
     * forwarded to the server now holding its connection) toward {@code dstIp}: the Ethernet
     * addresses are filled in here, the next hop resolved by ARP as for the host's own frames.
     * The frame is copied; the buffer is free again on return.
     */
    public void transmitIpv4(MutableDirectBuffer frame, int offset, int length, int dstIp) {
        int nextHop = nextHop(dstIp);
        if (nextHop == 0) {
            stats.txNoRoute++;
            return;
        }
        long mac = arp.lookup(nextHop, now, stats);
        EthernetHeader.src(frame, offset, config.mac());
        EthernetHeader.dst(frame, offset, mac < 0 ? 0 : mac);
        if (mac >= 0) {
            transmitFrame(frame, offset, length);
            return;
        }
        if (arp.park(nextHop, frame, offset, length)) {
            stats.arpQueued++;
        } else {
            stats.arpQueueFullDrops++;
        }
        if (!arp.isResolving(nextHop) && arp.startResolving(nextHop, now + config.arpRetryNanos())) {
            sendArpRequest(nextHop);
        }
    }

    /**
     * {@link #transmitIpv4(MutableDirectBuffer, int, int, int)} for a frame in three pieces:
     * {@code head} (Ethernet header first; its addresses are filled in here), then {@code body}
     * and {@code tail}, which may lie elsewhere. The channel copies the pieces; all buffers are
     * free again on return.
     */
    public void transmitIpv4(MutableDirectBuffer head, int headOffset, int headLength, DirectBuffer body,
                             int bodyOffset, int bodyLength, DirectBuffer tail, int tailOffset, int tailLength,
                             int dstIp) {
        int length = headLength + bodyLength + tailLength;
        if (gatherScratch.capacity() < length) {
            gatherScratch = new UnsafeBuffer(new byte[length]); // once, for a larger MTU
        }
        int nextHop = nextHop(dstIp);
        long mac = nextHop == 0 ? -1 : arp.lookup(nextHop, now, stats);
        if (mac < 0) { // no route, or ARP to resolve first: the one-piece path handles both
            FrameChannel.assemble(gatherScratch, 0, head, headOffset, headLength, body, bodyOffset, bodyLength, tail,
                    tailOffset, tailLength);
            transmitIpv4(gatherScratch, 0, length, dstIp);
            return;
        }
        EthernetHeader.src(head, headOffset, config.mac());
        EthernetHeader.dst(head, headOffset, mac);
        if (channel.send(head, headOffset, headLength, body, bodyOffset, bodyLength, tail, tailOffset, tailLength,
                gatherScratch)) {
            stats.txFrames++;
        } else {
            stats.txChannelFull++;
        }
    }

    // ------------------------------------------------------------------ internals

    /** One connection in the table: routes its events to its handler. */
    static final class Binding extends TimerWheel.Timer implements ConnectionObserver {
        final Host host;
        final TcpConnection conn;
        final long key;
        ConnectionHandler handler;
        /** The listener that created it, until it is handed to the application. */
        Listener listener;
        /** While half-open: when it is dropped if the handshake has not completed. */
        long embryonicUntil;
        /** While half-open: when the SYN arrived, and SYN-ACK retries sent since. */
        long openedAt;
        int synAcks;
        /** Its queued bytes as counted in the host's sum; live as counted; in the busy list. */
        int queued;
        boolean live;
        boolean busy;
        boolean established;
        boolean removed;
        int index;

        Binding(Host host, TcpConnection conn, long key) {
            this.host = host;
            this.conn = conn;
            this.key = key;
        }

        @Override
        public void onEstablished(TcpConnection c) {
            host.onEstablished(this);
        }

        @Override
        public void onReadable(TcpConnection c) {
            host.onReadable(this);
        }

        @Override
        public void onWritable(TcpConnection c) {
            host.onWritable(this);
        }

        @Override
        public void onClosed(TcpConnection c, boolean reset) {
            host.onClosed(this, reset);
        }

        @Override
        public void onDeadlineChanged(TcpConnection c) {
            if (!removed) {
                host.reschedule(this);
            }
        }

        @Override
        public void onQueuedChanged(TcpConnection c) {
            host.onQueuedChanged(this);
        }
    }

    static final class Listener {
        final int port;
        /** Half-open connections kept; beyond, SYN cookies. */
        final int synBacklog;
        /** Established connections waiting to be accepted ({@link #queued}); beyond, SYNs are dropped. */
        final int acceptBacklog;
        /** ACKs to the listener are checked as cookies until then (cookies were sent lately). */
        long cookiesUntil = Long.MIN_VALUE;
        int halfOpen;
        /** Established connections waiting in an application's accept queue ({@link QueueApi}). */
        int queued;
        /** The application object that owns the listener (a queue API descriptor), or null. */
        Object owner;
        ConnectionHandler handler;
        boolean closed;

        Listener(int port, int synBacklog, int acceptBacklog) {
            this.port = port;
            this.synBacklog = synBacklog;
            this.acceptBacklog = acceptBacklog;
        }
    }
}
