package io.capybara.rack;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.mig.MigratableApp;
import io.capybara.sim.scenario.StreamContent;
import io.capybara.sim.scenario.StreamHash;
import io.capybara.tcp.TcpConnection;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The rack's server application: per connection it sends a deterministic stream (seeded by the
 * client's address and port) of a fixed length, then closes, and checks every byte the client
 * sends against the client's stream. Its per-connection state (positions, flags) migrates with
 * the connection through {@link MigratableApp}.
 */
public final class StreamServerApp implements MigratableApp, ConnectionHandler {
    static final int CHUNK = 4096;
    private static final int SNAPSHOT_BYTES = 8 * 4 + 4;
    private static final int MAGIC = 0x53545253; // "STRS"

    private final Host host;
    private final long toClientBytes;
    private final long toServerBytes;
    private final long seed;
    private final Map<TcpConnection, Session> sessions = new IdentityHashMap<>();
    private final UnsafeBuffer chunk = new UnsafeBuffer(new byte[CHUNK]);
    public long mismatches;
    public long resets;
    long resetsBeforeDone;
    long finished;
    long verifiedBytes;
    long sessionsRestored;
    /** Sessions that ended cleanly (all sent, all received, FIN both ways, no reset), and the sum of
     *  their {@link StreamHash}es of what they received: the rack compares it with its clients'. */
    public long cleanSessions;
    public long cleanReceivedHashSum;

    public StreamServerApp(Host host, long seed, long toClientBytes, long toServerBytes) {
        this.host = host;
        this.seed = seed;
        this.toClientBytes = toClientBytes;
        this.toServerBytes = toServerBytes;
    }

    /** Seed of the server-to-client (direction 1) or client-to-server (direction 2) stream. */
    public static long streamSeed(long seed, int clientIp, int clientPort, int direction) {
        long z = seed ^ ((long) clientIp << 20) ^ ((long) clientPort << 4) ^ direction;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        return z ^ (z >>> 29);
    }

    static final class Session {
        final StreamContent out;
        final StreamContent in;
        long sent;
        long received;
        boolean closeIssued;
        boolean eof;
        boolean mismatch;
        long receivedHash = StreamHash.EMPTY;

        Session(long seed, TcpConnection c) {
            out = new StreamContent(streamSeed(seed, c.remoteIp(), c.remotePort(), 1));
            in = new StreamContent(streamSeed(seed, c.remoteIp(), c.remotePort(), 2));
        }
    }

    public int sessions() {
        return sessions.size();
    }

    @Override
    public ConnectionHandler handler() {
        return this;
    }

    @Override
    public void onAccepted(TcpConnection c) {
        sessions.put(c, new Session(seed, c));
        serve(c);
    }

    @Override
    public void onData(TcpConnection c) {
        Session s = sessions.get(c);
        if (s != null) {
            drain(c, s);
        }
    }

    @Override
    public void onWritable(TcpConnection c) {
        Session s = sessions.get(c);
        if (s != null) {
            pump(c, s);
        }
    }

    @Override
    public void onClosed(TcpConnection c, boolean reset) {
        Session s = sessions.remove(c);
        if (s == null) {
            return;
        }
        if (reset) {
            resets++;
            if (!(s.closeIssued && s.eof && s.received == toServerBytes)) {
                resetsBeforeDone++;
            }
        } else if (s.closeIssued && s.eof && s.received == toServerBytes) {
            finished++;
            cleanSessions++;
            cleanReceivedHashSum += s.receivedHash;
        }
    }

    private void serve(TcpConnection c) {
        Session s = sessions.get(c);
        if (s != null) {
            drain(c, s);
        }
        s = sessions.get(c);
        if (s != null) {
            pump(c, s);
        }
    }

    private void pump(TcpConnection c, Session s) {
        long now = host.now();
        while (s.sent < toClientBytes) {
            int n = (int) Math.min(Math.min(c.writableBytes(), CHUNK), toClientBytes - s.sent);
            if (n <= 0) {
                break;
            }
            s.out.fill(chunk, 0, s.sent, n);
            int accepted = c.send(chunk, 0, n, now);
            s.sent += accepted;
            if (accepted < n) {
                break;
            }
        }
        if (s.sent == toClientBytes && !s.closeIssued) {
            s.closeIssued = true;
            c.close(now);
        }
    }

    private void drain(TcpConnection c, Session s) {
        long now = host.now();
        while (true) {
            int n = c.receive(chunk, 0, CHUNK, now);
            if (n <= 0) {
                break;
            }
            if (!s.mismatch && (s.received + n > toServerBytes || s.in.firstMismatch(chunk, 0, s.received, n) >= 0)) {
                s.mismatch = true;
                mismatches++;
            }
            s.receivedHash = StreamHash.update(s.receivedHash, chunk, 0, n);
            s.received += n;
            verifiedBytes += n;
        }
        if (c.isPeerClosed()) {
            s.eof = true;
        }
    }

    // ---- migration

    @Override
    public int snapshotSize(TcpConnection conn) {
        return SNAPSHOT_BYTES;
    }

    @Override
    public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        Session s = sessions.remove(conn);
        if (s == null) {
            dst.putInt(offset, 0, ByteOrder.BIG_ENDIAN);
            return 4;
        }
        dst.putInt(offset, MAGIC, ByteOrder.BIG_ENDIAN);
        dst.putLong(offset + 4, s.sent, ByteOrder.BIG_ENDIAN);
        dst.putLong(offset + 12, s.received, ByteOrder.BIG_ENDIAN);
        int flags = (s.closeIssued ? 1 : 0) | (s.eof ? 2 : 0) | (s.mismatch ? 4 : 0);
        dst.putLong(offset + 20, flags, ByteOrder.BIG_ENDIAN);
        dst.putLong(offset + 28, s.receivedHash, ByteOrder.BIG_ENDIAN);
        return SNAPSHOT_BYTES;
    }

    @Override
    public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
        if (length == 4 && src.getInt(offset, ByteOrder.BIG_ENDIAN) == 0) {
            return true; // a connection the application had already let go of
        }
        if (length != SNAPSHOT_BYTES || src.getInt(offset, ByteOrder.BIG_ENDIAN) != MAGIC) {
            return false;
        }
        Session s = new Session(seed, conn);
        s.sent = src.getLong(offset + 4, ByteOrder.BIG_ENDIAN);
        s.received = src.getLong(offset + 12, ByteOrder.BIG_ENDIAN);
        long flags = src.getLong(offset + 20, ByteOrder.BIG_ENDIAN);
        s.closeIssued = (flags & 1) != 0;
        s.eof = (flags & 2) != 0;
        s.mismatch = (flags & 4) != 0;
        s.receivedHash = src.getLong(offset + 28, ByteOrder.BIG_ENDIAN);
        if (s.sent < 0 || s.sent > toClientBytes || s.received < 0) {
            return false;
        }
        sessions.put(conn, s);
        sessionsRestored++;
        return true;
    }

    @Override
    public void resume(TcpConnection conn) {
        serve(conn);
    }
}
