/**
 * What assembles hosts, migration engines and the switch into racks and drives them, above the
 * protocol in {@code io.capybara.mig}.
 *
 * <ul>
 *   <li>{@link io.capybara.rack.RackSimulation} / {@link io.capybara.rack.RackOptions} /
 *       {@link io.capybara.rack.RackResult}: the whole rack on the deterministic simulator, with
 *       the invariant checked after every event ({@code simulate --migrations}).</li>
 *   <li>{@link io.capybara.rack.MemoryRack}: two servers, a switch and a client on in-memory
 *       links, driven on one thread, and the loop that runs one migration to its end: the one
 *       driver of {@link io.capybara.rack.MigrationBenchmark} ({@code bench migration}) and the
 *       evaluation's overhead figures ({@code eval.CapybaraFleet}).
 *       {@link io.capybara.rack.JitWarmup} decides when warm-up is over.</li>
 *   <li>{@link io.capybara.rack.StreamServerApp}: seeded byte streams both ways, checked.</li>
 *   <li>{@link io.capybara.rack.MigratableHttpServer}: the HTTP server as a migratable application
 *       (the lab's rack and the simulated ones).</li>
 * </ul>
 *
 * <p>Racks here read clocks (the benchmark times steps with {@code System.nanoTime}); the protocol
 * below them only sees the injected step clock.
 */
package io.capybara.rack;
