/**
 * A deterministic rack in one thread. {@link io.capybara.sim.Simulator} owns a
 * {@link io.capybara.sim.VirtualClock}, {@link io.capybara.io.Node}s (hosts, the switch)
 * and {@link io.capybara.sim.SimLink}s with seeded faults per direction (bandwidth, delay, jitter,
 * loss, duplication, reordering, bit corruption, down intervals). A step settles everything due
 * now, then jumps to the earliest delivery or node deadline. {@link io.capybara.sim.TraceHash}
 * folds every delivered frame (link, direction, time, bytes) into {@code traceHash()}: equal
 * hashes, equal runs. Nothing here reads a wall clock.
 *
 * <p>{@code io.capybara.sim.scenario} holds runners built on the hosts (it depends on
 * {@code host}; the core here does not, so there is no package cycle).
 */
package io.capybara.sim;
