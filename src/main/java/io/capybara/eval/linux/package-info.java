/**
 * The Linux kernel baseline for the evaluation: live migration of a kernel TCP connection
 * with TCP_REPAIR ({@link io.capybara.eval.linux.TcpRepairMigrator}), timed per step
 * ({@link io.capybara.eval.linux.RepairTimings}), with the flow blocked by nftables during the
 * hand-off ({@link io.capybara.eval.linux.FlowBlocker}); {@link io.capybara.eval.linux.TcpRepairBaseline}
 * runs it repeatedly over loopback and checks the stream by content. Measurement code: it reads
 * clocks, which protocol packages never do.
 */
package io.capybara.eval.linux;
