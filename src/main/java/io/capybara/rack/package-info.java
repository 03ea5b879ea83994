/**
 * What assembles hosts, migration engines and the switch into racks and drives them, above the
 * protocol in {@code io.capybara.mig}.
 *
 * <ul>
 *   <li>{@link io.capybara.rack.RackSimulation} / {@link io.capybara.rack.RackOptions} /
 *       {@link io.capybara.rack.RackResult}: the whole rack on the deterministic simulator, with
 *       the invariant checked after every event ({@code simulate --migrations}).</li>
 *   <li>{@link io.capybara.rack.MigrationBenchmark}: migration cost on one thread in memory
 *       ({@code bench migration}); {@link io.capybara.rack.JitWarmup} decides when warm-up is over.</li>
 *   <li>{@link io.capybara.rack.StreamServerApp} and {@link io.capybara.rack.HttpMigratableServer}:
 *       migratable test applications (seeded byte streams; HTTP).</li>
 * </ul>
 *
 * <p>Racks here read clocks (the benchmark times steps with {@code System.nanoTime}); the protocol
 * below them only sees the injected step clock.
 */
package io.capybara.rack;
