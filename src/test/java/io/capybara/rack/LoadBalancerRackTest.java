package io.capybara.rack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The whole rack in load-balancer mode: clients connect to the VIP, the switch places each SYN,
 * one server joins late, leaves the placement (heartbeats held back, connections kept) and
 * rejoins, another drains (all its connections migrated away, none placed or steered there) and
 * undrains, while migrations run. Every byte is checked both ways and after every event the
 * invariant holds (each connection whole on one server, the switch sending it there).
 */
class LoadBalancerRackTest {
    static long seed(long dflt) {
        return Long.getLong("capybara.seed", dflt);
    }

    static long cause(RackResult r, String key) {
        return r.causes().getOrDefault(key, 0L);
    }

    @Test
    void joinsAndLeavesNeverMoveOrBreakAConnection() {
        long seed = seed(5);
        RackResult r = RackSimulation.run(RackOptions.defaults().withVip(true).withSeed(seed).withMigrations(4000)
                .withConnections(24, 32 * 1024));
        System.out.println(r);
        System.out.println(r.causes());
        String replay = " replay: ./capybara test -Dtest=LoadBalancerRackTest -Dcapybara.seed=" + seed;
        assertTrue(r.ok(), r + " " + r.failures() + replay);
        assertEquals(0, r.invariantViolations(), replay);
        assertEquals(0, r.unexpectedResets(), replay);
        assertTrue(cause(r, "switch_vip_placed") >= r.connections() - cause(r, "switch_vip_placed_untracked"),
                "every connection was placed through the VIP: " + r.causes());
        assertTrue(cause(r, "switch_membership_changes") >= 4, "start, late join, leave, rejoin: " + r.causes());
        assertEquals(0, cause(r, "switch_vip_default_routed"), "every segment found its connection's entry");
        assertTrue(r.migrationsCompleted() > 2000, r.toString());
        // server 0 drained while byte-checked streams ran both ways: none reset, every byte right
        assertEquals(1, cause(r, "drain_completed"), r.causes().toString());
        assertTrue(cause(r, "drain_migrations_started") > 0, r.causes().toString());
        assertEquals(0, r.contentMismatches());
    }

    /**
     * A crowded one-level directory: most connections get no entry at their SYN and are pinned by
     * their Maglev bucket instead, so the late join, the leave and the rejoin still move none of
     * them (the invariant checks each one against its bucket's server); their migrations are
     * refused, counted, and they stay whole where they are.
     */
    @Test
    void untrackedConnectionsSurviveMembershipChanges() {
        long seed = seed(7);
        RackResult r = RackSimulation.run(RackOptions.defaults().withDirectory(1, 0.97).withVip(true).withSeed(seed)
                .withMigrations(400).withConnections(24, 16 * 1024));
        System.out.println(r);
        System.out.println(r.causes());
        String replay = " replay: ./capybara test -Dtest=LoadBalancerRackTest -Dcapybara.seed=" + seed;
        assertEquals(0, r.invariantViolations(), r.failures() + replay);
        assertEquals(0, r.unexpectedResets(), replay);
        assertEquals(0, r.contentMismatches(), replay);
        assertTrue(cause(r, "switch_vip_placed_untracked") >= 12, "most placed untracked: " + r.causes());
        assertTrue(cause(r, "switch_membership_changes") >= 4, r.causes().toString());
        assertTrue(cause(r, "switch_directory_refused_full") > 0, r.causes().toString());
    }

    /**
     * Loss, duplication, reordering, bit flips, client aborts and target deaths, with a directory
     * that has room (the crowded case is {@link #untrackedConnectionsSurviveMembershipChanges}).
     */
    @Test
    void loadBalancerModeUnderFaults() {
        long seed = seed(6);
        RackResult r = RackSimulation.run(RackOptions.defaults().withFaults().withDirectory(2, 0).withVip(true)
                .withSeed(seed).withMigrations(1000));
        System.out.println(r);
        System.out.println(r.causes());
        assertTrue(r.ok(), r + " " + r.failures() + " replay: ./capybara test -Dtest=LoadBalancerRackTest -Dcapybara.seed=" + seed);
        assertEquals(0, r.invariantViolations());
        assertEquals(0, cause(r, "switch_vip_placed_untracked"));
        assertTrue(cause(r, "switch_membership_changes") >= 4, r.causes().toString());
        assertEquals(1, cause(r, "drain_completed"), r.causes().toString());
    }
}
