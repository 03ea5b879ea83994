package io.capybara.rack.proc;

import io.capybara.host.ConnectionHandler;
import io.capybara.mig.MigratableApp;
import io.capybara.tcp.TcpConnection;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An application with {@code padBytes} more state per connection than it has (for {@code rack
 * bench --state-bytes}): the extra bytes are copied into CONN_STATE at the origin and travel
 * with the connection, as application state of that size would. Layout: the inner
 * application's length (4 bytes), its state, the padding. The target takes the padding where
 * the reassembled state lies (no second copy). The size can change at run time
 * ({@code ctl NODE set state-bytes N}), between migrations.
 */
final class StatePadding implements MigratableApp {
    static final int MAX_PAD = 1 << 20;

    private final MigratableApp inner;
    private final UnsafeBuffer pad = new UnsafeBuffer(new byte[MAX_PAD]);
    private int padBytes;

    StatePadding(MigratableApp inner) {
        this.inner = inner;
        for (int i = 0; i < MAX_PAD; i++) {
            pad.putByte(i, (byte) (i * 31 + 7));
        }
    }

    void padBytes(int n) {
        if (n < 0 || n > MAX_PAD) {
            throw new IllegalArgumentException("state-bytes " + n + ": expected 0.." + MAX_PAD);
        }
        padBytes = n;
    }

    int padBytes() {
        return padBytes;
    }

    MigratableApp inner() {
        return inner;
    }

    private ConnectionHandler handler;

    /** Replaces the application's handler (a {@link ServiceGate} in front of it) for new and restored connections. */
    void handler(ConnectionHandler h) {
        handler = h;
    }

    @Override
    public ConnectionHandler handler() {
        return handler != null ? handler : inner.handler();
    }

    @Override
    public int snapshotSize(TcpConnection conn) {
        int n = inner.snapshotSize(conn);
        return n < 0 ? n : 4 + n + padBytes; // negative: cannot move now
    }

    @Override
    public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        int n = inner.snapshot(conn, dst, offset + 4);
        dst.putInt(offset, n, ByteOrder.BIG_ENDIAN);
        dst.putBytes(offset + 4 + n, pad, 0, padBytes);
        return 4 + n + padBytes;
    }

    @Override
    public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
        if (length < 4) {
            return false;
        }
        int n = src.getInt(offset, ByteOrder.BIG_ENDIAN);
        if (n < 0 || n > length - 4) {
            return false;
        }
        return inner.restore(conn, src, offset + 4, n);
    }

    @Override
    public void resume(TcpConnection conn) {
        inner.resume(conn);
    }
}
