package io.capybara.eval.linux;

import io.capybara.eval.linux.TcpSockets.Endpoint;

/**
 * What {@link TcpRepairMigrator#export} dumps from a kernel TCP socket: enough to rebuild it
 * elsewhere with TCP_REPAIR, as CRIU does.
 *
 * @param sendSeq      TCP_QUEUE_SEQ of the send queue: write_seq, the sequence number after
 *                     the last byte the application queued
 * @param recvSeq      TCP_QUEUE_SEQ of the receive queue: rcv_nxt
 * @param sendQueue    bytes not yet acknowledged by the peer (sent or not), oldest first
 * @param recvQueue    bytes received but not yet read by the application
 * @param mss          TCP_MAXSEG read in repair mode, i.e. the clamp (the peer's MSS)
 * @param sndWscale    the peer's window scale (valid if windowScaling)
 * @param rcvWscale    our window scale (valid if windowScaling)
 * @param timestamp    TCP_TIMESTAMP: the socket's current timestamp clock (opaque)
 * @param window       struct tcp_repair_window: snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup
 */
public record TcpRepairState(Endpoint local, Endpoint remote, int sendSeq, int recvSeq,
                             byte[] sendQueue, byte[] recvQueue, int mss,
                             boolean windowScaling, int sndWscale, int rcvWscale,
                             boolean sackPermitted, boolean timestamps, int timestamp,
                             int[] window) {
    /** Index into {@link #window()}. */
    public static final int SND_WL1 = 0, SND_WND = 1, MAX_WINDOW = 2, RCV_WND = 3, RCV_WUP = 4;

    @Override
    public String toString() {
        return "TcpRepairState[" + local + " -> " + remote + ", sendSeq=" + Integer.toUnsignedString(sendSeq)
                + ", recvSeq=" + Integer.toUnsignedString(recvSeq) + ", sendQueue=" + sendQueue.length
                + "B, recvQueue=" + recvQueue.length + "B, mss=" + mss + ", wscale=" + windowScaling + "("
                + sndWscale + "/" + rcvWscale + "), sack=" + sackPermitted + ", ts=" + timestamps + "]";
    }
}
