/**
 * The Linux kernel baseline for the evaluation: live migration of a kernel TCP connection
 * with TCP_REPAIR ({@link io.capybara.eval.linux.TcpRepairMigrator}), timed per step
 * ({@link io.capybara.eval.linux.RepairTimings}), with the flow blocked by nftables during the
 * hand-off ({@link io.capybara.eval.linux.FlowBlocker}).
 * {@link io.capybara.eval.linux.TcpRepairFleet} is what the evaluation measures: many distinct
 * loopback connections, migrated in batches back to back and each checked by content;
 * {@link io.capybara.eval.linux.TcpRepairBaseline} migrates one connection repeatedly with nft
 * calls around every hand-off (slower: cold caches after each process start).
 * {@link io.capybara.eval.linux.CReference} runs the same system calls from C in the same run.
 * Measurement code: it reads clocks, which protocol packages never do.
 */
package io.capybara.eval.linux;
