package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Placement membership over time: joining after join-after, leaving when stale, and when to look again. */
class PlacementTest {
    static final long STALE = 1_000_000;
    static final long JOIN = 300_000;

    @Test
    void aServerJoinsExactlyJoinAfterItsFirstHeartbeatAndTheCheckIsDueThen() {
        MinLoadRegister loads = new MinLoadRegister(2, STALE);
        Placement p = new Placement(13, MaglevTableTest.ips(2), loads, JOIN);
        assertEquals(Long.MAX_VALUE, p.nextCheck(), "nothing live: nothing to wait for");
        loads.heartbeat(1, 5, 5_000_000);
        assertFalse(p.refresh(5_000_000));
        assertFalse(p.isMember(1));
        assertEquals(5_000_000 + JOIN, p.nextCheck(), "due when the join completes");
        assertFalse(p.refresh(5_000_000 + JOIN - 1));
        assertEquals(MaglevTable.NONE, p.place(42));
        assertTrue(p.refresh(5_000_000 + JOIN));
        assertTrue(p.isMember(1));
        assertEquals(1, p.place(42));
        assertEquals(1, p.changes());
        assertEquals(5_000_000 + STALE, p.nextCheck(), "joined: due when it would go stale");
        assertFalse(p.refresh(5_000_000 + STALE - 1), "no change, no rebuild");
        assertEquals(1, p.changes());
        assertTrue(p.refresh(5_000_000 + STALE), "stale: leaves");
        assertEquals(2, p.changes());
        assertEquals(MaglevTable.NONE, p.place(42));
        assertEquals(13, p.table().size());
    }
}
