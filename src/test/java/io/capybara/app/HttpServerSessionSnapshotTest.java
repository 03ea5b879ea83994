package io.capybara.app;

import static io.capybara.app.TestBytes.ascii;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.tcp.SnapshotException;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class HttpServerSessionSnapshotTest {
    private static final HttpServerConfig CONFIG = HttpServerConfig.defaults().withMaxPipelined(8);

    /** Pipelined requests touching every parser phase and response kind. */
    private static final byte[] INPUT = ascii(
            "GET /bytes/3000 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "\r\nHEAD /bytes/17 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world"
            + "GET / HTTP/1.0\nConnection: keep-alive\n\n"
            + "GET /missing HTTP/1.1\r\nHost: a\r\nX-Long: " + "v".repeat(300) + "\r\n\r\n"
            + "GET /bytes/-1 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "GET /bytes/0 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "GET /bytes/700 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nzz"
            + "GET /bytes/5 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            + "GET /never HTTP/1.1\r\nHost: a\r\n\r\n");

    private static final byte[] REFERENCE = SessionDriver.run(CONFIG, INPUT, null, 1 << 16);

    @Test
    void referenceAnswersEveryRequestBeforeTheClose() {
        var r = ResponseList.parse(REFERENCE, new boolean[] {false, true}, false);
        assertEquals(9, r.size());
        assertEquals(java.util.List.of(200, 200, 405, 200, 404, 400, 200, 200, 200),
                r.stream().map(ResponseList.Resp::status).toList());
    }

    @Test
    void migrationAtEveryInputSplitPointIsInvisible() {
        for (int split = 0; split <= INPUT.length; split++) {
            SplittableRandom rnd = new SplittableRandom(split);
            SessionDriver d = new SessionDriver(new HttpServerSession(CONFIG), rnd, 1 + rnd.nextInt(200));
            d.feed(INPUT, 0, split);
            for (int i = rnd.nextInt(3); i > 0; i--) {
                d.session().serveNext();
                d.produceOnce(); // leaves a response partly sent, some requests unserved
            }
            d.migrate(CONFIG);
            d.feed(INPUT, split, INPUT.length);
            d.drain();
            assertArrayEquals(REFERENCE, d.output(), "migrated after input byte " + split);
            assertTrue(d.session().isFinished());
        }
    }

    @Test
    void migrationAtEveryOutputOffsetIsInvisible() {
        for (int sent = 0; sent <= REFERENCE.length; sent += 1 + sent / 512) {
            SessionDriver d = new SessionDriver(new HttpServerSession(CONFIG), null, 1);
            d.feed(INPUT, 0, INPUT.length); // one-byte windows: stops as soon as the queue fills
            d.session().serveAll();
            while (d.output().length < sent && d.session().hasOutput()) {
                d.produceOnce();
            }
            d.migrate(CONFIG);
            d.drain();
            assertArrayEquals(REFERENCE, d.output(), "migrated after output byte " + sent);
        }
    }

    @Test
    void repeatedMigrationsAtRandomPointsAreInvisible() {
        for (long seed : TestBytes.seeds(500)) {
            SplittableRandom rnd = new SplittableRandom(seed);
            SessionDriver d = new SessionDriver(new HttpServerSession(CONFIG), rnd, 1 + rnd.nextInt(100));
            int off = 0;
            while (off < INPUT.length) {
                int next = Math.min(INPUT.length, off + rnd.nextInt(80));
                d.feed(INPUT, off, next);
                off = next;
                if (rnd.nextBoolean()) {
                    d.session().serveNext();
                    d.produceOnce();
                }
                d.migrate(CONFIG);
            }
            d.drain();
            assertArrayEquals(REFERENCE, d.output(),
                    TestBytes.replay("HttpServerSessionSnapshotTest#repeatedMigrationsAtRandomPointsAreInvisible", seed));
        }
    }

    @Test
    void restoredSessionKeepsUnservedRequestsUnserved() throws SnapshotException {
        HttpServerSession s = new HttpServerSession(CONFIG.withServiceTimeMicros(3));
        s.onReceive(new UnsafeBuffer(INPUT), 0, 60);
        assertEquals(1, s.unservedRequests());
        HttpServerSession r = roundTrip(s, CONFIG.withServiceTimeMicros(3));
        assertEquals(1, r.unservedRequests());
        assertEquals(0, r.produce(new UnsafeBuffer(new byte[100]), 0, 100));
        assertEquals(3000, r.serveNext());
    }

    private static HttpServerSession roundTrip(HttpServerSession s, HttpServerConfig config) throws SnapshotException {
        UnsafeBuffer b = new UnsafeBuffer(new byte[s.snapshotSize()]);
        int n = s.snapshot(b, 0);
        return HttpServerSession.restore(config, b, 0, n);
    }

    private static UnsafeBuffer midwaySnapshot() {
        HttpServerSession s = new HttpServerSession(CONFIG);
        s.onReceive(new UnsafeBuffer(INPUT), 0, 130);
        s.serveNext();
        s.produce(new UnsafeBuffer(new byte[100]), 0, 100);
        UnsafeBuffer b = new UnsafeBuffer(new byte[s.snapshotSize()]);
        s.snapshot(b, 0);
        return b;
    }

    @Test
    void everyFlippedBitIsRejected() {
        UnsafeBuffer good = midwaySnapshot();
        int n = good.capacity();
        for (int i = 0; i < n; i++) {
            for (int bit = 0; bit < 8; bit++) {
                UnsafeBuffer bad = new UnsafeBuffer(good.byteArray().clone());
                bad.putByte(i, (byte) (bad.getByte(i) ^ (1 << bit)));
                assertThrows(SnapshotException.class, () -> HttpServerSession.restore(CONFIG, bad, 0, n),
                        "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void truncationIsRejected() {
        UnsafeBuffer good = midwaySnapshot();
        for (int len = 0; len < good.capacity(); len++) {
            int l = len;
            assertThrows(SnapshotException.class, () -> HttpServerSession.restore(CONFIG, good, 0, l), "length " + len);
        }
    }

    /** Rewrites a field and fixes the CRC, so only the semantic checks stand in the way. */
    private static UnsafeBuffer tampered(int offset, int value, int width) {
        UnsafeBuffer b = new UnsafeBuffer(midwaySnapshot().byteArray().clone());
        switch (width) {
            case 1 -> b.putByte(offset, (byte) value);
            case 2 -> b.putShort(offset, (short) value, ByteOrder.BIG_ENDIAN);
            case 4 -> b.putInt(offset, value, ByteOrder.BIG_ENDIAN);
            default -> b.putLong(offset, value, ByteOrder.BIG_ENDIAN);
        }
        int crcAt = b.capacity() - 4;
        b.putInt(crcAt, new io.capybara.wire.BufferCrc().compute(b, 0, crcAt), ByteOrder.BIG_ENDIAN);
        return b;
    }

    @Test
    void inconsistentFieldsAreRejectedWithAClearMessage() {
        assertRejected(tampered(4, 2, 2), "version 2");
        assertRejected(tampered(12, 7, 1), "phase");
        assertRejected(tampered(13, 0, 8), "body remainder"); // phase is BODY there
        assertRejected(tampered(29, 99, 4), "served");
        assertRejected(tampered(33, 1 << 30, 8), "response progress");
        assertRejected(tampered(6, 8, 2), "flags");
    }

    @Test
    void snapshotNotFittingTheTargetConfigIsRejected() {
        UnsafeBuffer good = midwaySnapshot();
        HttpServerConfig tiny = CONFIG.withMaxPipelined(1);
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> HttpServerSession.restore(tiny, good, 0, good.capacity()));
        assertTrue(e.getMessage().contains("maxPipelined"), e.getMessage());
    }

    private static void assertRejected(UnsafeBuffer b, String messagePart) {
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> HttpServerSession.restore(CONFIG, b, 0, b.capacity()));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }
}
