package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.tcp.SnapshotException;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The application pieces wired together in a tiny deterministic rack: an open-loop generator
 * over 150 Zipf-skewed connections, an in-memory network with a fixed one-way delay, and one
 * single-core server running an {@link HttpServerSession} per connection. Optionally, sessions
 * are moved through snapshot/restore while requests are in flight: since migration is
 * instantaneous here, the latency distribution must come out identical.
 */
class OpenLoopEndToEndTest {
    private static final int CONNECTIONS = 150;
    private static final long TICK = 1_000; // 1 us
    private static final long ONE_WAY = 5_000;
    private static final HttpServerConfig SERVER = HttpServerConfig.defaults().withServiceTimeMicros(5);

    private record Chunk(long deliverAt, byte[] bytes) {
    }

    private static final class Pipe {
        final ArrayDeque<Chunk> chunks = new ArrayDeque<>();

        void send(long now, UnsafeBuffer src, int off, int len) {
            byte[] b = new byte[len];
            src.getBytes(off, b);
            chunks.add(new Chunk(now + ONE_WAY, b));
        }
    }

    private static LatencyRecorder run(double rate, long durationNanos, long migrateEveryNanos, long seed) {
        SplittableRandom migrations = new SplittableRandom(seed);
        OpenLoopSchedule schedule = new OpenLoopSchedule(0, rate, new ZipfSkew(CONNECTIONS, 0.99), seed);
        LatencyRecorder recorder = new LatencyRecorder();
        LoadConnection[] clients = new LoadConnection[CONNECTIONS];
        HttpServerSession[] servers = new HttpServerSession[CONNECTIONS];
        Pipe[] up = new Pipe[CONNECTIONS];
        Pipe[] down = new Pipe[CONNECTIONS];
        HttpRequestWriter writer = new HttpRequestWriter("10.0.0.1");
        for (int i = 0; i < CONNECTIONS; i++) {
            clients[i] = new LoadConnection(writer, 256, true);
            servers[i] = new HttpServerSession(SERVER);
            up[i] = new Pipe();
            down[i] = new Pipe();
        }
        LoadGenerator gen = new LoadGenerator(schedule, clients, 64, durationNanos, recorder);
        UnsafeBuffer scratch = new UnsafeBuffer(new byte[1 << 16]);
        long busyUntil = 0;
        int inService = -1;
        int nextToServe = 0;
        long now = 0;
        for (; now < durationNanos || !gen.isDone(); now += TICK) {
            assertTrue(now < durationNanos * 10, "the run does not finish");
            gen.issueDue(now);
            for (int i = 0; i < CONNECTIONS; i++) {
                LoadConnection c = clients[i];
                if (c.outboundLength() > 0) {
                    up[i].send(now, (UnsafeBuffer) c.outbound(), c.outboundOffset(), c.outboundLength());
                    c.outboundSent(c.outboundLength());
                }
                while (!up[i].chunks.isEmpty() && up[i].chunks.peek().deliverAt() <= now) {
                    byte[] b = up[i].chunks.poll().bytes();
                    assertEquals(b.length, servers[i].onReceive(new UnsafeBuffer(b), 0, b.length));
                }
                while (!down[i].chunks.isEmpty() && down[i].chunks.peek().deliverAt() <= now) {
                    byte[] b = down[i].chunks.poll().bytes();
                    c.onReceive(new UnsafeBuffer(b), 0, b.length, now, recorder);
                }
            }
            if (inService >= 0 && busyUntil <= now) {
                int n;
                while ((n = servers[inService].produce(scratch, 0, scratch.capacity())) > 0) {
                    down[inService].send(now, scratch, 0, n);
                }
                inService = -1;
            }
            if (inService < 0) {
                for (int k = 0; k < CONNECTIONS; k++) {
                    int i = (nextToServe + k) % CONNECTIONS;
                    long demand = servers[i].serveNext();
                    if (demand >= 0) {
                        inService = i;
                        busyUntil = now + demand;
                        nextToServe = (i + 1) % CONNECTIONS;
                        break;
                    }
                }
            }
            if (migrateEveryNanos > 0 && now % migrateEveryNanos == 0) {
                int i = migrations.nextInt(CONNECTIONS) % 8; // the hot connections carry state
                servers[i] = migrate(servers[i]);
            }
        }
        assertEquals(gen.issued(), recorder.completed());
        assertEquals(0, recorder.errors());
        assertEquals(0, gen.dropped());
        return recorder;
    }

    private static HttpServerSession migrate(HttpServerSession s) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[s.snapshotSize()]);
        try {
            return HttpServerSession.restore(SERVER, b, 0, s.snapshot(b, 0));
        } catch (SnapshotException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everyRequestIsAnsweredAndLatencyHasTheModelledFloorAndTail() {
        LatencyRecorder r = run(100_000, 50_000_000, 0, 1);
        assertTrue(r.completed() > 4_500 && r.completed() < 5_500, "about 5000 requests: " + r.completed());
        // floor: two network crossings plus the service time, within a tick of rounding
        assertTrue(r.percentileNanos(0) >= 2 * ONE_WAY + 5_000, "min " + r.percentileNanos(0));
        assertTrue(r.percentileNanos(0) <= 2 * ONE_WAY + 5_000 + 2 * TICK, "min " + r.percentileNanos(0));
        // utilisation 0.5: queueing adds a tail on top of the floor
        assertTrue(r.p99Nanos() > r.p50Nanos() + 5_000, "p50 " + r.p50Nanos() + " p99 " + r.p99Nanos());
    }

    @Test
    void migratingSessionsMidFlightChangesNothing() {
        for (long seed : TestBytes.fewSeeds()) {
            LatencyRecorder plain = run(100_000, 10_000_000, 0, seed);
            LatencyRecorder migrated = run(100_000, 10_000_000, 3 * TICK, seed);
            assertEquals(plain.histogram(), migrated.histogram(),
                    TestBytes.replay("OpenLoopEndToEndTest#migratingSessionsMidFlightChangesNothing", seed));
        }
    }
}
