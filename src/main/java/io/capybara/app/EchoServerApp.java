package io.capybara.app;

import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Echoes every received byte back on the same connection, and closes once the peer has closed
 * and everything is echoed. It keeps no per-connection state: bytes are read only as far as the
 * send buffer has room for them, so a slow reader back-pressures the writer through TCP flow
 * control instead of through a queue here (and a migrated connection carries all echo state in
 * its TCP snapshot).
 */
public final class EchoServerApp implements ConnectionHandler {
    static final int SCRATCH_BYTES = 64 * 1024;

    private final Host host;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH_BYTES]);
    private boolean pumping;
    private TcpConnection pumpAgain;

    private long accepted;
    private long closed;
    private long resets;
    private long bytesEchoed;

    public EchoServerApp(Host host) {
        this.host = host;
    }

    @Override
    public void onAccepted(TcpConnection conn) {
        accepted++;
        pump(conn);
    }

    @Override
    public void onData(TcpConnection conn) {
        pump(conn);
    }

    @Override
    public void onWritable(TcpConnection conn) {
        pump(conn);
    }

    @Override
    public void onClosed(TcpConnection conn, boolean reset) {
        closed++;
        if (reset) {
            resets++;
        }
    }

    /** Callbacks raised by our own send/receive/close (deferred to their end) ask for one more round. */
    private void pump(TcpConnection conn) {
        if (pumping) {
            pumpAgain = conn;
            return;
        }
        pumping = true;
        try {
            do {
                pumpAgain = null;
                echo(conn);
            } while (pumpAgain == conn);
        } finally {
            pumping = false;
        }
    }

    private void echo(TcpConnection conn) {
        long now = host.now();
        int n;
        while ((n = Math.min(Math.min(conn.readableBytes(), conn.writableBytes()), SCRATCH_BYTES)) > 0) {
            int got = conn.receive(scratch, 0, n, now);
            if (got <= 0) {
                break;
            }
            conn.send(scratch, 0, got, now); // accepts all: got <= writableBytes()
            bytesEchoed += got;
        }
        if (conn.isPeerClosed() && conn.readableBytes() == 0 && conn.state() == TcpState.CLOSE_WAIT) {
            conn.close(now);
        }
    }

    public long accepted() {
        return accepted;
    }

    public long closed() {
        return closed;
    }

    public long resets() {
        return resets;
    }

    public long bytesEchoed() {
        return bytesEchoed;
    }

    @Override
    public String toString() {
        return "EchoServerApp{accepted=" + accepted + " closed=" + closed + " resets=" + resets
                + " echoed=" + bytesEchoed + "}";
    }
}
