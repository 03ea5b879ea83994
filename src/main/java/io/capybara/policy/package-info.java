/**
 * Migration policies: when a server gives a connection away. Three, selectable per run:
 * <ul>
 *   <li>{@link io.capybara.policy.PolicyKind#STATIC}: never (placement only);</li>
 *   <li>{@link io.capybara.policy.PolicyKind#REACTIVE}: the engine's own policy, which sheds its
 *       busiest connection while its queue is above a high mark, until it is below a low mark;</li>
 *   <li>{@link io.capybara.policy.PolicyKind#PROACTIVE}: {@link io.capybara.policy.ProactivePolicy},
 *       continuous rebalancing towards equal offered load, from connection rates rather than
 *       queues, with few migrations (imbalance threshold, best-fit choice, per-connection rate
 *       cap, cool-down, budget).</li>
 * </ul>
 * Sans-IO like the engine: time comes in through {@code poll(nowNanos)}.
 */
package io.capybara.policy;
