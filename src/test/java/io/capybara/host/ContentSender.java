package io.capybara.host;

import io.capybara.sim.scenario.StreamContent;
import io.capybara.tcp.TcpConnection;
import io.capybara.tcp.TcpState;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A client that sends {@code total} bytes of a {@link StreamContent} as fast as its connection
 * takes them, then closes (a bulk transfer for host tests).
 */
final class ContentSender implements ConnectionHandler {
    private final Host host;
    private final StreamContent content;
    private final long total;
    private final UnsafeBuffer chunk = new UnsafeBuffer(new byte[65536]);
    long sent;

    ContentSender(Host host, StreamContent content, long total) {
        this.host = host;
        this.content = content;
        this.total = total;
    }

    @Override
    public void onConnected(TcpConnection conn) {
        onWritable(conn);
    }

    @Override
    public void onWritable(TcpConnection conn) {
        while (sent < total) {
            int n = (int) Math.min(Math.min(conn.writableBytes(), chunk.capacity()), total - sent);
            if (n == 0) {
                return;
            }
            content.fill(chunk, 0, sent, n);
            sent += conn.send(chunk, 0, n, host.now());
        }
        if (conn.state() == TcpState.ESTABLISHED || conn.state() == TcpState.CLOSE_WAIT) {
            conn.close(host.now());
        }
    }
}
