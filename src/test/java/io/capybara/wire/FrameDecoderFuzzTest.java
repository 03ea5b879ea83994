package io.capybara.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoder must never throw, whatever the bytes: 40 cases per seed (500 seeds by default
 * gives 20k), half random garbage, half mutations of valid frames. Each buffer is exactly the
 * frame's size so any read past the frame trips Agrona's bounds check.
 */
class FrameDecoderFuzzTest {
    private static final int CASES_PER_SEED = 40;

    static java.util.stream.LongStream seeds() {
        return Seeds.seeds();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void decoderNeverThrows(long seed) {
        String replay = Seeds.replay(FrameDecoderFuzzTest.class, "decoderNeverThrows", seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        WireCounters counters = new WireCounters();
        FrameDecoder decoder = new FrameDecoder(counters, rnd.nextBoolean());
        DecodedFrame out = new DecodedFrame();
        for (int c = 0; c < CASES_PER_SEED; c++) {
            byte[] frame = (c % 2 == 0) ? randomBytes(rnd) : mutate(rnd, validFrame(rnd));
            DecodedFrame.Kind kind;
            try {
                kind = decoder.decode(new UnsafeBuffer(frame), 0, frame.length, out);
            } catch (RuntimeException e) {
                fail("case " + c + " threw " + e + " on " + Arrays.toString(frame) + replay, e);
                return;
            }
            checkInvariants(kind, out, frame.length, replay);
        }
        assertEquals(CASES_PER_SEED, counters.totalDrops() + counters.totalAccepted(), replay);
    }

    /** Guards the fuzzer itself: its mutations must reach deep layers, not just fail at Ethernet. */
    @org.junit.jupiter.api.Test
    void mutationsReachEveryLayer() {
        SplittableRandom rnd = new SplittableRandom(42);
        WireCounters counters = new WireCounters();
        FrameDecoder decoder = new FrameDecoder(counters);
        DecodedFrame out = new DecodedFrame();
        for (int c = 0; c < 5000; c++) {
            byte[] frame = mutate(rnd, validFrame(rnd));
            decoder.decode(new UnsafeBuffer(frame), 0, frame.length, out);
        }
        assertTrue(counters.accepted(DecodedFrame.Kind.TCP) > 0, counters.toString());
        for (DropReason r : new DropReason[] {DropReason.IPV4_TRUNCATED, DropReason.IPV4_BAD_CHECKSUM,
            DropReason.TCP_BAD_CHECKSUM, DropReason.TCP_BAD_DATA_OFFSET, DropReason.IPV4_BAD_HEADER_LENGTH}) {
            assertTrue(counters.drops(r) > 0, r + " never hit: " + counters);
        }
    }

    private static void checkInvariants(DecodedFrame.Kind kind, DecodedFrame out, int length, String replay) {
        if (kind == DecodedFrame.Kind.DROPPED) {
            assertNotNull(out.dropReason, replay);
            return;
        }
        if (kind == DecodedFrame.Kind.ARP) {
            return;
        }
        assertTrue(out.l4Offset + out.l4Length <= length, replay);
        if (kind == DecodedFrame.Kind.TCP) {
            assertTrue(out.tcp.payloadOffset >= out.l4Offset + 20, replay);
            assertTrue(out.tcp.payloadLength >= 0, replay);
            assertTrue(out.tcp.payloadOffset + out.tcp.payloadLength == out.l4Offset + out.l4Length, replay);
        }
        if (kind == DecodedFrame.Kind.UDP) {
            assertTrue(out.udpPayloadOffset + out.udpPayloadLength <= length, replay);
        }
    }

    private static byte[] randomBytes(SplittableRandom rnd) {
        byte[] b = new byte[rnd.nextInt(0, 120)];
        rnd.nextBytes(b);
        if (b.length > 14 && rnd.nextBoolean()) {
            // Steer half the garbage past the Ethernet layer.
            b[12] = 0x08;
            b[13] = (byte) (rnd.nextInt(4) == 0 ? 0x06 : 0x00);
            b[14] = (byte) (0x40 | (b[14] & 0x0F));
        }
        return b;
    }

    private static byte[] validFrame(SplittableRandom rnd) {
        byte[] src = new byte[400];
        rnd.nextBytes(src);
        TcpSegment s = TcpCodecTest.randomSegment(rnd, new UnsafeBuffer(src));
        byte[] frame = new byte[FrameEncoder.tcpFrameLength(s)];
        FrameEncoder.encodeTcp(new UnsafeBuffer(frame), 0, rnd.nextLong(), rnd.nextLong(), rnd.nextInt(), s);
        return frame;
    }

    private static byte[] mutate(SplittableRandom rnd, byte[] frame) {
        int mutations = rnd.nextInt(1, 4);
        for (int m = 0; m < mutations; m++) {
            switch (rnd.nextInt(4)) {
                case 0 -> frame[rnd.nextInt(frame.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> frame[rnd.nextInt(frame.length)] = (byte) rnd.nextInt(256);
                case 2 -> frame = Arrays.copyOf(frame, rnd.nextInt(frame.length + 1));
                default -> {
                    // Hit the length-bearing header bytes: IHL, total length, data offset, option lengths.
                    int[] hot = {14, 16, 17, 46, 55, 56, 57, 58};
                    int at = hot[rnd.nextInt(hot.length)];
                    if (at < frame.length) {
                        frame[at] = (byte) rnd.nextInt(256);
                    }
                }
            }
            if (frame.length == 0) {
                break;
            }
        }
        return frame;
    }
}
