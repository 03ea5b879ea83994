package io.capybara.eval;

/**
 * What the Linux TCP_REPAIR baseline moves against what a Capybara-J snapshot moves: a fixed
 * description of the two implementations (io.capybara.eval.linux.TcpRepairMigrator and
 * io.capybara.tcp.TcpConnection#snapshot), not a measurement.
 */
public final class BaselineLimits {
    private BaselineLimits() {
    }

    public static String markdown() {
        MarkdownTable t = MarkdownTable.of("connection state", "Linux TCP_REPAIR (this baseline)", "Capybara-J snapshot");
        t.row("sequence numbers, windows (snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup)", "carried",
                "carried (snd_una/nxt/max, windows, wl1/wl2)");
        t.row("negotiated options: MSS, window scales, SACK-permitted, timestamps (+ TS clock)", "carried",
                "carried");
        t.row("unread receive queue, unacknowledged send queue", "carried (in-order bytes)", "carried");
        t.row("out-of-order received data", "lost: TCP_REPAIR_QUEUE restores only the in-order queue; the peer must "
                + "resend", "carried (the receive ring's out-of-order intervals)");
        t.row("SACK scoreboard", "lost (the restored socket knows nothing the peer SACKed)",
                "none to carry: its receiver SACK and D-SACK blocks are derived from the carried "
                + "out-of-order intervals; its sender ignores incoming SACK blocks, so keeps no scoreboard");
        t.row("congestion state (cwnd, ssthresh, recovery point, dup ACKs)", "lost: the new socket restarts from "
                + "the initial window", "carried");
        t.row("RTT estimate (srtt, rttvar, RTO, backoff, RTT sample in flight)", "lost: initial RTO, or whatever "
                + "tcp_metrics cached for the peer on the target (3 s fallback without)", "carried");
        t.row("running timers (retransmit, delayed ACK, persist, TIME-WAIT) with their remaining time", "lost",
                "carried, re-based on the target's clock");
        t.row("socket options (SO_SNDBUF/RCVBUF, TCP_NODELAY, ...)", "not restored by this baseline",
                "the connection's config travels in the snapshot");
        t.row("application state of the connection", "not part of TCP_REPAIR (Prism moves it separately)",
                "carried in CONN_STATE next to the TCP snapshot (MigratableApp)");
        t.row("packets arriving during the hand-off", "must be dropped (here: nftables) and resent by the peer",
                "buffered by the target after PREPARE_MIG_ACK and replayed");
        return "## What each system carries across a migration\n\n" + t
                + "\nThe Linux side also needs the flow blocked during the hand-off: a socket in repair mode "
                + "still transmits from kernel timers, and a segment reaching neither socket would be answered "
                + "with a RST. Blocking costs an nft process start per batch and is not counted in its overhead.\n";
    }
}
