package io.capybara.rack.proc;

import io.capybara.app.EchoServerApp;
import io.capybara.host.ConnectionHandler;
import io.capybara.mig.MigratableApp;
import io.capybara.tcp.TcpConnection;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** The echo server as a migratable application: it has no per-connection state (TCP holds it all). */
final class MigratableEcho implements MigratableApp {
    private final EchoServerApp echo;

    MigratableEcho(EchoServerApp echo) {
        this.echo = echo;
    }

    EchoServerApp echo() {
        return echo;
    }

    @Override
    public ConnectionHandler handler() {
        return echo;
    }

    @Override
    public int snapshotSize(TcpConnection conn) {
        return 0;
    }

    @Override
    public int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset) {
        return 0;
    }

    @Override
    public boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length) {
        return length == 0;
    }

    @Override
    public void resume(TcpConnection conn) {
        echo.onData(conn); // echo what arrived while it moved
    }
}
