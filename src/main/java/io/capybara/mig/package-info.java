/**
 * TCPMig: live migration of TCP connections between the servers of a rack (Capybara, APSys'23,
 * section 3.3), on top of {@link io.capybara.host.Host}, through the top-of-rack switch ({@code io.capybara.tor}).
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link io.capybara.mig.MigrationEngine}: one per server; origin and target state machines,
 *       temporary buffers, forwarding of late segments, heartbeats, load policy. A
 *       {@link io.capybara.io.Node}: poll it after its host with the same {@code nowNanos}.</li>
 *   <li>{@link io.capybara.mig.MigratableApp}: what the application gives the engine (its
 *       per-connection state, and where restored connections go).</li>
 *   <li>{@link io.capybara.mig.MigrationMetrics}: step timings (HdrHistogram, JFR event
 *       {@code io.capybara.mig.Step}, off unless enabled) from an injected clock.</li>
 * </ul>
 *
 * <p>The protocol only: what assembles engines into racks and drives them (the simulated rack,
 * the benchmark, the test applications) is {@code io.capybara.rack}. Nothing here reads a clock.
 *
 * <h2>Decisions</h2>
 * <ul>
 *   <li><b>Load metric</b> (HEARTBEAT value, policy input): by default the bytes queued in the
 *       host's connections — unsent or unacknowledged send-buffer bytes plus received bytes the
 *       application has not read — i.e. work the server still owes. Replaceable with
 *       {@link io.capybara.mig.MigrationEngine#loadMetric} (e.g. HTTP requests queued + in service).</li>
 *   <li><b>Policy</b>: every {@code policyIntervalNanos}, above {@code highLoad} the server sheds
 *       one connection per interval until below {@code lowLoad} (hysteresis); it picks the eligible
 *       connection with the most bytes in+out since the previous look that is not cooling down
 *       ({@code cooldownNanos} after it last moved, on both origin and target).</li>
 *   <li><b>Eligible</b>: any synchronized state except TIME_WAIT (out-of-order data, a FIN sent or
 *       received are fine); handshakes are skipped.</li>
 *   <li><b>Quiesce</b>: the host's transmit path is synchronous (a frame is copied into the
 *       channel before transmit returns), so a connection never has a send in flight when the
 *       engine snapshots it; the step is timed all the same.</li>
 *   <li><b>Addresses</b>: a restored connection keeps its local address, the original server's,
 *       so the target sends with the address the client knows (the switch's source rewrite is then
 *       an identity on the IP, a fix of the MAC); the client's packets reach it with the target's
 *       address as destination, and the host's table key (remote address, remote port, local port)
 *       finds it.</li>
 *   <li><b>Buffers</b>: targets take a slot from a preallocated pool ({@code tempBufferSlots},
 *       each {@code tempBufferFrames} frames / {@code tempBufferBytes} bytes); beyond that,
 *       segments are dropped (the client retransmits) and a PREPARE_MIG with no free slot is
 *       answered REJECT(target busy). State larger than {@code maxStateBytes} is refused on both
 *       sides. Origins keep the serialized state in a per-slot buffer until CONN_STATE_ACK.</li>
 *   <li><b>Timeouts and retries, two generals, stale messages</b>: docs/TCPMIG.md.</li>
 * </ul>
 */
package io.capybara.mig;
