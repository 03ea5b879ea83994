package io.capybara.eval;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.mig.MigratableApp;
import io.capybara.mig.MigrationConfig;
import io.capybara.mig.MigrationEngine;
import io.capybara.mig.MigrationMetrics;
import io.capybara.mig.MigrationStep;
import io.capybara.rack.MemoryRack;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Capybara-J's side of the overhead figures, built like the Linux one ({@code TcpRepairFleet}):
 * an in-memory rack on one thread (switch, two servers with migration engines, one client
 * host), {@code count} distinct connections in batches. Each connection gets {@code queueBytes}
 * the server application has not read and {@code queueBytes} the client has not acknowledged
 * (the client host is not polled meanwhile); the batch is migrated from server 0 to server 1
 * back to back; then every connection is checked: the client must receive exactly the queued
 * server bytes, the application on the target must read exactly the queued client bytes, and
 * one more exchange of {@value #CHECK_BYTES} bytes each way must arrive intact.
 *
 * <p>Server overhead per migration is what the engines time with {@code System.nanoTime}: the
 * sum of the migration's steps on origin and target ({@link MigrationMetrics}), taken per
 * migration through {@link MigrationMetrics.Observer}. Protocol time is a counter, never the
 * wall clock.
 */
public final class CapybaraFleet {
    public static final int CHECK_BYTES = 1024;
    private static final int MAX_ROUNDS = MemoryRack.MAX_ROUNDS;
    private static final int LINK_FRAMES = 128;
    private static final int SETUP_GROUP = 8;
    private static final int UP = 0x55;
    private static final int DOWN = 0x3C;
    private static final MigrationStep[] STEPS = MigrationStep.values();

    /** One connection under test, known to both server applications and the client. */
    private static final class Conn {
        final int id;
        TcpConnection client;
        TcpConnection server;
        int at;
        long upSent;
        long upReceived;
        long downSent;
        long downReceived;
        boolean serverReads;
        boolean closed;

        Conn(int id) {
            this.id = id;
        }
    }

    private final MemoryRack rack;
    private final Host client;
    private final MigrationMetrics metrics = new MigrationMetrics(System::nanoTime);
    private final Map<TcpConnection, Conn> byClient = new IdentityHashMap<>();
    private final Map<Integer, Conn> byClientPort = new HashMap<>();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64 * 1024]);
    private Conn[] batch = new Conn[0];
    private int accepted;
    // per-migration samples, filled by the metrics observer
    private long lastOverhead = -1;
    private final long[] lastSteps = new long[STEPS.length];

    public CapybaraFleet(int maxBatch) {
        // The servers' links, which the migrations cross, get NIC-sized rings (the setup and the
        // checks go in groups); the client's holds a whole batch's unacknowledged data.
        rack = new MemoryRack("fleet", LINK_FRAMES, Math.max(1024, maxBatch * 16), MigrationConfig.MTU,
                maxBatch * 4 + 64, metrics, ServerApp::new);
        client = rack.client();
        metrics.observer(new MigrationMetrics.Observer() {
            @Override
            public void step(MigrationStep step, long nanos) {
                lastSteps[step.ordinal()] += nanos;
            }

            @Override
            public void overhead(long nanos) {
                lastOverhead = nanos;
            }
        });
    }

    /** Step names in report order (the engine's own names). */
    public static List<String> stepNames() {
        List<String> names = new ArrayList<>();
        for (MigrationStep s : STEPS) {
            names.add(s.jsonName());
        }
        return names;
    }

    /**
     * Migrates {@code count} connections once each, {@code batchSize} at a time, each checked;
     * {@code progress} gets the number done after each batch.
     */
    public OverheadRun run(String key, int count, int queueBytes, int batchSize, IntConsumer progress) {
        if (queueBytes < 0 || queueBytes > 8 * 1024) {
            throw new IllegalArgumentException("queueBytes must be 0..8192: " + queueBytes);
        }
        long[] totals = new long[count];
        long[][] steps = new long[STEPS.length][count];
        int done = 0;
        int verified = 0;
        GcPauses gc = GcPauses.NONE;
        List<Long> uncounted = new ArrayList<>();
        while (done < count) {
            int k = Math.min(batchSize, count - done);
            openBatch(k + 1);
            fillQueues(queueBytes);
            // The harness's own garbage (client connections, check buffers) is collected here,
            // untimed, so its collections do not land inside the hand-offs; the Linux fleet does
            // the same. Collections caused during the batch still count.
            System.gc();
            // The first hand-off after the setup and the collection runs on cold caches (about
            // 0.5 ms, for either system): it is migrated and checked, not timed.
            migrate(batch[0]);
            uncounted.add(lastOverhead);
            GcPauses before = GcPauses.now();
            for (int i = 0; i < k; i++) {
                migrate(batch[i + 1]);
                totals[done + i] = lastOverhead;
                for (int s = 0; s < STEPS.length; s++) {
                    steps[s][done + i] = lastSteps[s];
                }
            }
            gc = gc.plus(GcPauses.now().minus(before));
            verified += check(queueBytes) - 1;
            closeBatch();
            done += k;
            progress.accept(done);
        }
        Map<String, long[]> named = new LinkedHashMap<>();
        for (int s = 0; s < STEPS.length; s++) {
            named.put(STEPS[s].jsonName().replace('_', ' '), steps[s]);
        }
        return new OverheadRun(key, queueBytes, totals, named, verified, gc,
                uncounted.stream().mapToLong(Long::longValue).toArray());
    }

    private void pollUntil(BooleanSupplier c, String what) {
        if (!rack.pollUntil(c, MAX_ROUNDS)) {
            throw new IllegalStateException("Capybara-J fleet: " + what + " did not happen in " + MAX_ROUNDS + " rounds");
        }
    }

    private void openBatch(int k) {
        batch = new Conn[k];
        accepted = 0;
        ClientSide side = new ClientSide();
        // a few at a time, so that no burst overflows the NIC-sized link rings
        for (int first = 0; first < k; first += SETUP_GROUP) {
            int upTo = Math.min(k, first + SETUP_GROUP);
            for (int i = first; i < upTo; i++) {
                Conn c = new Conn(i);
                batch[i] = c;
                c.client = client.connect(rack.server(0).config().ip(), MemoryRack.PORT, side);
                byClient.put(c.client, c);
                byClientPort.put(c.client.localPort(), c);
            }
            pollUntil(() -> accepted == upTo, upTo + " connections accepted");
        }
        for (Conn c : batch) {
            if (c.server == null) {
                throw new IllegalStateException("connection " + c.id + " accepted without a match");
            }
        }
    }

    private void fillQueues(int q) {
        if (q == 0) {
            return;
        }
        for (int first = 0; first < batch.length; first += SETUP_GROUP) {
            int from = first;
            int upTo = Math.min(batch.length, first + SETUP_GROUP);
            for (int i = from; i < upTo; i++) {
                send(batch[i].client, UP, batch[i].upSent, q);
                batch[i].upSent += q;
            }
            pollUntil(() -> {
                for (int i = from; i < upTo; i++) {
                    if (batch[i].server.readableBytes() != q) {
                        return false;
                    }
                }
                return true;
            }, "client bytes queued at the servers");
        }
        for (int first = 0; first < batch.length; first += SETUP_GROUP) {
            for (int i = first; i < Math.min(batch.length, first + SETUP_GROUP); i++) {
                send(batch[i].server, DOWN, batch[i].downSent, q);
                batch[i].downSent += q;
            }
            for (int round = 0; round < 10; round++) {
                rack.pollServers(); // transmitted; the client is not polled, so nothing is acknowledged
            }
        }
    }

    private void migrate(Conn c) {
        lastOverhead = -1;
        java.util.Arrays.fill(lastSteps, 0);
        int from = c.at;
        MigrationEngine e = rack.engine(from);
        if (!rack.migrate(from, c.server)) {
            throw new IllegalStateException("migration of connection " + c.id + " refused by server " + from);
        }
        if (c.at == from || e.outgoing() != 0 || lastOverhead < 0) {
            throw new IllegalStateException("migration of connection " + c.id + " did not complete (at " + c.at
                    + ", outgoing " + e.outgoing() + ", overhead " + lastOverhead + ")");
        }
    }

    /** The checks after the hand-offs; returns how many connections passed (all, or it throws). */
    private int check(int q) {
        long[] wantDown = new long[batch.length];
        for (Conn c : batch) {
            wantDown[c.id] = c.downSent;
            c.serverReads = true;
            serverRead(c);
        }
        pollUntil(() -> {
            for (Conn c : batch) {
                if (c.downReceived != wantDown[c.id] || c.upReceived != c.upSent) {
                    return false;
                }
            }
            return true;
        }, "queued bytes delivered after migration");
        for (int first = 0; first < batch.length; first += SETUP_GROUP) {
            int from = first;
            int upTo = Math.min(batch.length, first + SETUP_GROUP);
            for (int i = from; i < upTo; i++) {
                Conn c = batch[i];
                send(c.client, UP, c.upSent, CHECK_BYTES);
                c.upSent += CHECK_BYTES;
                send(c.server, DOWN, c.downSent, CHECK_BYTES);
                c.downSent += CHECK_BYTES;
            }
            pollUntil(() -> {
                for (int i = from; i < upTo; i++) {
                    if (batch[i].downReceived != batch[i].downSent || batch[i].upReceived != batch[i].upSent) {
                        return false;
                    }
                }
                return true;
            }, "check exchange after migration");
        }
        for (Conn c : batch) {
            if (c.at != 1 || c.server.state() != TcpState.ESTABLISHED || c.closed) {
                throw new IllegalStateException("connection " + c.id + " on server " + c.at + " in state "
                        + c.server.state() + (c.closed ? " (closed)" : ""));
            }
        }
        return batch.length;
    }

    private void closeBatch() {
        for (Conn c : batch) {
            c.client.abort(rack.now());
        }
        pollUntil(() -> {
            for (Conn c : batch) {
                if (!c.closed) {
                    return false;
                }
            }
            return true;
        }, "servers saw the resets");
        for (int round = 0; round < 20; round++) {
            rack.pollAll();
        }
        for (Conn c : batch) {
            byClient.remove(c.client);
            byClientPort.remove(c.client.localPort());
            c.server.attach(null);
        }
    }

    private void send(TcpConnection conn, int direction, long offset, int n) {
        for (int i = 0; i < n; i++) {
            scratch.putByte(i, pattern(direction, offset + i));
        }
        int sent = conn.send(scratch, 0, n, rack.now());
        if (sent != n) {
            throw new IllegalStateException("send buffer took " + sent + " of " + n + " bytes");
        }
    }

    /** Bytes that depend on the stream offset, so a shifted, lost or repeated chunk shows. */
    static byte pattern(int direction, long o) {
        return (byte) (o ^ (o >>> 8) * 31 ^ (o >>> 16) * 17 ^ direction);
    }

    private long readChecked(TcpConnection conn, int direction, long offset, String who) {
        long got = 0;
        int n;
        while ((n = conn.receive(scratch, 0, scratch.capacity(), rack.now())) > 0) {
            for (int i = 0; i < n; i++) {
                if (scratch.getByte(i) != pattern(direction, offset + got + i)) {
                    throw new IllegalStateException(who + " received a wrong byte at stream offset " + (offset + got + i));
                }
            }
            got += n;
        }
        return got;
    }

    private void serverRead(Conn c) {
        if (c.serverReads && c.server != null) {
            c.upReceived += readChecked(c.server, UP, c.upReceived, "server application, connection " + c.id);
        }
    }

    /** The client: checks every byte the servers send. */
    private final class ClientSide implements ConnectionHandler {
        @Override
        public void onData(TcpConnection conn) {
            Conn c = byClient.get(conn);
            if (c != null) {
                c.downReceived += readChecked(conn, DOWN, c.downReceived, "client, connection " + c.id);
            }
        }
    }

    /** The server application on one server: leaves bytes unread until the check, carries 20 bytes of state. */
    private final class ServerApp implements MigratableApp, ConnectionHandler {
        private static final int STATE_BYTES = 20;
        private final int server;

        ServerApp(int server) {
            this.server = server;
        }

        @Override
        public ConnectionHandler handler() {
            return this;
        }

        @Override
        public void onAccepted(TcpConnection conn) {
            Conn c = byClientPort.get(conn.remotePort());
            if (c != null && server == 0) {
                c.server = conn;
                c.at = 0;
                conn.attach(c);
                accepted++;
            }
        }

        @Override
        public void onData(TcpConnection conn) {
            Conn c = (Conn) conn.attachment();
            if (c != null) {
                serverRead(c);
            }
        }

        @Override
        public void onClosed(TcpConnection conn, boolean reset) {
            Conn c = (Conn) conn.attachment();
            if (c != null && c.server == conn) {
                c.closed = true;
            }
        }

        @Override
        public int snapshotSize(TcpConnection conn) {
            return STATE_BYTES;
        }

        @Override
        public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
            Conn c = (Conn) conn.attachment();
            dst.putInt(offset, c == null ? -1 : c.id, ByteOrder.BIG_ENDIAN);
            dst.putLong(offset + 4, c == null ? 0 : c.upReceived, ByteOrder.BIG_ENDIAN);
            dst.putLong(offset + 12, c == null ? 0 : c.downSent, ByteOrder.BIG_ENDIAN);
            return STATE_BYTES;
        }

        @Override
        public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
            int id = src.getInt(offset, ByteOrder.BIG_ENDIAN);
            if (length != STATE_BYTES || id < 0 || id >= batch.length) {
                return false;
            }
            Conn c = batch[id];
            if (src.getLong(offset + 4, ByteOrder.BIG_ENDIAN) != c.upReceived
                    || src.getLong(offset + 12, ByteOrder.BIG_ENDIAN) != c.downSent) {
                return false; // application state did not survive the trip
            }
            c.server = conn;
            c.at = server;
            conn.attach(c);
            return true;
        }

        @Override
        public void resume(TcpConnection conn) {
            Conn c = (Conn) conn.attachment();
            if (c != null) {
                serverRead(c);
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "CapybaraFleet[batch=%d]", batch.length);
    }
}
