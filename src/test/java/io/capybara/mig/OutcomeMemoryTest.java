package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A target's memory of finished migrations: FIFO of a fixed size, updates in place. */
class OutcomeMemoryTest {

    @Test
    void remembersTheLastNAndForgetsTheOldestFirst() {
        OutcomeMemory m = new OutcomeMemory(3);
        m.remember(11, OutcomeMemory.RESTORED, 111);
        m.remember(12, OutcomeMemory.ABORTED, 0);
        m.remember(13, OutcomeMemory.RESTORED, 113);
        assertEquals(OutcomeMemory.RESTORED, m.result(11));
        assertEquals(111, m.connection(11));
        m.remember(14, OutcomeMemory.RESTORED, 114);
        assertFalse(m.knows(11));
        assertEquals(OutcomeMemory.UNKNOWN, m.result(11));
        assertEquals(0, m.connection(11));
        assertEquals(OutcomeMemory.ABORTED, m.result(12));
        assertEquals(114, m.connection(14));
    }

    @Test
    void rememberingAgainUpdatesInPlaceWithoutEvicting() {
        OutcomeMemory m = new OutcomeMemory(2);
        m.remember(1, OutcomeMemory.RESTORED, 100);
        m.remember(2, OutcomeMemory.RESTORED, 200);
        m.remember(1, OutcomeMemory.ABORTED, 999);
        assertTrue(m.knows(2));
        assertEquals(OutcomeMemory.ABORTED, m.result(1));
        assertEquals(0, m.connection(1), "only a restored outcome keeps its connection");
        m.remember(3, OutcomeMemory.ABORTED, 0); // evicts 1, the oldest slot
        assertFalse(m.knows(1));
        assertTrue(m.knows(2));
        assertTrue(m.knows(3));
    }
}
