package io.capybara.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class MemoryLinkTest {
    @Test
    void framesCrossInBothDirectionsInOrder() {
        MemoryLink link = MemoryLink.pair("t", 16);
        UnsafeBuffer frame = new UnsafeBuffer(new byte[100]);
        for (int i = 0; i < 5; i++) {
            frame.putInt(0, i, ByteOrder.BIG_ENDIAN);
            assertTrue(link.a().send(frame, 0, 60 + i));
        }
        frame.putInt(0, 99, ByteOrder.BIG_ENDIAN);
        assertTrue(link.b().send(frame, 0, 64));

        int[] next = {0};
        int n = link.b().poll((buf, off, len) -> {
            assertEquals(next[0], buf.getInt(off, ByteOrder.BIG_ENDIAN));
            assertEquals(60 + next[0], len);
            next[0]++;
        }, 3);
        assertEquals(3, n);
        assertEquals(2, link.b().poll((buf, off, len) -> next[0]++, 10));
        assertEquals(5, next[0]);
        assertEquals(0, link.b().poll((buf, off, len) -> next[0]++, 10));
        assertEquals(1, link.a().poll((buf, off, len) -> assertEquals(99, buf.getInt(off, ByteOrder.BIG_ENDIAN)), 10));
    }

    @Test
    void fullRingDropsAndCounts() {
        MemoryLink link = MemoryLink.pair("t", 8);
        UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
        int accepted = 0;
        for (int i = 0; i < 1000; i++) {
            if (link.a().send(frame, 0, 1514)) {
                accepted++;
            }
        }
        assertTrue(accepted >= 8, "ring holds at least the requested frames: " + accepted);
        assertEquals(1000 - accepted, link.a().drops());
        assertEquals(accepted, link.b().poll((b, o, l) -> { }, Integer.MAX_VALUE));
        assertTrue(link.a().send(frame, 0, 1514), "space again after the consumer drained");
    }

    /**
     * A frame sent in three pieces arrives as one frame, byte for byte the same as the frame
     * the channel's default path assembles; too large or into a full ring, it is refused and
     * counted like any frame.
     */
    @Test
    void framesInPiecesArriveWhole() {
        MemoryLink link = MemoryLink.pair("t", 8, 1514);
        UnsafeBuffer head = new UnsafeBuffer(new byte[78]);
        UnsafeBuffer body = new UnsafeBuffer(new byte[3000]);
        UnsafeBuffer tail = new UnsafeBuffer(new byte[4]);
        for (int i = 0; i < body.capacity(); i++) {
            body.putByte(i, (byte) (i * 31));
        }
        head.setMemory(0, 78, (byte) 1);
        tail.putInt(0, 0xCAFEBABE);
        UnsafeBuffer scratch = new UnsafeBuffer(new byte[1514]);
        assertTrue(link.a().send(head, 0, 78, body, 100, 1400, tail, 0, 4, scratch));
        NullChannel assembler = new NullChannel();
        UnsafeBuffer expected = new UnsafeBuffer(new byte[1514]);
        assertTrue(assembler.send(head, 0, 78, body, 100, 1400, tail, 0, 4, expected), "the default path");
        int[] got = {0};
        assertEquals(1, link.b().poll((buf, off, len) -> {
            assertEquals(78 + 1400 + 4, len);
            for (int i = 0; i < len; i++) {
                assertEquals(expected.getByte(i), buf.getByte(off + i), "byte " + i);
            }
            got[0]++;
        }, 10));
        assertEquals(1, got[0]);
        assertFalse(link.a().send(head, 0, 78, body, 0, 1433, tail, 0, 4, scratch), "1515 bytes");
        assertEquals(1, link.a().oversize());
        int accepted = 0;
        for (int i = 0; i < 100; i++) {
            accepted += link.a().send(head, 0, 78, body, 0, 1432, tail, 0, 4, scratch) ? 1 : 0;
        }
        assertEquals(100 - accepted, link.a().drops());
        assertEquals(accepted + 1, link.a().sent());
    }

    @Test
    void oversizeFramesAreRefused() {
        MemoryLink link = MemoryLink.pair("t", 8, 1514);
        UnsafeBuffer frame = new UnsafeBuffer(new byte[2000]);
        assertFalse(link.a().send(frame, 0, 1515));
        assertEquals(1, link.a().oversize());
    }

    @Test
    void producerAndConsumerOnTwoThreads() throws Exception {
        MemoryLink link = MemoryLink.pair("t", 64);
        int total = 200_000;
        Thread producer = new Thread(() -> {
            UnsafeBuffer frame = new UnsafeBuffer(new byte[128]);
            for (int i = 0; i < total; ) {
                frame.putInt(0, i, ByteOrder.BIG_ENDIAN);
                if (link.a().send(frame, 0, 64 + (i & 63))) {
                    i++;
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        producer.start();
        int[] expect = {0};
        boolean[] ok = {true};
        while (expect[0] < total) {
            link.b().poll((buf, off, len) -> {
                int i = buf.getInt(off, ByteOrder.BIG_ENDIAN);
                ok[0] &= i == expect[0] && len == 64 + (i & 63);
                expect[0]++;
            }, 32);
        }
        producer.join();
        assertTrue(ok[0], "frames arrive complete and in order");
        assertEquals(total, link.b().received());
    }
}
