/**
 * The per-host library OS: {@link io.capybara.host.Host} owns one frame channel and runs
 * Ethernet/ARP, IPv4 demultiplexing and the TCP connection table inside {@code poll(nowNanos)}.
 *
 * <p>Design choices:
 * <ul>
 *   <li>Receive: a cheap destination-MAC filter, then {@code wire.FrameDecoder} (drop reasons
 *       counted in {@code Host.wireCounters()}), then host-level checks counted in
 *       {@link io.capybara.host.HostStats}. Fragments are dropped (the stack sends DF).</li>
 *   <li>ARP: RFC 826 merge (refresh known senders, add only when addressed to us), learned
 *       entries expire, static entries never do. An unresolved next hop parks up to 16 frames in
 *       total; beyond that frames are dropped and TCP retransmits. Requests are retried
 *       {@code arpMaxRequests} times, then parked frames are dropped.</li>
 *   <li>Connections: a {@code Long2ObjectHashMap} keyed by (remote IP, remote port, local port),
 *       plus a dense array in insertion order. Timers live in a hierarchical timing wheel
 *       ({@link io.capybara.host.TimerWheel}): TCP reports a changed deadline once per call, so a
 *       poll with nothing due and {@code nextDeadline()} do not look at connections.</li>
 *   <li>Listeners: half-open connections bounded apart from an application's accept queue;
 *       past the bound SYN cookies ({@link io.capybara.host.SynCookies}). A half-open
 *       connection follows the listener's own SYN-ACK schedule, not TCP's data RTO: SYN-ACK at
 *       0, 1 and 3 s, dropped quietly at 5 s ({@code HostConfig.synAckRetries},
 *       {@code embryonicNanos()}; Linux holds a slot 63 s), so a spoofed SYN holds a slot 5 s
 *       and cookies answer the rest of a flood.</li>
 *   <li>Memory: connection rings come from the host's buffer pool while bytes are in them.</li>
 *   <li>Applications: a callback API ({@link io.capybara.host.ConnectionHandler}) for the HTTP
 *       server and the migration layer, which also gets {@code detach}/{@code attach} and a
 *       {@link io.capybara.host.MigrationHook}; and a Demikernel-style queue API
 *       ({@link io.capybara.host.QueueApi}: descriptors, tokens, {@link io.capybara.host.QResult})
 *       built on the callback API in a class of its own.</li>
 * </ul>
 */
package io.capybara.host;
