package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.rack.RackSimulation;
import io.capybara.sim.LinkProfile;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.FrameDecoder;
import io.capybara.wire.FrameEncoder;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.WireCounters;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Structured fuzzing of TCPMig: messages that pass every format check (right magic, version,
 * lengths, a valid CRC32C) but carry arbitrary field values (addresses of 0, of the receiver
 * itself, of live connections, unknown ids, fragment numbers and state lengths that do not fit)
 * are thrown at the engines and at the switch while real migrations run. Nothing may throw,
 * and the engines' bounded state stays bounded. Servers are trusted in TCPMig (the switch only
 * checks that a message comes from the port of the server it names), so a forged message may
 * misdirect a connection; what must not happen is a crash or a leak.
 */
class ForgedControlMessagesTest {
    private static final int ROUNDS = 150;
    private static final int PER_ROUND = 40;

    @Test
    void crcValidMessagesWithArbitraryFieldsNeverThrow() {
        long seed = Long.getLong("capybara.seed", 21);
        MiniRack r = new MiniRack(seed, 3, 1L << 20, LinkProfile.ideal(2_000).withBandwidth(1_000_000_000L),
                sc -> sc, m -> m);
        r.warm();
        List<MiniRack.Client> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            clients.add(r.connect(i % 3));
        }
        r.runFor(2_000_000);
        SplittableRandom rnd = new SplittableRandom(seed);
        FrameDecoder decoder = new FrameDecoder(new WireCounters());
        DecodedFrame f = new DecodedFrame();
        int fed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            if (round % 5 == 0) { // real migrations, so forged messages meet live protocol state
                MiniRack.Client c = clients.get(rnd.nextInt(clients.size()));
                int h = r.holder(c);
                TcpConnection s = r.serverSide(c);
                if (h >= 0 && s != null && MigrationEngine.eligible(s)) {
                    r.engines[h].migrate(s);
                }
            }
            for (int k = 0; k < PER_ROUND; k++) {
                int from = rnd.nextInt(3);
                int to = (from + 1 + rnd.nextInt(2)) % 3;
                byte[] frame = forged(rnd, r, clients, from, to);
                if (rnd.nextBoolean()) {
                    // straight into an engine, as if the switch had passed it on
                    assertEquals(DecodedFrame.Kind.UDP, decoder.decode(new UnsafeBuffer(frame), 0, frame.length, f));
                    r.engines[to].onControl(f);
                } else {
                    // out of server {@code from}'s port, to the switch (which checks the sender)
                    r.links[from].a().send(new UnsafeBuffer(frame), 0, frame.length);
                }
                fed++;
            }
            r.runFor(20_000);
        }
        r.runFor(3_000_000_000L); // timeouts, retries and aborts of whatever the forgeries started
        MigrationConfig mc = r.engines[0].config();
        for (MigrationEngine e : r.engines) {
            assertTrue(e.outgoing() <= mc.maxOutgoing());
            assertTrue(e.preparedSlots() <= mc.tempBufferSlots());
            assertTrue(e.forwardingEntries() <= 2 * mc.forwardEntries());
        }
        assertTrue(r.quiet(), "every migration, real or started by a forgery, has ended");
        assertTrue(r.sum(MigCounter.CONTROL_RECEIVED) >= fed / 4, "the forgeries reached the engines");
    }

    private static int pick(SplittableRandom rnd, int a, int b, int c) {
        int k = rnd.nextInt(3);
        return k == 0 ? a : k == 1 ? b : c;
    }

    /** One CRC-valid TCPMig datagram with fields picked to hit edge cases and live state. */
    private static byte[] forged(SplittableRandom rnd, MiniRack r, List<MiniRack.Client> clients, int from, int to) {
        int self = RackSimulation.ip(from);
        int[] ips = {0, self, RackSimulation.ip(to), RackSimulation.ip(3 - from - to), RackSimulation.SWITCH_IP,
                0x0A000110, rnd.nextInt()};
        MiniRack.Client c = clients.get(rnd.nextInt(clients.size()));
        boolean live = rnd.nextBoolean();
        int clientIp = live ? c.conn.localIp() : ips[rnd.nextInt(ips.length)];
        int clientPort = live ? c.conn.localPort() : pick(rnd, 0, 1, rnd.nextInt(65536));
        int serverPort = live ? MiniRack.PORT : pick(rnd, 0, MiniRack.PORT, rnd.nextInt(65536));
        int type = 1 + rnd.nextInt(TcpMigHeader.MAX_TYPE);
        int count = type == TcpMigHeader.CONN_STATE ? 1 + rnd.nextInt(8) : 1;
        int index = rnd.nextInt(count);
        int body = type == TcpMigHeader.CONN_STATE ? rnd.nextInt(1400) : (rnd.nextInt(8) == 0 ? rnd.nextInt(64) : 0);
        long value = switch (rnd.nextInt(3)) {
            case 0 -> (long) count * body;
            case 1 -> ips[rnd.nextInt(ips.length)] & 0xFFFF_FFFFL;
            default -> rnd.nextLong(1L << 32);
        };
        byte[] msg = new byte[TcpMigHeader.MIN_LENGTH + body];
        UnsafeBuffer m = new UnsafeBuffer(msg);
        TcpMigHeader h = new TcpMigHeader().wrap(m, 0).init(type, rnd.nextBoolean() ? 1 + rnd.nextInt(40) : rnd.nextInt())
                .reason(rnd.nextInt(9)).clientIp(clientIp).clientPort(clientPort).serverPort(serverPort)
                .originIp(ips[rnd.nextInt(ips.length)]).targetIp(ips[rnd.nextInt(ips.length)])
                .fragment(index, count).value(value).bodyLength(body);
        for (int i = 0; i < body; i++) {
            m.putByte(h.bodyOffset() + i, (byte) rnd.nextInt());
        }
        h.seal();
        byte[] frame = new byte[FrameEncoder.IPV4_HEADERS_LENGTH + 8 + msg.length];
        int dst = rnd.nextBoolean() ? RackSimulation.SWITCH_IP : RackSimulation.ip(to);
        FrameEncoder.encodeUdp(new UnsafeBuffer(frame), 0, RackSimulation.SWITCH_MAC, RackSimulation.mac(from),
                rnd.nextInt(65536), self, dst, TcpMigHeader.UDP_PORT, TcpMigHeader.UDP_PORT, m, 0, msg.length);
        return frame;
    }
}
