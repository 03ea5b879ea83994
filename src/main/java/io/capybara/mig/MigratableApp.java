package io.capybara.mig;

import io.capybara.host.ConnectionHandler;
import io.capybara.tcp.TcpConnection;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The application side of a migration: its per-connection state travels in CONN_STATE next to
 * the TCP snapshot. An origin calls {@link #snapshotSize} and {@link #snapshot} (after which the
 * application forgets the connection); a target (or an origin taking a connection back after a
 * failed migration) calls {@link #restore} and then {@link #resume}.
 */
public interface MigratableApp {
    /** Receives the events of connections attached by the engine. */
    ConnectionHandler handler();

    /**
     * Upper bound of what {@link #snapshot} writes for {@code conn}; negative if the
     * application cannot move it now (a TLS handshake in progress): the engine then does not
     * start a migration of it.
     */
    int snapshotSize(TcpConnection conn);

    /**
     * Writes the connection's application state and forgets the connection (it is being
     * detached; no more callbacks come for it).
     *
     * @return bytes written
     */
    int snapshot(TcpConnection conn, MutableDirectBuffer dst, int offset);

    /**
     * Adopts a restored connection with the state {@link #snapshot} wrote.
     *
     * @return false if the state is unusable (the connection is then not attached)
     */
    boolean restore(TcpConnection conn, DirectBuffer src, int offset, int length);

    /** The restored connection is attached and its buffered segments replayed: serve it now. */
    void resume(TcpConnection conn);

    /**
     * An application whose connections carry no state of their own (TCP holds it all, as for
     * echo): it moves with an empty snapshot, and once resumed, what arrived meanwhile goes to
     * {@code handler} as data.
     */
    static MigratableApp stateless(ConnectionHandler handler) {
        return new MigratableApp() {
            @Override
            public ConnectionHandler handler() {
                return handler;
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
                handler.onData(conn);
            }
        };
    }
}
