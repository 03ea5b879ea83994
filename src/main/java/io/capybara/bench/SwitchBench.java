package io.capybara.bench;

import io.capybara.io.FrameChannel;
import io.capybara.io.NullChannel;
import io.capybara.tor.MigrationDirectory;
import io.capybara.tor.SwitchConfig;
import io.capybara.tor.TorSwitch;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of one pass of the switch over one frame: a request of a migrated connection whose
 * entry is in level 1 or level 2, a frame of a connection that is not migrated (miss), and a
 * HEARTBEAT control message (CRC-checked, register updated). Frames are rewritten in place and
 * the rewrite is idempotent, so the same buffer is processed again each operation.
 *
 * <p>Load-balancer mode (a second switch with a VIP and three member servers): a request of a
 * tracked VIP connection ({@code vipHit}), its response getting the VIP back ({@code vipResponse}),
 * the response of an untracked connection rewritten by its port ({@code vipResponseUntracked}),
 * a SYN placed by the Maglev table with its entry installed ({@code vipSyn}: includes restoring
 * the 74-byte frame and removing the entry, so every operation is a new placement), and the
 * control plane's rebuild of the 65,537-bucket table on a membership change ({@code placementRebuild}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SwitchBench {
    static final int SWITCH_IP = 0x0A0000FE;
    static final int A = 0x0A000001;
    static final int B = 0x0A000002;
    static final int CLIENT = 0x0A000101;

    TorSwitch sw;
    UnsafeBuffer level1;
    UnsafeBuffer level2;
    UnsafeBuffer miss;
    UnsafeBuffer heartbeat;
    int tcpLength;
    int heartbeatLength;

    static final int VIP = 0x0A000064;
    TorSwitch lb;
    UnsafeBuffer vipHit;
    UnsafeBuffer vipResponse;
    UnsafeBuffer vipUntracked;
    UnsafeBuffer vipSyn;
    byte[] vipSynOriginal;
    int vipSynPort;
    boolean[] members;
    boolean[] fewer;
    boolean flip;

    @Setup
    public void setUp() {
        SwitchConfig cfg = SwitchConfig.of(SWITCH_IP, 0x0200000000FEL, List.of(
                new SwitchConfig.Host(A, 0x020000000001L, 0, true),
                new SwitchConfig.Host(B, 0x020000000002L, 1, true),
                new SwitchConfig.Host(CLIENT, 0x020000000101L, 2, false),
                new SwitchConfig.Host(CLIENT + 1, 0x020000000102L, 2, false)));
        sw = new TorSwitch(cfg, new FrameChannel[] {new NullChannel(), new NullChannel(), new NullChannel()});
        int port1 = 40000;
        int index = MigrationDirectory.hash16(CLIENT, port1);
        int port2 = 0;
        while (MigrationDirectory.hash16(CLIENT + 1, port2) != index) {
            port2++;
        }
        sw.directory().install(CLIENT, port1, 0, 1, 0);
        sw.directory().install(CLIENT + 1, port2, 0, 1, 0);
        level1 = tcpFrame(CLIENT, port1);
        level2 = tcpFrame(CLIENT + 1, port2);
        miss = tcpFrame(CLIENT, port1 + 1);
        byte[] msg = new byte[TcpMigHeader.MIN_LENGTH];
        new TcpMigHeader().wrap(new UnsafeBuffer(msg), 0).init(TcpMigHeader.HEARTBEAT, 1).originIp(A).value(7).seal();
        heartbeat = new UnsafeBuffer(new byte[128]);
        heartbeatLength = FrameEncoder.encodeUdp(heartbeat, 0, 0x0200000000FEL, 0x020000000001L, 1, A, SWITCH_IP,
                TcpMigHeader.UDP_PORT, TcpMigHeader.UDP_PORT, new UnsafeBuffer(msg), 0, msg.length);
        setUpLoadBalancer();
    }

    private void setUpLoadBalancer() {
        int c = 0x0A000003;
        SwitchConfig cfg = SwitchConfig.of(SWITCH_IP, 0x0200000000FEL, List.of(
                new SwitchConfig.Host(A, 0x020000000001L, 0, true),
                new SwitchConfig.Host(B, 0x020000000002L, 1, true),
                new SwitchConfig.Host(c, 0x020000000003L, 1, true),
                new SwitchConfig.Host(CLIENT, 0x020000000101L, 2, false)))
                .withVips(List.of(new SwitchConfig.Vip(VIP, 80)));
        lb = new TorSwitch(cfg, new FrameChannel[] {new NullChannel(), new NullChannel(), new NullChannel()});
        lb.now(0);
        lb.loads().heartbeat(0, 0, 0);
        lb.loads().heartbeat(1, 0, 0);
        lb.loads().heartbeat(2, 0, 0);
        lb.placement().refresh(0);
        vipHit = frame(CLIENT, 40000, VIP, 80, TcpSegment.ACK | TcpSegment.PSH);
        UnsafeBuffer syn = frame(CLIENT, 40000, VIP, 80, TcpSegment.SYN);
        lb.process(2, syn, 0, syn.capacity());
        int server = lb.directory().currentServer(lb.directory().find(CLIENT, 40000));
        vipResponse = frame(lb.serverIp(server), 80, CLIENT, 40000, TcpSegment.ACK | TcpSegment.PSH);
        vipUntracked = frame(A, 80, CLIENT, 40001, TcpSegment.ACK | TcpSegment.PSH);
        vipSynPort = 40002;
        vipSyn = frame(CLIENT, vipSynPort, VIP, 80, TcpSegment.SYN);
        vipSynOriginal = new byte[vipSyn.capacity()];
        vipSyn.getBytes(0, vipSynOriginal);
        members = new boolean[] {true, true, true};
        fewer = new boolean[] {true, false, true};
    }

    private UnsafeBuffer frame(int src, int srcPort, int dst, int dstPort, int flags) {
        TcpSegment s = new TcpSegment().between(src, srcPort, dst, dstPort);
        s.flags = flags;
        s.window = 1000;
        if ((flags & TcpSegment.SYN) == 0) {
            s.payload = new UnsafeBuffer(new byte[64]);
            s.payloadLength = 64;
        }
        // sized exactly, so capacity() is the frame's length (tcpLength is the non-VIP frames')
        UnsafeBuffer f = new UnsafeBuffer(new byte[FrameEncoder.tcpFrameLength(s)]);
        FrameEncoder.encodeTcp(f, 0, 0x0200000000FEL, 0x020000000101L, 1, s);
        return f;
    }

    private UnsafeBuffer tcpFrame(int clientIp, int clientPort) {
        TcpSegment s = new TcpSegment().between(clientIp, clientPort, A, 80);
        s.flags = TcpSegment.ACK | TcpSegment.PSH;
        s.window = 1000;
        s.payload = new UnsafeBuffer(new byte[64]);
        s.payloadLength = 64;
        UnsafeBuffer f = new UnsafeBuffer(new byte[FrameEncoder.tcpFrameLength(s)]);
        tcpLength = FrameEncoder.encodeTcp(f, 0, 0x0200000000FEL, 0x020000000101L, 1, s);
        return f;
    }

    @Benchmark
    public void hitLevel1() {
        sw.process(2, level1, 0, tcpLength);
    }

    @Benchmark
    public void hitLevel2() {
        sw.process(2, level2, 0, tcpLength);
    }

    @Benchmark
    public void miss() {
        sw.process(2, miss, 0, tcpLength);
    }

    @Benchmark
    public void vipHit() {
        lb.process(2, vipHit, 0, vipHit.capacity());
    }

    @Benchmark
    public void vipResponse() {
        lb.process(0, vipResponse, 0, vipResponse.capacity());
    }

    @Benchmark
    public void vipResponseUntracked() {
        lb.process(0, vipUntracked, 0, vipUntracked.capacity());
    }

    @Benchmark
    public void vipSyn() {
        vipSyn.putBytes(0, vipSynOriginal);
        lb.process(2, vipSyn, 0, vipSynOriginal.length);
        lb.directory().remove(lb.directory().find(CLIENT, vipSynPort));
    }

    @Benchmark
    public int placementRebuild() {
        flip = !flip;
        lb.placement().table().rebuild(flip ? fewer : members);
        return lb.placement().table().members();
    }

    @Benchmark
    public void control() {
        sw.process(0, heartbeat, 0, heartbeatLength);
    }
}
