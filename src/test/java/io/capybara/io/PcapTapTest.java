package io.capybara.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapTapTest {
    @TempDir
    Path dir;

    @Test
    void recordsSentAndPolledFramesInOrderWithSuppliedTime() throws Exception {
        List<byte[]> frames = PcapWriterTest.handshakeExchange();
        Path file = dir.resolve("tap.pcap");
        ScriptedChannel inner = new ScriptedChannel("scripted");
        long[] clock = {5_000_000_000L};
        List<byte[]> delivered = new ArrayList<>();
        try (PcapTap tap = new PcapTap(inner, new PcapWriter(file), () -> clock[0])) {
            assertEquals("pcap(scripted)", tap.name());
            for (int i = 0; i < frames.size(); i++) {
                byte[] f = frames.get(i);
                clock[0] += 1000;
                if (i % 2 == 0) {
                    assertTrue(tap.send(new UnsafeBuffer(f), 0, f.length));
                } else {
                    inner.inbound.add(f);
                    assertEquals(1, tap.poll((b, o, l) -> {
                        byte[] copy = new byte[l];
                        b.getBytes(o, copy);
                        delivered.add(copy);
                    }, 10));
                }
            }
            // A send the channel refuses did not go out, so it is not recorded.
            inner.full = true;
            assertFalse(tap.send(new UnsafeBuffer(frames.get(0)), 0, frames.get(0).length));
            assertEquals(frames.size(), tap.writer().records());
        }
        assertTrue(inner.closed);
        assertEquals(frames.size() / 2, inner.sent.size());
        assertEquals(frames.size() / 2, delivered.size());

        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        in.position(PcapWriter.FILE_HEADER_LENGTH);
        for (int i = 0; i < frames.size(); i++) {
            long t = 5_000_000_000L + 1000L * (i + 1);
            assertEquals(t / 1_000_000_000L, in.getInt());
            assertEquals(t % 1_000_000_000L, in.getInt());
            int len = in.getInt();
            in.getInt();
            byte[] body = new byte[len];
            in.get(body);
            assertTrue(Arrays.equals(frames.get(i), body), "frame " + i);
        }
        assertFalse(in.hasRemaining());

        io.capybara.testing.Require.executable(PcapWriterTest.TSHARK, "tshark");
        PcapWriterTest.assertTshark(file, frames.size());
    }
}
