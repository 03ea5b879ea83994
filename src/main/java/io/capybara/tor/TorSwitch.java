package io.capybara.tor;

import io.capybara.io.FrameChannel;
import io.capybara.io.FrameHandler;
import io.capybara.io.Node;
import io.capybara.wire.ArpPacket;
import io.capybara.wire.Checksums;
import io.capybara.wire.EthernetHeader;
import io.capybara.wire.Ipv4Header;
import io.capybara.wire.TcpCodec;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import io.capybara.wire.UdpHeader;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2IntHashMap;

/**
 * The top-of-rack switch as a software dataplane with a P4 switch's constraints: tables sized
 * at start, one pass over each frame, headers rewritten in place, nothing allocated or locked
 * per frame. Driven from outside by {@link #poll(long)}; it never reads a clock.
 *
 * <p>Per frame: ARP is answered for configured addresses (or flooded); TCP frames of migrated
 * connections are rewritten through the {@link MigrationDirectory} (a request from the client
 * goes to the current server, a response gets the original server's source address); TCPMig
 * control messages steer migrations and heartbeats feed the {@link MinLoadRegister}; then the
 * frame is forwarded by destination IPv4 address with the destination MAC rewritten.
 *
 * <p><b>Virtual addresses</b> (load-balancer mode, {@code vip} in the configuration): a SYN to a
 * VIP is placed by {@link Placement} (Maglev over the member servers) and gets a directory entry
 * tagged with the VIP, installed at the SYN: per-connection tracking, as in Maglev and Katran.
 * Every later request of the connection follows its entry (the VIP rewritten to the current
 * server), so a membership change, which rebuilds the table, never moves an established
 * connection; only a migration changes its server (the entry's current server). Responses get
 * the VIP back as source, from the entry or, for a connection without one, from the source port
 * (each VIP has its own port). A full directory does not stop placement: the SYN is placed by the
 * table without an entry (counted {@link SwitchCounter#VIP_PLACED_UNTRACKED}) and pinned by its
 * Maglev bucket instead ({@link Placement#placeUntracked}), so a rebuild does not move it either;
 * only a SYN whose bucket's untracked connections are on another live server is refused
 * ({@link SwitchCounter#VIP_REFUSED_UNTRACKED}: the client retries). Its migration is refused like
 * any other for a full directory.
 */
public final class TorSwitch implements Node {
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final int BURST = 64;
    private static final int SWEEP_SLOTS = 1024;

    private final SwitchConfig config;
    private final FrameChannel[] ports;
    private final FrameHandler[] handlers;
    private final boolean[] serverPort;
    private final Int2IntHashMap hostByIp;
    private final int[] hostIp;
    private final long[] hostMac;
    private final int[] hostPort;
    private final Int2IntHashMap serverByIp;
    private final int[] serverHost;
    private final MigrationDirectory directory;
    private final MinLoadRegister loads;
    private final long[] counters = new long[SwitchCounter.values().length];
    private final TcpMigHeader mig = new TcpMigHeader();
    /** Returned by {@link #tcp} for a frame that must not go anywhere. */
    private static final int DROP = -2;
    private final int[] vipIp;
    private final int[] vipPort;
    /** Null without VIPs: the switch is then exactly the migration switch. */
    private final Placement placement;
    private long now;
    private long nextSweep = Long.MAX_VALUE;

    /**
     * @param ports one frame channel per switch port, indexed as in the configuration
     */
    public TorSwitch(SwitchConfig config, FrameChannel[] ports) {
        if (ports.length < config.portCount()) {
            throw new IllegalArgumentException("configuration names " + config.portCount() + " ports, got " + ports.length);
        }
        this.config = config;
        this.ports = ports.clone();
        List<SwitchConfig.Host> hosts = config.hosts();
        int n = hosts.size();
        hostByIp = new Int2IntHashMap(Math.max(16, n * 2), 0.65f, -1);
        serverByIp = new Int2IntHashMap(Math.max(16, n * 2), 0.65f, -1);
        hostIp = new int[n];
        hostMac = new long[n];
        hostPort = new int[n];
        serverPort = new boolean[ports.length];
        int servers = (int) hosts.stream().filter(SwitchConfig.Host::server).count();
        serverHost = new int[servers];
        for (int i = 0, s = 0; i < n; i++) {
            SwitchConfig.Host h = hosts.get(i);
            if (hostByIp.containsKey(h.ip()) || h.ip() == config.switchIp()) {
                throw new IllegalArgumentException("address configured twice: " + io.capybara.wire.Ipv4Address.format(h.ip()));
            }
            hostByIp.put(h.ip(), i);
            hostIp[i] = h.ip();
            hostMac[i] = h.mac();
            hostPort[i] = h.port();
            if (h.server()) {
                serverPort[h.port()] = true;
                serverByIp.put(h.ip(), s);
                serverHost[s++] = i;
            }
        }
        directory = new MigrationDirectory(config.levels());
        loads = new MinLoadRegister(servers, config.heartbeatStaleNanos());
        int vips = config.vips().size();
        vipIp = new int[vips];
        vipPort = new int[vips];
        for (int v = 0; v < vips; v++) {
            vipIp[v] = config.vips().get(v).ip();
            vipPort[v] = config.vips().get(v).port();
            if (vipIp[v] == config.switchIp()) {
                throw new IllegalArgumentException("vip " + config.vips().get(v) + ": the switch's own address");
            }
        }
        int[] serverIps = new int[servers];
        for (int s = 0; s < servers; s++) {
            serverIps[s] = hostIp[serverHost[s]];
        }
        placement = vips == 0 ? null
                : new Placement(config.placementTableSize(), serverIps, loads, config.joinAfterNanos(),
                        config.idleTimeoutNanos());
        handlers = new FrameHandler[ports.length];
        for (int p = 0; p < ports.length; p++) {
            final int ingress = p;
            handlers[p] = (buffer, offset, length) -> process(ingress, buffer, offset, length);
        }
        if (config.idleTimeoutNanos() > 0) {
            nextSweep = 0;
        }
    }

    public MigrationDirectory directory() {
        return directory;
    }

    public MinLoadRegister loads() {
        return loads;
    }

    /** The VIP placement, or null when no VIP is configured. */
    public Placement placement() {
        return placement;
    }

    public SwitchConfig config() {
        return config;
    }

    /** Server index of a configured server address, or -1. */
    public int serverIndex(int ip) {
        return serverByIp.get(ip);
    }

    public int serverIp(int serverIndex) {
        return hostIp[serverHost[serverIndex]];
    }

    public long counter(SwitchCounter c) {
        return counters[c.ordinal()];
    }

    public Map<SwitchCounter, Long> counters() {
        Map<SwitchCounter, Long> m = new EnumMap<>(SwitchCounter.class);
        for (SwitchCounter c : SwitchCounter.values()) {
            m.put(c, counters[c.ordinal()]);
        }
        return m;
    }

    /** Moves frames from every port; returns how many were handled. */
    @Override
    public int poll(long nowNanos) {
        now = nowNanos;
        int work = 0;
        for (int p = 0; p < ports.length; p++) {
            work += ports[p].poll(handlers[p], BURST);
        }
        if (nowNanos >= nextSweep) {
            // A bounded slice of the table per period, like a control-plane scan: a full pass
            // over all slots takes about one idle timeout.
            long removed = directory.sweepIdle(nowNanos, config.idleTimeoutNanos(), SWEEP_SLOTS);
            counters[SwitchCounter.REMOVED_IDLE.ordinal()] += removed;
            long slices = (long) directory.capacity() / SWEEP_SLOTS;
            nextSweep = nowNanos + Math.max(1, config.idleTimeoutNanos() / slices);
            work += (int) removed;
        }
        if (placement != null && nowNanos >= placement.nextCheck()) {
            refreshPlacement();
            work++;
        }
        return work;
    }

    private void refreshPlacement() {
        if (placement.refresh(now)) {
            count(SwitchCounter.MEMBERSHIP_CHANGES);
        }
    }

    /** When {@link #poll} must run next even without frames (the idle sweep, a membership change), or never. */
    @Override
    public long nextDeadline() {
        return placement == null ? nextSweep : Math.min(nextSweep, placement.nextCheck());
    }

    /** Sets the time used by {@link #process} when it is called directly (tests, benchmarks). */
    public void now(long nowNanos) {
        now = nowNanos;
    }

    /** One pass over one frame received on port {@code ingress}. */
    public void process(int ingress, MutableDirectBuffer b, int off, int len) {
        count(SwitchCounter.RX_FRAMES);
        if (len < EthernetHeader.LENGTH) {
            count(SwitchCounter.DROP_MALFORMED);
            return;
        }
        int etherType = EthernetHeader.etherType(b, off);
        if (etherType == EthernetHeader.TYPE_ARP) {
            arp(ingress, b, off, len);
            return;
        }
        if (etherType != EthernetHeader.TYPE_IPV4) {
            count(SwitchCounter.DROP_NOT_IPV4);
            return;
        }
        int ip = off + EthernetHeader.LENGTH;
        int ipLen = len - EthernetHeader.LENGTH;
        if (ipLen < Ipv4Header.MIN_LENGTH) {
            count(SwitchCounter.DROP_MALFORMED);
            return;
        }
        // The fixed header's first 12 bytes as three words: one bounds check each instead of one
        // per field. Word 0: version, IHL, TOS, total length; word 1: id, flags, fragment offset;
        // word 2: TTL, protocol, header checksum.
        int w0 = b.getInt(ip, BE);
        int w1 = b.getInt(ip + 4, BE);
        int w2 = b.getInt(ip + 8, BE);
        int ihl = (w0 >>> 22) & 0x3C;
        int total = w0 & 0xFFFF;
        if ((w0 >>> 28) != 4 || ihl < Ipv4Header.MIN_LENGTH || total < ihl || total > ipLen) {
            count(SwitchCounter.DROP_MALFORMED);
            return;
        }
        int protocol = (w2 >>> 16) & 0xFF;
        int l4 = ip + ihl;
        int l4Len = total - ihl;
        boolean firstFragment = (w1 & 0x1FFF) == 0;
        if (protocol == Ipv4Header.PROTO_TCP && firstFragment && l4Len >= TcpCodec.MIN_HEADER_LENGTH) {
            int toHost = tcp(ingress, b, ip, l4, l4Len);
            if (toHost >= 0) {
                // a rewritten request: its destination is the current server, known already
                EthernetHeader.dst(b, off, hostMac[toHost]);
                send(hostPort[toHost], b, off, len);
                return;
            }
            if (toHost == DROP) {
                return;
            }
        } else if (protocol == Ipv4Header.PROTO_UDP && firstFragment && l4Len >= UdpHeader.LENGTH
                && UdpHeader.dstPort(b, l4) == TcpMigHeader.UDP_PORT) {
            control(ingress, b, off, ip, l4, l4Len);
            return;
        }
        forward(b, off, len, Ipv4Header.dst(b, ip));
    }

    /**
     * Migration-aware rewriting of a TCP frame (never consumed: it is forwarded afterwards).
     *
     * @return the host a rewritten request goes to, -1 to forward by destination address, or
     *     {@link #DROP}
     */
    private int tcp(int ingress, MutableDirectBuffer b, int ip, int l4, int l4Len) {
        if (serverPort[ingress]) {
            // From a server: a response if its destination is a migrated (or VIP) client.
            int slot = directory.find(Ipv4Header.dst(b, ip), b.getShort(l4 + 2, BE) & 0xFFFF);
            if (slot == MigrationDirectory.NOT_FOUND) {
                if (placement != null) {
                    untrackedVipResponse(b, ip, l4);
                }
                return -1;
            }
            int flags = b.getByte(l4 + 13) & 0xFF;
            int oldSrc = Ipv4Header.src(b, ip);
            int tag = directory.vipTag(slot);
            int newSrc;
            if (tag != 0) {
                newSrc = vipIp[tag - 1];
                EthernetHeader.src(b, ip - EthernetHeader.LENGTH, config.switchMac());
            } else {
                int original = serverHost[directory.originalServer(slot)];
                newSrc = hostIp[original];
                EthernetHeader.src(b, ip - EthernetHeader.LENGTH, hostMac[original]);
            }
            Ipv4Header.setSrc(b, ip, newSrc);
            TcpCodec.updateChecksumForAddress(b, l4, oldSrc, newSrc);
            count(SwitchCounter.REWRITE_RESPONSE);
            trackEnd(slot, false, flags, b, ip, l4, l4Len);
            return -1;
        }
        int clientIp = Ipv4Header.src(b, ip);
        int clientPort = b.getShort(l4, BE) & 0xFFFF;
        int slot = directory.find(clientIp, clientPort);
        if (slot == MigrationDirectory.NOT_FOUND) {
            return placement == null ? -1 : toVip(b, ip, l4, clientIp, clientPort);
        }
        int flags = b.getByte(l4 + 13) & 0xFF;
        if (placement != null && (flags & (TcpSegment.SYN | TcpSegment.ACK)) == TcpSegment.SYN
                && directory.vipTag(slot) != 0 && !loads.isLive(directory.currentServer(slot), now)
                && b.getInt(l4 + 4, BE) != directory.clientIsn(slot)) {
            // A new connection (another initial sequence number: not a repeat of the SYN that
            // placed the entry, which must follow it) on the port of one whose server has gone:
            // place it afresh.
            directory.remove(slot);
            count(SwitchCounter.VIP_STALE_ENTRY_REPLACED);
            return toVip(b, ip, l4, clientIp, clientPort);
        }
        int current = serverHost[directory.currentServer(slot)];
        int oldDst = Ipv4Header.dst(b, ip);
        Ipv4Header.setDst(b, ip, hostIp[current]);
        TcpCodec.updateChecksumForAddress(b, l4, oldDst, hostIp[current]);
        count(SwitchCounter.REWRITE_REQUEST);
        trackEnd(slot, true, flags, b, ip, l4, l4Len);
        return current;
    }

    /**
     * A client's segment with no directory entry: if it is addressed to a VIP, the placement
     * decides its server; a SYN gets an entry that pins it there (unless the directory is full).
     */
    private int toVip(MutableDirectBuffer b, int ip, int l4, int clientIp, int clientPort) {
        int dst = Ipv4Header.dst(b, ip);
        int v = vipIndex(dst, b.getShort(l4 + 2, BE) & 0xFFFF);
        if (v < 0) {
            return -1;
        }
        int hash = MaglevTable.connectionHash(clientIp, clientPort);
        int server = placement.place(hash);
        if (server == MaglevTable.NONE) {
            count(SwitchCounter.VIP_NO_SERVER);
            return DROP;
        }
        int flags = b.getByte(l4 + 13) & 0xFF;
        if ((flags & (TcpSegment.SYN | TcpSegment.ACK)) == TcpSegment.SYN) {
            int slot = directory.install(clientIp, clientPort, server, server, v + 1, now);
            if (slot != MigrationDirectory.NOT_FOUND) {
                directory.clientIsn(slot, b.getInt(l4 + 4, BE));
                count(SwitchCounter.VIP_PLACED);
            } else {
                server = placement.placeUntracked(hash, now);
                if (server == Placement.REFUSED) {
                    count(SwitchCounter.VIP_REFUSED_UNTRACKED);
                    return DROP;
                }
                count(SwitchCounter.VIP_PLACED_UNTRACKED);
            }
        } else {
            server = placement.routeUntracked(hash, now);
            count(SwitchCounter.VIP_DEFAULT_ROUTED);
        }
        int host = serverHost[server];
        Ipv4Header.setDst(b, ip, hostIp[host]);
        TcpCodec.updateChecksumForAddress(b, l4, dst, hostIp[host]);
        count(SwitchCounter.REWRITE_REQUEST);
        return host;
    }

    /** A server's segment from a VIP's port with no entry (an untracked connection): the VIP is its source. */
    private void untrackedVipResponse(MutableDirectBuffer b, int ip, int l4) {
        int v = vipOfPort(b.getShort(l4, BE) & 0xFFFF);
        if (v < 0) {
            return;
        }
        int oldSrc = Ipv4Header.src(b, ip);
        Ipv4Header.setSrc(b, ip, vipIp[v]);
        TcpCodec.updateChecksumForAddress(b, l4, oldSrc, vipIp[v]);
        EthernetHeader.src(b, ip - EthernetHeader.LENGTH, config.switchMac());
        count(SwitchCounter.REWRITE_RESPONSE);
    }

    /** Index of the VIP {@code ip:port}, or -1 (a handful of VIPs: a scan beats a hash). */
    private int vipIndex(int ip, int port) {
        for (int v = 0; v < vipIp.length; v++) {
            if (vipIp[v] == ip && vipPort[v] == port) {
                return v;
            }
        }
        return -1;
    }

    private int vipOfPort(int port) {
        for (int v = 0; v < vipPort.length; v++) {
            if (vipPort[v] == port) {
                return v;
            }
        }
        return -1;
    }

    private boolean isVipAddress(int ip) {
        for (int v : vipIp) {
            if (v == ip) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes the entry on RST, or once both FINs are acknowledged. The frame still goes out.
     * Only an intact segment counts: a bit flipped on the way (into the RST flag, say, or the
     * client's port) must not end a live connection's entry, and the server, which checks the
     * checksums, drops that segment anyway. Checked only for the few segments that end entries.
     * (The first IPv4 fragment of a fragmented segment cannot be checked and is ignored too: its
     * entry then ends by the idle timeout. TCP sets DF, so that does not happen in practice.)
     */
    private void trackEnd(int slot, boolean fromClient, int flags, MutableDirectBuffer b, int ip, int l4, int l4Len) {
        directory.touch(slot, now);
        boolean rst = (flags & TcpSegment.RST) != 0;
        boolean fin = (flags & TcpSegment.FIN) != 0;
        if (!rst && !fin && !directory.finSeen(slot)) {
            return; // the common case: nothing to track until a FIN shows up
        }
        if (!intact(b, ip, l4, l4Len)) {
            count(SwitchCounter.END_IGNORED_CORRUPT);
            return;
        }
        if (rst) {
            directory.remove(slot);
            count(SwitchCounter.REMOVED_RST);
            return;
        }
        boolean ack = (flags & TcpSegment.ACK) != 0;
        int dataOffset = ((b.getByte(l4 + 12) & 0xF0) >>> 4) * 4;
        int payload = Math.max(0, l4Len - dataOffset);
        int seq = b.getInt(l4 + 4, BE);
        int finEnd = seq + payload + 1;
        if (directory.onFinOrAck(slot, fromClient, fin, finEnd, ack, b.getInt(l4 + 8, BE))) {
            directory.remove(slot);
            count(SwitchCounter.REMOVED_FIN);
        }
    }

    /** IPv4 header and TCP checksums both verify (the addresses as rewritten: edits kept them valid). */
    private static boolean intact(MutableDirectBuffer b, int ip, int l4, int l4Len) {
        if (!Ipv4Header.verifyChecksum(b, ip, l4 - ip)) {
            return false;
        }
        long sum = Checksums.pseudoHeaderSum(Ipv4Header.src(b, ip), Ipv4Header.dst(b, ip), Ipv4Header.PROTO_TCP, l4Len)
                + Checksums.sum(b, l4, l4Len);
        return Checksums.verify(sum);
    }

    private void control(int ingress, MutableDirectBuffer b, int off, int ip, int l4, int l4Len) {
        if (!serverPort[ingress]) {
            count(SwitchCounter.CONTROL_ON_CLIENT_PORT);
            return;
        }
        int src = Ipv4Header.src(b, ip);
        int sender = serverByIp.get(src);
        if (sender < 0 || hostPort[serverHost[sender]] != ingress) {
            count(SwitchCounter.CONTROL_SPOOFED_SENDER);
            return;
        }
        int msg = l4 + UdpHeader.LENGTH;
        int available = Math.min(l4Len, UdpHeader.length(b, l4)) - UdpHeader.LENGTH;
        if (available < TcpMigHeader.MIN_LENGTH) {
            count(SwitchCounter.CONTROL_MALFORMED);
            return;
        }
        mig.wrap(b, msg);
        int type = mig.type();
        if (type == TcpMigHeader.CONN_STATE_ACK && mig.validate(available) == TcpMigHeader.OK) {
            // The original server has the connection back: its entry (kept since the ACK of the
            // move home) goes now.
            int slot = directory.find(mig.clientIp(), mig.clientPort());
            if (slot != MigrationDirectory.NOT_FOUND && directory.originalServer(slot) == sender
                    && directory.currentServer(slot) == sender && directory.vipTag(slot) == 0) {
                directory.remove(slot);
                count(SwitchCounter.REMOVED_MIGRATE_BACK);
            }
        }
        if (type == TcpMigHeader.CONN_STATE || type == TcpMigHeader.CONN_STATE_ACK || type == TcpMigHeader.REJECT) {
            // Server to server; the endpoints validate. The switch only forwards.
            count(SwitchCounter.CONTROL_FORWARDED);
            forward(b, off, ip - off + Ipv4Header.totalLength(b, ip), Ipv4Header.dst(b, ip));
            return;
        }
        if (mig.validate(available) != TcpMigHeader.OK) {
            count(SwitchCounter.CONTROL_MALFORMED);
            return;
        }
        switch (type) {
            case TcpMigHeader.HEARTBEAT -> {
                loads.heartbeat(sender, mig.value(), (mig.reason() & TcpMigHeader.HEARTBEAT_DRAINING) != 0, now);
                count(SwitchCounter.HEARTBEATS);
                if (placement != null) {
                    refreshPlacement();
                }
                if ((mig.reason() & TcpMigHeader.HEARTBEAT_WANTS_LOADS) != 0) {
                    reportLoads(b, off, ip, l4, sender);
                }
            }
            case TcpMigHeader.PREPARE_MIG -> prepare(ingress, b, off, ip, l4, sender);
            case TcpMigHeader.PREPARE_MIG_ACK -> prepareAck(b, off, ip, l4, sender);
            case TcpMigHeader.ABORT -> abort(b, off, ip, l4, sender);
            default -> count(SwitchCounter.CONTROL_MALFORMED);
        }
    }

    /**
     * Answers a heartbeat that asks for the rack's loads, in place: the same message back to its
     * sender, flagged {@link TcpMigHeader#HEARTBEAT_LOADS}, carrying the least load among the
     * other live, not draining servers (so a server's own policy can compare itself with the
     * rack without seeing it). Once per heartbeat, never per data packet.
     */
    private void reportLoads(MutableDirectBuffer b, int off, int ip, int l4, int sender) {
        int least = loads.leastLoadedOther(sender, now);
        mig.type(TcpMigHeader.HEARTBEAT).reason(TcpMigHeader.HEARTBEAT_LOADS)
                .targetIp(least == MinLoadRegister.NONE ? 0 : hostIp[serverHost[least]])
                .value(least == MinLoadRegister.NONE ? TcpMigHeader.NO_LOAD : Math.min(loads.load(least), TcpMigHeader.NO_LOAD - 1))
                .seal();
        int to = hostIp[serverHost[sender]];
        readdress(b, ip, l4, config.switchIp(), to);
        EthernetHeader.src(b, off, config.switchMac());
        count(SwitchCounter.LOADS_REPORTED);
        forward(b, off, ip - off + Ipv4Header.totalLength(b, ip), to);
    }

    /**
     * PREPARE_MIG: steer to the least-loaded other server, or reject back to the origin. An
     * origin may name the target (an operator's {@code migrate --to}): it is used if it is a live
     * server other than the origin, else the migration is rejected (no target).
     */
    private void prepare(int ingress, MutableDirectBuffer b, int off, int ip, int l4, int origin) {
        int requested = mig.targetIp();
        int target;
        if (requested == 0) {
            target = loads.choose(origin, now);
        } else {
            target = serverByIp.get(requested);
            if (target < 0 || target == origin || !loads.isLive(target, now) || loads.isDraining(target)) {
                target = MinLoadRegister.NONE;
            }
        }
        if (target == MinLoadRegister.NONE) {
            mig.type(TcpMigHeader.REJECT).reason(TcpMigHeader.REASON_NO_TARGET).seal();
            readdress(b, ip, l4, config.switchIp(), hostIp[serverHost[origin]]);
            EthernetHeader.src(b, off, config.switchMac());
            count(SwitchCounter.PREPARE_REJECTED_NO_TARGET);
            forward(b, off, ip - off + Ipv4Header.totalLength(b, ip), hostIp[serverHost[origin]]);
            return;
        }
        int targetIp = hostIp[serverHost[target]];
        mig.targetIp(targetIp).seal();
        readdress(b, ip, l4, Ipv4Header.src(b, ip), targetIp);
        count(SwitchCounter.PREPARE_STEERED);
        forward(b, off, ip - off + Ipv4Header.totalLength(b, ip), targetIp);
    }

    /**
     * PREPARE_MIG_ACK from the target: point the directory at the target (or drop the entry when
     * the connection goes home to its original server), then pass the ACK on to the origin. With
     * no free slot the ACK becomes a REJECT, so the origin keeps the connection.
     */
    private void prepareAck(MutableDirectBuffer b, int off, int ip, int l4, int target) {
        int originIp = mig.originIp();
        int origin = serverByIp.get(originIp);
        int original = serverByIp.get((int) mig.value());
        if (origin < 0 || original < 0) {
            count(SwitchCounter.CONTROL_UNKNOWN_SERVER);
            return;
        }
        int clientIp = mig.clientIp();
        int clientPort = mig.clientPort();
        if (target == original) {
            // Home again: point the entry at the original server but keep its slot until the
            // original confirms with CONN_STATE_ACK, so that an ABORT (a move home that fails)
            // can point it back without needing a free slot.
            int slot = directory.find(clientIp, clientPort);
            if (slot != MigrationDirectory.NOT_FOUND) {
                directory.install(clientIp, clientPort, original, target, now);
                count(SwitchCounter.DIRECTORY_UPDATED);
            }
        } else {
            boolean existed = directory.find(clientIp, clientPort) != MigrationDirectory.NOT_FOUND;
            // A connection on a VIP's port is that VIP's (placed without an entry if the
            // directory was full at its SYN): its entry must give responses the VIP back.
            int tag = placement == null ? 0 : vipOfPort(mig.serverPort()) + 1;
            if (directory.install(clientIp, clientPort, original, target, tag, now) == MigrationDirectory.NOT_FOUND) {
                mig.type(TcpMigHeader.REJECT).reason(TcpMigHeader.REASON_DIRECTORY_FULL).seal();
                clearUdpChecksum(b, l4);
                count(SwitchCounter.DIRECTORY_REFUSED_FULL);
                forward(b, off, ip - off + Ipv4Header.totalLength(b, ip), originIp);
                return;
            }
            count(existed ? SwitchCounter.DIRECTORY_UPDATED : SwitchCounter.DIRECTORY_INSTALLED);
        }
        count(SwitchCounter.ACK_FORWARDED);
        forward(b, off, ip - off + Ipv4Header.totalLength(b, ip), Ipv4Header.dst(b, ip));
    }

    /** ABORT from the origin: the connection stays with the origin; make the directory agree. */
    private void abort(MutableDirectBuffer b, int off, int ip, int l4, int origin) {
        int original = serverByIp.get((int) mig.value());
        if (original < 0) {
            count(SwitchCounter.CONTROL_UNKNOWN_SERVER);
            return;
        }
        int clientIp = mig.clientIp();
        int clientPort = mig.clientPort();
        if (origin == original) {
            int slot = directory.find(clientIp, clientPort);
            if (slot != MigrationDirectory.NOT_FOUND) {
                if (directory.vipTag(slot) != 0 && mig.reason() != TcpMigHeader.REASON_CONNECTION_GONE) {
                    // A VIP connection's entry is its placement: keep it, pointing at the origin.
                    directory.install(clientIp, clientPort, original, origin, now);
                    count(SwitchCounter.DIRECTORY_UPDATED);
                } else {
                    directory.remove(slot);
                    count(SwitchCounter.REMOVED_ABORT);
                }
            }
        } else if (directory.install(clientIp, clientPort, original, origin, now) == MigrationDirectory.NOT_FOUND) {
            // Cannot happen for an aborted move between two non-original servers (the entry
            // already exists); for a move home that was undone it needs a free slot again.
            count(SwitchCounter.DIRECTORY_REFUSED_FULL);
        }
        count(SwitchCounter.ABORT_FORWARDED);
        forward(b, off, ip - off + Ipv4Header.totalLength(b, ip), Ipv4Header.dst(b, ip));
    }

    private void readdress(MutableDirectBuffer b, int ip, int l4, int newSrc, int newDst) {
        Ipv4Header.setSrc(b, ip, newSrc);
        Ipv4Header.setDst(b, ip, newDst);
        clearUdpChecksum(b, l4);
    }

    /** The switch edits TCPMig payloads; UDP's checksum is then left out (RFC 768 allows 0 on
     *  IPv4) and the message's own CRC32C protects it end to end. */
    private static void clearUdpChecksum(MutableDirectBuffer b, int l4) {
        b.putShort(l4 + UdpHeader.CHECKSUM_OFFSET, (short) 0, BE);
    }

    private void forward(MutableDirectBuffer b, int off, int len, int dstIp) {
        int host = hostByIp.get(dstIp);
        if (host < 0) {
            count(SwitchCounter.DROP_UNKNOWN_DESTINATION);
            return;
        }
        EthernetHeader.dst(b, off, hostMac[host]);
        send(hostPort[host], b, off, len);
    }

    private void send(int port, MutableDirectBuffer b, int off, int len) {
        if (ports[port].send(b, off, len)) {
            count(SwitchCounter.FORWARDED);
        } else {
            count(SwitchCounter.TX_DROPPED);
        }
    }

    private void arp(int ingress, MutableDirectBuffer b, int off, int len) {
        int arp = off + EthernetHeader.LENGTH;
        if (ArpPacket.check(b, arp, len - EthernetHeader.LENGTH) != ArpPacket.OK) {
            count(SwitchCounter.DROP_MALFORMED);
            return;
        }
        if (!config.answerArp()) {
            flood(ingress, b, off, len);
            return;
        }
        int targetIp = ArpPacket.targetIp(b, arp);
        long mac;
        if (targetIp == config.switchIp()) {
            mac = config.switchMac();
        } else {
            int host = hostByIp.get(targetIp);
            mac = host >= 0 ? hostMac[host] : isVipAddress(targetIp) ? config.switchMac() : -1;
        }
        if (ArpPacket.op(b, arp) != ArpPacket.OP_REQUEST || mac < 0) {
            count(SwitchCounter.ARP_IGNORED);
            return;
        }
        // Turn the request into the reply in place and send it back where it came from.
        long senderMac = ArpPacket.senderMac(b, arp);
        int senderIp = ArpPacket.senderIp(b, arp);
        ArpPacket.write(b, arp, ArpPacket.OP_REPLY, mac, targetIp, senderMac, senderIp);
        EthernetHeader.dst(b, off, senderMac);
        EthernetHeader.src(b, off, mac);
        count(SwitchCounter.ARP_ANSWERED);
        send(ingress, b, off, len);
    }

    private void flood(int ingress, MutableDirectBuffer b, int off, int len) {
        count(SwitchCounter.ARP_FLOODED);
        for (int p = 0; p < ports.length; p++) {
            if (p != ingress) {
                send(p, b, off, len);
            }
        }
    }

    private void count(SwitchCounter c) {
        counters[c.ordinal()]++;
    }
}
