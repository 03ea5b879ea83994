package io.capybara.interop;

import io.capybara.app.BytesContent;
import io.capybara.host.ConnectionHandler;
import io.capybara.host.Host;
import io.capybara.tcp.TcpConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A Java-stack client for a kernel peer: sends a command line, then {@code toSend} bytes of
 * {@link BytesContent}, hashing what it sends and what it receives (SHA-256). It closes either
 * once everything is sent ({@link Close#AFTER_SEND}: the client closes first) or once the peer
 * has closed and everything is read ({@link Close#AFTER_PEER}: the server closes first).
 * Runs on the host's loop thread; read its fields through {@link HostLoop#call}.
 */
final class StreamClient implements ConnectionHandler {
    enum Close { AFTER_SEND, AFTER_PEER }

    private final Host host;
    private final byte[] header;
    private final long toSend;
    private final Close close;
    private final byte[] bytes = new byte[64 * 1024];
    private final UnsafeBuffer scratch = new UnsafeBuffer(bytes);
    private final MessageDigest rxDigest = sha256();
    private final MessageDigest txDigest = sha256();
    private int headerSent;
    private boolean pumping;
    private boolean again;

    TcpConnection conn;
    boolean connected;
    boolean closeCalled;
    boolean closed;
    boolean reset;
    long sent;
    long received;
    String rxSha;
    String txSha;

    StreamClient(Host host, String commandLine, long toSend, Close close) {
        this.host = host;
        this.header = commandLine.getBytes(StandardCharsets.US_ASCII);
        this.toSend = toSend;
        this.close = close;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void onConnected(TcpConnection c) {
        connected = true;
        pump(c);
    }

    @Override
    public void onData(TcpConnection c) {
        pump(c);
    }

    @Override
    public void onWritable(TcpConnection c) {
        pump(c);
    }

    @Override
    public void onClosed(TcpConnection c, boolean wasReset) {
        closed = true;
        reset = wasReset;
        finishDigests();
    }

    private void pump(TcpConnection c) {
        if (pumping) {
            again = true;
            return;
        }
        pumping = true;
        try {
            do {
                again = false;
                step(c);
            } while (again);
        } finally {
            pumping = false;
        }
    }

    private void step(TcpConnection c) {
        long now = host.now();
        int n;
        while ((n = c.receive(scratch, 0, bytes.length, now)) > 0) {
            rxDigest.update(bytes, 0, n);
            received += n;
        }
        while (headerSent < header.length) {
            scratch.putBytes(0, header, headerSent, header.length - headerSent);
            int m = c.send(scratch, 0, header.length - headerSent, now);
            if (m == 0) {
                return;
            }
            headerSent += m;
        }
        int room;
        while (sent < toSend && (room = (int) Math.min(Math.min(c.writableBytes(), bytes.length), toSend - sent)) > 0) {
            BytesContent.fill(scratch, 0, sent, room);
            int m = c.send(scratch, 0, room, now);
            txDigest.update(bytes, 0, m);
            sent += m;
            if (m < room) {
                break;
            }
        }
        boolean done = sent == toSend && (close == Close.AFTER_SEND
                || (c.isPeerClosed() && c.readableBytes() == 0));
        if (done && !closeCalled) {
            closeCalled = true;
            c.close(now);
        }
    }

    private void finishDigests() {
        if (rxSha == null) {
            rxSha = HexFormat.of().formatHex(rxDigest.digest());
            txSha = HexFormat.of().formatHex(txDigest.digest());
        }
    }

    /** Hashes are final once the connection is closed; before that, call after the last byte. */
    String rxSha() {
        finishDigests();
        return rxSha;
    }

    String txSha() {
        finishDigests();
        return txSha;
    }
}
