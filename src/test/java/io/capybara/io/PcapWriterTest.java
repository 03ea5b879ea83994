package io.capybara.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.FrameEncoder;
import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import io.capybara.wire.TcpSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {
    static final long CLIENT_MAC = MacAddress.parse("02:00:00:00:00:01");
    static final long SERVER_MAC = MacAddress.parse("02:00:00:00:00:02");
    static final int CLIENT_IP = Ipv4Address.parse("10.0.0.1");
    static final int SERVER_IP = Ipv4Address.parse("10.0.0.2");
    static final Path TSHARK = Path.of("/usr/bin/tshark");

    @TempDir
    Path dir;

    /**
     * A consistent client/server exchange built with the encoder: SYN, SYN-ACK, ACK, request,
     * response, FIN, FIN-ACK, ACK. Sequence numbers line up so tshark finds nothing to flag.
     */
    static List<byte[]> handshakeExchange() {
        List<byte[]> frames = new ArrayList<>();
        int c = 1000;
        int s = 5000;
        byte[] request = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] response = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        frames.add(frame(true, TcpSegment.SYN, c, 0, null, true));
        frames.add(frame(false, TcpSegment.SYN | TcpSegment.ACK, s, c + 1, null, true));
        frames.add(frame(true, TcpSegment.ACK, c + 1, s + 1, null, false));
        frames.add(frame(true, TcpSegment.ACK | TcpSegment.PSH, c + 1, s + 1, request, false));
        frames.add(frame(false, TcpSegment.ACK | TcpSegment.PSH, s + 1, c + 1 + request.length, response, false));
        frames.add(frame(true, TcpSegment.ACK | TcpSegment.FIN, c + 1 + request.length, s + 1 + response.length, null, false));
        frames.add(frame(false, TcpSegment.ACK | TcpSegment.FIN, s + 1 + response.length, c + 2 + request.length, null, false));
        frames.add(frame(true, TcpSegment.ACK, c + 2 + request.length, s + 2 + response.length, null, false));
        return frames;
    }

    private static int ipId;

    private static byte[] frame(boolean fromClient, int flags, int seq, int ack, byte[] payload, boolean synOptions) {
        TcpSegment seg = new TcpSegment();
        seg.srcIp = fromClient ? CLIENT_IP : SERVER_IP;
        seg.dstIp = fromClient ? SERVER_IP : CLIENT_IP;
        seg.srcPort = fromClient ? 40000 : 80;
        seg.dstPort = fromClient ? 80 : 40000;
        seg.flags = flags;
        seg.seq = seq;
        seg.ack = ack;
        seg.window = 65535;
        seg.hasTimestamps = true;
        seg.tsVal = 100 + ipId;
        seg.tsEcr = (flags & TcpSegment.SYN) != 0 && !fromClient ? 100 : (ipId == 0 ? 0 : 99 + ipId);
        if (synOptions) {
            seg.mss = 1460;
            seg.windowScale = 7;
            seg.sackPermitted = true;
        }
        if (payload != null) {
            seg.payload = new UnsafeBuffer(payload);
            seg.payloadLength = payload.length;
        }
        byte[] out = new byte[FrameEncoder.tcpFrameLength(seg)];
        FrameEncoder.encodeTcp(new UnsafeBuffer(out), 0, fromClient ? SERVER_MAC : CLIENT_MAC,
                fromClient ? CLIENT_MAC : SERVER_MAC, ipId++, seg);
        return out;
    }

    /** Writes {@code frames} to {@code file}, the first at {@code t}, each {@code step} ns after the last. */
    static long record(Path file, List<byte[]> frames, long t, long step) throws IOException {
        try (PcapWriter w = new PcapWriter(file)) {
            for (byte[] f : frames) {
                w.record(t, new UnsafeBuffer(f), 0, f.length);
                t += step;
            }
            return w.records();
        }
    }

    @Test
    void writesClassicNanosecondPcapByteForByte() throws IOException {
        List<byte[]> frames = handshakeExchange();
        Path file = dir.resolve("x.pcap");
        assertEquals(frames.size(), record(file, frames, 1_700_000_000_123_456_789L, 1_500_000_001L));
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b23c4d, in.getInt());
        assertEquals(2, in.getShort());
        assertEquals(4, in.getShort());
        assertEquals(0, in.getInt());
        assertEquals(0, in.getInt());
        assertEquals(PcapWriter.SNAPLEN, in.getInt());
        assertEquals(1, in.getInt());
        long t = 1_700_000_000_123_456_789L;
        for (byte[] f : frames) {
            assertEquals(t / 1_000_000_000L, in.getInt() & 0xFFFF_FFFFL);
            assertEquals(t % 1_000_000_000L, in.getInt());
            assertEquals(f.length, in.getInt());
            assertEquals(f.length, in.getInt());
            byte[] body = new byte[f.length];
            in.get(body);
            assertTrue(Arrays.equals(f, body));
            t += 1_500_000_001L;
        }
        assertFalse(in.hasRemaining());
    }

    @Test
    void flushesAcrossTheStagingBufferAndCutsAtSnaplen() throws IOException {
        Path file = dir.resolve("big.pcap");
        byte[] big = new byte[PcapWriter.SNAPLEN + 10];
        Arrays.fill(big, (byte) 7);
        int n = 9;
        try (PcapWriter w = new PcapWriter(file)) {
            for (int i = 0; i < n; i++) {
                w.record(i, new UnsafeBuffer(big), 0, big.length);
            }
        }
        long expected = PcapWriter.FILE_HEADER_LENGTH + (long) n * (PcapWriter.RECORD_HEADER_LENGTH + PcapWriter.SNAPLEN);
        assertEquals(expected, Files.size(file));
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PcapWriter.SNAPLEN, in.getInt(PcapWriter.FILE_HEADER_LENGTH + 8));
        assertEquals(big.length, in.getInt(PcapWriter.FILE_HEADER_LENGTH + 12));
    }

    @Test
    void tsharkReadsTheExchangeWithoutErrors() throws Exception {
        io.capybara.testing.Require.executable(TSHARK, "tshark");
        List<byte[]> frames = handshakeExchange();
        Path file = dir.resolve("handshake.pcap");
        record(file, frames, 1_000_000_000L, 10_000);
        assertTshark(file, frames.size());
    }

    @Test
    void tsharkCheckCatchesACorruptedTcpChecksum() throws Exception {
        io.capybara.testing.Require.executable(TSHARK, "tshark");
        List<byte[]> frames = handshakeExchange();
        frames.get(3)[34 + 16] ^= 0x01; // TCP checksum of the request
        Path file = dir.resolve("bad.pcap");
        try (PcapWriter w = new PcapWriter(file)) {
            for (byte[] f : frames) {
                w.record(0, new UnsafeBuffer(f), 0, f.length);
            }
        }
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> assertTshark(file, frames.size()));
        assertTrue(e.getMessage().contains("TCP checksum not good"), e.getMessage());
    }

    /** Runs tshark on {@code file}: right frame count, good checksums, no malformed packets or errors. */
    static void assertTshark(Path file, int expectedFrames) throws Exception {
        String fields = run(TSHARK.toString(), "-r", file.toString(),
                "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                "-T", "fields", "-e", "frame.number", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
                "-e", "_ws.expert.message", "-E", "separator=|");
        List<String> lines = fields.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(expectedFrames, lines.size(), fields);
        for (String line : lines) {
            String[] f = line.split("\\|", -1);
            assertEquals("1", f[1], "IPv4 checksum not good: " + line);
            assertEquals("1", f[2], "TCP checksum not good: " + line);
            String lower = line.toLowerCase();
            assertFalse(lower.contains("malformed") || lower.contains("bad checksum") || lower.contains("incorrect"), line);
        }
        String expert = run(TSHARK.toString(), "-r", file.toString(), "-q",
                "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-z", "expert");
        assertFalse(expert.contains("Errors ("), expert);
        assertFalse(expert.contains("Warnings ("), expert);
        assertFalse(expert.toLowerCase().contains("malformed"), expert);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark timed out");
        assertEquals(0, p.exitValue(), "tshark failed: " + err);
        return new String(out, StandardCharsets.UTF_8);
    }
}
