package io.capybara.tcp;

/** The RFC 9293 connection states. */
public enum TcpState {
    CLOSED(false, false), LISTEN(false, false), SYN_SENT(false, true), SYN_RECEIVED(false, true),
    ESTABLISHED(true, true), FIN_WAIT_1(true, false), FIN_WAIT_2(false, false), CLOSE_WAIT(true, true),
    CLOSING(true, false), LAST_ACK(true, false), TIME_WAIT(false, false);

    /** Data may be sent (and resent): the connection's output runs. */
    final boolean sendsData;
    /** The application may queue data, unless it has closed its side (a FIN is queued). */
    final boolean queuesData;

    TcpState(boolean sendsData, boolean queuesData) {
        this.sendsData = sendsData;
        this.queuesData = queuesData;
    }

    /** States in which both sides have exchanged SYNs (migratable, per issue 5). */
    public boolean isSynchronized() {
        return this != CLOSED && this != LISTEN && this != SYN_SENT && this != SYN_RECEIVED;
    }
}
