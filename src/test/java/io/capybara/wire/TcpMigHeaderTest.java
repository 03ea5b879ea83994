package io.capybara.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class TcpMigHeaderTest {
    private static int message(UnsafeBuffer buf, int off, int bodyLength) {
        return message(buf, off, bodyLength, TcpMigHeader.CONN_STATE);
    }

    private static int message(UnsafeBuffer buf, int off, int bodyLength, int type) {
        TcpMigHeader h = new TcpMigHeader().wrap(buf, off);
        h.init(type, 0x01020304).clientIp(0x0A000001).clientPort(40000).serverPort(80)
                .originIp(0x0A000101).targetIp(0x0A000102).fragment(2, 5).value(123_456).bodyLength(bodyLength);
        for (int i = 0; i < bodyLength; i++) {
            buf.putByte(h.bodyOffset() + i, (byte) (i * 7));
        }
        h.seal();
        return h.length();
    }

    @Test
    void roundTripsEveryField() {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[2048]);
        int len = message(buf, 10, 100);
        TcpMigHeader h = new TcpMigHeader().wrap(buf, 10);
        assertEquals(TcpMigHeader.OK, h.validate(len));
        assertEquals(TcpMigHeader.CONN_STATE, h.type());
        assertEquals(0x01020304, h.migrationId());
        assertEquals(0x0A000001, h.clientIp());
        assertEquals(40000, h.clientPort());
        assertEquals(80, h.serverPort());
        assertEquals(0x0A000101, h.originIp());
        assertEquals(0x0A000102, h.targetIp());
        assertEquals(2, h.fragmentIndex());
        assertEquals(5, h.fragmentCount());
        assertEquals(123_456, h.value());
        assertEquals(100, h.bodyLength());
        assertEquals(TcpMigHeader.MIN_LENGTH + 100, len);
    }

    @Test
    void everyTruncationAndEveryBitFlipIsRejected() {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[256]);
        int len = message(buf, 0, 30, TcpMigHeader.HEARTBEAT);
        TcpMigHeader h = new TcpMigHeader().wrap(buf, 0);
        for (int n = 0; n < len; n++) {
            int r = h.validate(n);
            assertEquals(true, r != TcpMigHeader.OK, "truncated to " + n + " accepted");
        }
        for (int bit = 0; bit < len * 8; bit++) {
            assertEquals(true, flipped(h, buf, bit, len) != TcpMigHeader.OK, "bit " + bit + " flipped but accepted");
        }
        assertEquals(TcpMigHeader.OK, h.validate(len));
    }

    /**
     * A CONN_STATE fragment's trailer covers its header: every flip there is caught, a flip in
     * the body is left to the state's own end-to-end CRC32C (checked by the engine).
     */
    @Test
    void stateFragmentsCheckTheirHeaderAndLeaveTheBodyToTheStateCrc() {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[256]);
        int len = message(buf, 0, 30);
        TcpMigHeader h = new TcpMigHeader().wrap(buf, 0);
        for (int bit = 0; bit < len * 8; bit++) {
            int idx = bit / 8;
            boolean body = idx >= TcpMigHeader.HEADER_LENGTH && idx < len - TcpMigHeader.TRAILER_LENGTH;
            int r = flipped(h, buf, bit, len);
            assertEquals(body, r == TcpMigHeader.OK, "bit " + bit + (body ? " (body)" : " (header or trailer)"));
        }
        assertEquals(TcpMigHeader.OK, h.validate(len));
    }

    private static int flipped(TcpMigHeader h, UnsafeBuffer buf, int bit, int len) {
        int idx = bit / 8;
        byte orig = buf.getByte(idx);
        buf.putByte(idx, (byte) (orig ^ (1 << (bit % 8))));
        int r = h.validate(len);
        buf.putByte(idx, orig);
        return r;
    }

    @Test
    void specificErrorsAreNamed() {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[256]);
        int len = message(buf, 0, 0);
        TcpMigHeader h = new TcpMigHeader().wrap(buf, 0);
        buf.putByte(2, (byte) 9);
        assertEquals(TcpMigHeader.ERR_VERSION, h.validate(len));
        buf.putByte(2, (byte) TcpMigHeader.VERSION);
        buf.putByte(3, (byte) 99);
        assertEquals(TcpMigHeader.ERR_TYPE, h.validate(len));
        buf.putByte(3, (byte) TcpMigHeader.HEARTBEAT);
        h.fragment(3, 3);
        assertEquals(TcpMigHeader.ERR_FRAGMENT, h.validate(len));
        h.fragment(0, 1).length(200);
        assertEquals(TcpMigHeader.ERR_LENGTH, h.validate(len));
        assertEquals(TcpMigHeader.ERR_TRUNCATED, h.validate(10));
    }

    @Test
    void crcIsTheSameOnHeapOffHeapAndAtAnyOffset() {
        SplittableRandom rnd = new SplittableRandom(7);
        byte[] data = new byte[5000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) rnd.nextInt();
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length);
        direct.put(data).flip();
        BufferCrc crc = new BufferCrc();
        UnsafeBuffer heap = new UnsafeBuffer(data);
        UnsafeBuffer shifted = new UnsafeBuffer(data, 1, data.length - 1); // wrapAdjustment 1
        UnsafeBuffer offHeap = new UnsafeBuffer(direct);
        for (int k = 0; k < 50; k++) {
            int from = 1 + rnd.nextInt(100);
            int len = rnd.nextInt(data.length - from);
            CRC32C ref = new CRC32C();
            ref.update(data, from, len);
            int expected = (int) ref.getValue();
            assertEquals(expected, crc.compute(heap, from, len));
            assertEquals(expected, crc.compute(shifted, from - 1, len));
            assertEquals(expected, crc.compute(offHeap, from, len));
        }
    }
}
