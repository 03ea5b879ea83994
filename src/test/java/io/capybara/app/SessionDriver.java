package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Drives an {@link HttpServerSession} like a host adapter would: input in chunks bounded by
 * {@link HttpServerSession#receiveWindow()}, every request served, output drained through
 * send windows of random size.
 */
final class SessionDriver {
    private HttpServerSession session;
    private final SplittableRandom random;
    private final int maxChunk;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final UnsafeBuffer window = new UnsafeBuffer(new byte[1 << 16]);

    /** @param random chooses chunk and window sizes in [1, maxChunk]; null means maxChunk always */
    SessionDriver(HttpServerSession session, SplittableRandom random, int maxChunk) {
        this.session = session;
        this.random = random;
        this.maxChunk = Math.min(maxChunk, window.capacity());
    }

    private int size() {
        return random == null ? maxChunk : 1 + random.nextInt(maxChunk);
    }

    /** Feeds all of {@code text}, ASCII (producing output whenever the queue is full). */
    void feed(String text) {
        byte[] input = TestBytes.ascii(text);
        feed(input, 0, input.length);
    }

    /** Feeds {@code input[from, to)} (producing output whenever the queue is full). */
    void feed(byte[] input, int from, int to) {
        UnsafeBuffer in = new UnsafeBuffer(input);
        int off = from;
        while (off < to) {
            int n = Math.min(Math.min(size(), to - off), session.receiveWindow());
            if (n == 0) {
                session.serveAll();
                produceOnce();
                continue;
            }
            int used = session.onReceive(in, off, n);
            assertEquals(n, used, "receiveWindow() promised all " + n + " bytes would be taken");
            off += used;
            if (random != null && random.nextInt(4) == 0) {
                session.serveAll();
                produceOnce();
            }
        }
    }

    /** Produces at most one window of output. */
    int produceOnce() {
        int n = session.produce(window, 0, size());
        out.write(window.byteArray(), 0, n);
        return n;
    }

    /** Serves and produces until no output is left. */
    void drain() {
        session.serveAll();
        while (session.hasOutput()) {
            produceOnce();
        }
    }

    /**
     * Moves the session through snapshot and restore, as a migration would, and continues with
     * the restored copy.
     */
    void migrate(HttpServerConfig target) {
        UnsafeBuffer snap = new UnsafeBuffer(new byte[session.snapshotSize() + 16]);
        int n = session.snapshot(snap, 8);
        assertEquals(session.snapshotSize(), n);
        try {
            session = HttpServerSession.restore(target, snap, 8, n);
        } catch (io.capybara.tcp.SnapshotException e) {
            throw new AssertionError("restore of a fresh snapshot failed", e);
        }
    }

    byte[] output() {
        return out.toByteArray();
    }

    HttpServerSession session() {
        return session;
    }

    /** Runs the whole input through a fresh session; returns everything it sent. */
    static byte[] run(HttpServerConfig config, byte[] input, SplittableRandom random, int maxChunk) {
        SessionDriver d = new SessionDriver(new HttpServerSession(config), random, maxChunk);
        d.feed(input, 0, input.length);
        d.drain();
        return d.output();
    }
}
