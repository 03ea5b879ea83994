package io.capybara.rack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.host.ConnectionHandler;
import io.capybara.mig.MigCounter;
import io.capybara.mig.MigratableApp;
import io.capybara.mig.MigrationMetrics;
import org.junit.jupiter.api.Test;

/**
 * The switch feeds the rack's loads back to a server that asks (a heartbeat flag): how a policy
 * in its own process sees the other servers. Deterministic: protocol time only.
 */
class RackLoadFeedTest {
    /** Servers that serve nothing: only the engines' heartbeats and the switch's answers matter here. */
    private static MigratableApp noApp() {
        return MigratableApp.stateless(new ConnectionHandler() { });
    }

    @Test
    void aServerThatAsksLearnsTheLeastLoadOfTheOthers() {
        MemoryRack rack = new MemoryRack("feed", 64, 64, 1500, 16, new MigrationMetrics(() -> 0L), i -> noApp());
        long[] load1 = {4242};
        rack.engine(0).wantRackLoads(true);
        rack.engine(0).loadMetric(() -> 17);
        rack.engine(1).loadMetric(() -> load1[0]);
        assertEquals(Long.MAX_VALUE, rack.engine(0).leastOtherLoad(rack.now()), "no report yet");
        for (int i = 0; i < 3_000; i++) { // 3 ms: heartbeats every 1 ms
            rack.pollAll();
        }
        assertEquals(4242, rack.engine(0).leastOtherLoad(rack.now()));
        assertEquals(RackSimulation.ip(1), rack.engine(0).leastOtherServer());
        assertTrue(rack.engine(0).counter(MigCounter.LOADS_RECEIVED) >= 2);
        assertEquals(0, rack.engine(0).counter(MigCounter.CONTROL_UNEXPECTED));
        // server 1 did not ask: it gets no report, and the switch answered only server 0
        assertEquals(Long.MAX_VALUE, rack.engine(1).leastOtherLoad(rack.now()));
        assertEquals(0, rack.engine(1).counter(MigCounter.LOADS_RECEIVED));
        assertEquals(rack.engine(0).counter(MigCounter.LOADS_RECEIVED), rack.engine(0).counter(MigCounter.HEARTBEATS_SENT),
                "one answer per heartbeat");

        load1[0] = 99; // the other's load changes: the next heartbeats carry it around
        for (int i = 0; i < 3_000; i++) {
            rack.pollAll();
        }
        assertEquals(99, rack.engine(0).leastOtherLoad(rack.now()));

        // a stale view is no view: three heartbeat intervals without a report
        long later = rack.now() + 3_000_001;
        assertEquals(Long.MAX_VALUE, rack.engine(0).leastOtherLoad(later));
    }

    @Test
    void aDrainingPeerIsNotOfferedAsTheLeastLoaded() {
        MemoryRack rack = new MemoryRack("feed2", 64, 64, 1500, 16, new MigrationMetrics(() -> 0L), i -> noApp());
        rack.engine(0).wantRackLoads(true);
        rack.engine(1).draining(true);
        for (int i = 0; i < 3_000; i++) {
            rack.pollAll();
        }
        assertTrue(rack.engine(0).counter(MigCounter.LOADS_RECEIVED) >= 2);
        assertEquals(Long.MAX_VALUE, rack.engine(0).leastOtherLoad(rack.now()), "no other server to move to");
        assertEquals(0, rack.engine(0).leastOtherServer());
    }
}
