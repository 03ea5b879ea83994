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
