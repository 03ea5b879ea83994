package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A target's memory of finished migrations: oldest forgotten first, updates in place. */
class OutcomeMemoryTest {
    private static final int ORIGIN = 0x0A000001;

    private static long key(int origin, int id) {
        return MigrationMetrics.key(origin, id);
    }

    @Test
    void oneOriginsLastCapacityMigrationsAreAllRemembered() {
        OutcomeMemory m = new OutcomeMemory(64);
        for (int id = 1; id <= 64; id++) {
            m.remember(key(ORIGIN, id), id % 3 == 0 ? OutcomeMemory.ABORTED : OutcomeMemory.RESTORED, 1000 + id);
        }
        for (int id = 1; id <= 64; id++) {
            assertEquals(id % 3 == 0 ? OutcomeMemory.ABORTED : OutcomeMemory.RESTORED, m.result(key(ORIGIN, id)));
            assertEquals(id % 3 == 0 ? 0 : 1000 + id, m.connection(key(ORIGIN, id)));
        }
        m.remember(key(ORIGIN, 65), OutcomeMemory.RESTORED, 1065);
        int forgotten = 0;
        for (int id = 1; id <= 65; id++) {
            forgotten += m.knows(key(ORIGIN, id)) ? 0 : 1;
        }
        assertEquals(1, forgotten, "one new outcome pushes out exactly one old one");
        assertFalse(m.knows(key(ORIGIN, 1)), "the oldest goes first");
        assertEquals(OutcomeMemory.UNKNOWN, m.result(key(ORIGIN, 1)));
    }

    @Test
    void severalOriginsShareTheMemoryWithoutLosingRecentOutcomes() {
        OutcomeMemory m = new OutcomeMemory(4096);
        int[] origins = {0x0A000001, 0x0A000002, 0x0A000003, 0x0A000004};
        for (int id = 1; id <= 1000; id++) {
            for (int o : origins) {
                m.remember(key(o, id), OutcomeMemory.RESTORED, id);
            }
        }
        for (int id = 1000 - 200; id <= 1000; id++) { // the most recent 200 of each origin
            for (int o : origins) {
                assertTrue(m.knows(key(o, id)), "origin " + o + " id " + id);
            }
        }
        assertFalse(m.knows(key(0x0A000009, 5)));
    }

    @Test
    void rememberingAgainUpdatesInPlace() {
        OutcomeMemory m = new OutcomeMemory(8);
        m.remember(key(ORIGIN, 1), OutcomeMemory.RESTORED, 100);
        m.remember(key(ORIGIN, 1), OutcomeMemory.ABORTED, 999);
        assertEquals(OutcomeMemory.ABORTED, m.result(key(ORIGIN, 1)));
        assertEquals(0, m.connection(key(ORIGIN, 1)), "only a restored outcome keeps its connection");
        assertFalse(m.knows(0));
    }

    /** Every way of every set gives back what it holds (origin 0: migration ids fill the sets in order). */
    @Test
    void everyWayOfEverySetAnswers() {
        OutcomeMemory m = new OutcomeMemory(16);
        for (int id = 1; id <= 16; id++) {
            m.remember(key(0, id), OutcomeMemory.RESTORED, 1000 + id);
        }
        for (int id = 1; id <= 16; id++) {
            assertEquals(OutcomeMemory.RESTORED, m.result(key(0, id)), "id " + id);
            assertEquals(1000 + id, m.connection(key(0, id)), "id " + id);
        }
    }

    /**
     * The same migration ids from eight servers land in different sets: the origin is part of
     * the hash, so a rack's origins do not crowd each other's outcomes out.
     */
    @Test
    void theSameIdsFromManyOriginsAreAllKept() {
        OutcomeMemory m = new OutcomeMemory(4096);
        for (int o = 1; o <= 8; o++) {
            for (int id = 1; id <= 100; id++) {
                m.remember(key(0x0A000000 + o, id), OutcomeMemory.ABORTED, 0);
            }
        }
        for (int o = 1; o <= 8; o++) {
            for (int id = 1; id <= 100; id++) {
                assertTrue(m.knows(key(0x0A000000 + o, id)), "origin " + o + " id " + id);
            }
        }
    }
}
