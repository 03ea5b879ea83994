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
    }

    private UnsafeBuffer tcpFrame(int clientIp, int clientPort) {
        TcpSegment s = new TcpSegment();
        s.srcIp = clientIp;
        s.dstIp = A;
        s.srcPort = clientPort;
        s.dstPort = 80;
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
    public void control() {
        sw.process(0, heartbeat, 0, heartbeatLength);
    }
}
