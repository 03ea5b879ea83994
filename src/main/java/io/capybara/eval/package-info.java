/**
 * The evaluation harness behind {@code ./capybara eval}: the paper's Figures 4 and 5
 * ({@link io.capybara.eval.OverheadExperiment} over {@link io.capybara.eval.MigrationSystem}s:
 * {@link io.capybara.eval.CapybaraSystem} and {@link io.capybara.eval.LinuxRepairSystem}, both
 * migrating distinct connections with data checked after each migration), Figure 1 and a skew
 * sweep ({@link io.capybara.eval.RackExperiments} over a {@link io.capybara.eval.RackWorkload},
 * normally the simulated rack), written as CSV, PNG ({@link io.capybara.eval.Charts}) and one
 * Markdown report ({@link io.capybara.eval.Report}) that states the machine it ran on.
 * Measurement code: it reads clocks, which protocol packages never do.
 */
package io.capybara.eval;
