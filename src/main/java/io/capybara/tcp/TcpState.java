package io.capybara.tcp;

/** The RFC 9293 connection states. */
public enum TcpState {
    CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT,
    CLOSING, LAST_ACK, TIME_WAIT;

    /** States in which both sides have exchanged SYNs (migratable, per issue 5). */
    public boolean isSynchronized() {
        return this != CLOSED && this != LISTEN && this != SYN_SENT && this != SYN_RECEIVED;
    }
}
