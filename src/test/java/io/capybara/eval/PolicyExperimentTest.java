package io.capybara.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.policy.PolicyKind;
import io.capybara.policy.ProactiveConfig;
import org.junit.jupiter.api.Test;

/** The load step on the simulated rack: what each policy does with it (virtual time, so exact). */
class PolicyExperimentTest {
    static final PolicyExperiment.Settings SHORT = new PolicyExperiment.Settings(100, 1.2, 1.0 / 7, 10, 50_000_000L,
            250_000_000L, 42, ProactiveConfig.defaults());

    @Test
    void proactiveRebalancesWithFewMigrationsWhereStaticOverloads() {
        PolicyExperiment.Run stat = PolicyExperiment.run(SHORT, PolicyKind.STATIC);
        PolicyExperiment.Run reactive = PolicyExperiment.run(SHORT, PolicyKind.REACTIVE);
        PolicyExperiment.Run proactive = PolicyExperiment.run(SHORT, PolicyKind.PROACTIVE);
        for (PolicyExperiment.Run r : new PolicyExperiment.Run[] {stat, reactive, proactive}) {
            assertEquals(0, r.result().errors(), r.policy().label());
            assertEquals(0, r.result().clientResets(), r.policy().label());
        }
        assertEquals(0, stat.migrations());
        assertTrue(stat.maxWindowP99Micros() > 10_000, "static: server 0 at 116% must queue up: " + stat.maxWindowP99Micros());
        assertTrue(reactive.migrations() >= 1);
        assertTrue(proactive.migrations() >= 1 && proactive.migrations() <= 5, "few migrations: " + proactive.migrations());
        // from 20 ms after the step on, proactive keeps every 10 ms window's p99 under 200 us
        double late = proactive.windows().stream().filter(w -> w.timeMs() > 70).mapToDouble(PolicyExperiment.Window::p99Micros)
                .max().orElseThrow();
        assertTrue(late < 200, "proactive p99 after the step settles: " + late);
        // and the two servers end up within 20% of each other
        PolicyExperiment.Window last = proactive.windows().stream().filter(w -> w.timeMs() <= 250).reduce((a, b) -> b)
                .orElseThrow();
        double a = last.servedRps()[0];
        double b = last.servedRps()[1];
        assertTrue(Math.abs(a - b) < 0.2 * Math.max(a, b), "balanced: " + a + " vs " + b);
        // before the step nothing moves
        assertTrue(proactive.windows().stream().filter(w -> w.timeMs() < 45).allMatch(w -> w.migrations() == 0));
    }
}
