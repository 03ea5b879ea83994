/**
 * The README demo and the rack the evaluation reuses: the paper's experiment (two servers,
 * 150 open-loop HTTP client connections, a ToR switch) in one process, in virtual time.
 *
 * <p>Entry points: {@link io.capybara.demo.DemoRack#run(DemoOptions, boolean)} runs one phase
 * (static placement, or with TCPMig engines on) and returns a {@link io.capybara.demo.PhaseResult};
 * {@link io.capybara.demo.DemoExperiment#run} runs both at the same load for
 * {@code ./capybara demo}. {@link io.capybara.demo.DemoOptions} holds every knob, among them
 * the Zipf skew, the manual migration rate and the extra delay injected into each migration.
 *
 * <p>Design decisions:
 * <ul>
 * <li><b>Virtual time.</b> The machine running this has 2 cores shared with other work; a rack
 * with a thread per server would measure the OS scheduler. Everything runs on the
 * deterministic {@link io.capybara.sim.Simulator}: same options, same numbers, bit for bit
 * (checked by the frame trace hash).</li>
 * <li><b>A server is one run-to-completion core</b> ({@link io.capybara.demo.ServerNode},
 * {@link io.capybara.demo.VirtualCpu}): when free it polls its NIC (zero virtual cost), then
 * takes the oldest parsed request across its connections and is busy for the request's service
 * demand ({@code HttpServerSession.serveNext()}); the response leaves when that time is over.
 * While busy it does not poll: frames wait in its link, timers are late. Queueing latency is
 * therefore exact for the model, not an artefact of this machine.</li>
 * <li><b>Migration cost</b> is charged to the same cores: a modelled origin cost (serialize,
 * send; default 2 us) plus the injected delay on the origin when it serializes the connection
 * (CONN_STATE leaves only after it, {@link io.capybara.demo.CpuGatedChannel}), and a modelled
 * target cost (default 1.7 us) when it restores; together the paper's 3.7 us. The engine's
 * own step timings are measured with {@code System.nanoTime} on this JVM and reported as
 * overhead, but not charged (they would make runs irreproducible). The blackout is measured in
 * virtual time as the engine defines it: from the target's PREPARE_MIG_ACK leaving its NIC
 * until the target serves the restored connection.</li>
 * <li><b>Skew and placement.</b> One Poisson schedule spreads requests over the connections by
 * Zipf rank; connections are placed statically in rank blocks (the hottest half on server 0),
 * so at the default 130 k requests/s (65 % of the rack) server 0 is offered 110 % of its
 * capacity and its queue grows without bound, while migration can spread the load.</li>
 * <li><b>Policy.</b> Each server's engine reports its backlog (microseconds of queued work) in
 * HEARTBEATs and sheds its busiest connection every policy interval while the backlog is above
 * the high mark, until it falls below the low mark; moved connections cool down.</li>
 * <li><b>Latency</b> is from each request's intended send time (no coordinated omission). Every
 * request is answered or counted as an error; the client never drops one (its per-connection
 * outstanding limit covers its whole share of the schedule).</li>
 * </ul>
 */
package io.capybara.demo;
