/**
 * One TCP connection as a pure, deterministic state machine (RFC 9293), and its snapshot form.
 *
 * <h2>Shape</h2>
 * {@link io.capybara.tcp.TcpConnection} takes segments ({@link io.capybara.wire.TcpSegment}),
 * application calls and {@code nowNanos}; it emits segments synchronously to a
 * {@link io.capybara.tcp.SegmentSink} (payload = a view of the send ring, never straddling its
 * wrap point) and events to a {@link io.capybara.tcp.ConnectionObserver} (deferred to the end of
 * each public call, so observers may call back in). Timers are absolute deadlines;
 * {@code nextDeadline()} / {@code onTimer(now)} drive them. No clock, threads, I/O or unseeded
 * randomness. ISNs come from {@link io.capybara.tcp.IsnGenerator} (RFC 6528, SipHash-2-4).
 *
 * <h2>Choices</h2>
 * <ul>
 * <li>Initial window: RFC 3390 / RFC 5681 {@code min(4*MSS, max(2*MSS, 4380))}; slow start with
 * RFC 3465 L=1; loss window 1 MSS after RTO. Congestion avoidance and the reduction on loss:
 * CUBIC (RFC 9438, beta 0.7, fast convergence, the Reno-friendly estimate; no HyStart++) by
 * default, growing as Linux's does in an epoch's first millisecond (one segment per c0
 * acknowledged, c0 the window the epoch began with: Linux keeps that step until its next jiffy,
 * which at datacenter round trips is most of every epoch; see {@code Cubic}), or RFC 9438's
 * increase alone ({@code CUBIC_RFC}) or NewReno per connection ({@code TcpConfig.withCongestion}).</li>
 * <li>Loss recovery with SACK agreed ({@link io.capybara.tcp.SackSender} decides,
 * {@link io.capybara.tcp.LossRecovery} holds the state): a scoreboard record per segment sent
 * (range, send stamp, SACKED / LOST / RETRANS; RACK's loss scan stops at the first record first
 * sent after the last delivered one, so an ACK costs O(1) outside recovery); RFC 6675 IsLost, pipe, NextSeg rules (1) and (4)
 * (the rescue retransmission, once per recovery, when the application has nothing new to send;
 * rule (3) is not used, RACK re-marks a lost retransmission instead); RFC 8985 RACK (reorder
 * window 0 until reordering is seen, then min_RTT/4 scaled by D-SACKs, with a reorder timer)
 * and TLP (PTO = 2 SRTT, at least 10 ms as Linux, plus 200 ms with one segment in flight; the
 * probe sends new data or the last segment); RFC 6937 PRR with the slow-start reduction bound.
 * An RTO marks every segment not SACKed lost (a SACKed segment at SND.UNA means the receiver
 * reneged: the marks go) and repairs them in order as the window reopens. Segments sent in the
 * same instant are stamped a nanosecond apart, so RACK's "sent after" never needs the RFC's
 * sequence-number tie-break (which misjudges a retransmission sent after higher data). Without
 * SACK: three duplicate ACKs and NewReno (RFC 6582) with {@code recover = SND.MAX}.</li>
 * <li>Timestamps: TSval in microsecond ticks ({@code now/1000 + per-connection offset}); RTT from
 * TSecr when negotiated (echoes older than the last RTO are ignored, so a backed-off timer never
 * inflates SRTT), else one timed segment per RTT with Karn's rule. The TS clock is rebased on
 * restore so it stays continuous across hosts. PAWS (RFC 7323 5.3) drops segments older than
 * TS.Recent; TS.Recent is trusted for 30 minutes without updates (microsecond clocks wrap fast).</li>
 * <li>MSS: {@code min(ours, peer's or 536)} minus 12 when timestamps are on (RFC 6691).</li>
 * <li>SACK (RFC 2018), receiver side only, offered by default: with SACK agreed, every segment
 * we send while out-of-order data is held carries up to 4 blocks (3 beside timestamps, fewer
 * when a data segment leaves less room under the MSS; a full-sized one carries none, and an ACK
 * it should have carried follows as a pure ACK). The first block holds the segment that
 * triggered the ACK, the rest follow from the highest sequence down, so the order is derived
 * from the receive ring and needs no state in the snapshot. These blocks never reach down to
 * RCV.NXT. D-SACK (RFC 2883): the ACK answering a segment whose data was all held already (at
 * or below RCV.NXT, or inside one out-of-order interval) leads with a block for that duplicate,
 * followed, if inside an interval, by that interval; it is sent once, on the first segment
 * with room, so a sender learns which retransmissions were needless. A segment that also
 * brings new data is not reported. The duplicate's range lives only within the call that
 * received it, so D-SACK needs no snapshot state either. Incoming blocks feed the sender's
 * scoreboard (above).</li>
 * <li>ACKs: delayed (every second full-sized segment or the delayed-ACK timer), except that
 * out-of-order data, and in-order data while out-of-order data is held (it fills all or part of
 * a hole, RFC 5681 4.2), is ACKed at once.</li>
 * <li>Windows: the advertised right edge never moves left; it moves right in steps of at least
 * {@code min(buffer/2, MSS)}; scaling rounds down (RFC 7323 2.4), data is accepted up to the
 * furthest edge ever advertised. Sender-side SWS avoidance and optional Nagle per RFC 9293
 * 3.8.6.2.1; a persist timer (backed off, not counted as retransmission) sends window probes
 * with an old sequence number, or the override-timeout segment for a small window.</li>
 * <li>A FIN is sent regardless of the peer's window and a bare FIN at RCV.NXT is accepted with
 * a closed window. {@code close()} during the handshake queues the FIN after establishment
 * ({@code abort()} gives up instead). TIME_WAIT ignores RSTs (RFC 1337).</li>
 * <li>Segmentation offload (TSO/GSO): when the sink offers it
 * ({@link io.capybara.tcp.SegmentSink#segmentOffloadBytes}, 0 unless a host's channel can cut
 * segments and its config allows), new data above SND.MAX goes out in segments of whole MSS
 * multiples up to that bound, within cwnd and the peer's window; what lies below cuts them into
 * MSS pieces with copies of the header (FIN and PSH on the last). The connection keeps its books
 * per piece, exactly as if each had been sent alone at that instant: one scoreboard record per
 * MSS (SACK, RACK stamps a nanosecond apart, PRR, pipe), segments counted as on the wire, and
 * every retransmission (repairs, probes, go-back-N after a timeout without SACK) one MSS. So a
 * partial SACK or a lost piece of a large segment is handled like that of single segments, and
 * the snapshot format is unchanged. As Linux does (tcp_tso_should_defer), a segment shorter
 * than a third of the smaller window waits for the next ACK while two segments or more are in
 * flight, outside recovery and before close. Off (the default) nothing of this runs, so every
 * simulation is bit-identical.</li>
 * <li>Pure ACKs carry SND.MAX as their sequence number (SND.NXT rolls back on RTO).</li>
 * <li>Rings grow by doubling, from 4 KiB up to the configured size rounded to a power of two,
 * so idle connections are small to keep and cheap to snapshot/restore; the steady-state
 * data path allocates nothing.</li>
 * </ul>
 *
 * <h2>Snapshot format (version 3; older versions are refused with the reason)</h2>
 * {@link io.capybara.tcp.SnapshotFormat}: a 16-byte header (magic {@code "CPTC"}, version, body
 * length, CRC32C of the body; all big-endian ints; the CRC field is 0 when a transport checksums
 * the bytes itself, as TCPMig does), then a body of groups, each of which writes and reads its own
 * fields: the config, the addresses and state, {@code SendSpace} (send sequence variables),
 * {@code ReceiveSpace}, {@code Options} (negotiated options, timestamp clock re-based on restore),
 * {@code RttEstimator} (with Karn timing and the retry count), {@code NewReno} (and
 * {@code Cubic}'s state), {@code LossRecovery} (the scoreboard's records with send times relative
 * to the snapshot, recovery, RACK, PRR and TLP state), {@code Timers}
 * (deadlines relative to the snapshot time: armed flag + delta), {@code TcpStats}, the send ring
 * (capacity, head, bytes) and the receive ring (capacity, head, readable bytes, then each
 * out-of-order interval with its bytes). Restore validates every field and cross-field invariant
 * and throws {@link io.capybara.tcp.SnapshotException} for anything it cannot trust. A new field
 * goes into its group's {@code write} and {@code read}, and a format change bumps the version.
 * The scoreboard travels with the connection (RFC 2018 would let a migration drop it, as a
 * receiver may renege): it costs 17 bytes per segment in flight and keeps a restored connection
 * exactly on the course the original would have taken, mid-recovery included. A restore takes
 * the scoreboard's arrays, like the rings' memory, from the host's {@link io.capybara.tcp.BufferPool}.
 */
package io.capybara.tcp;
