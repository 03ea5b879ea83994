package io.capybara.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capybara.tor.SwitchCounter;
import org.junit.jupiter.api.Test;

/** Each case of {@code bench switch} measures the path it names: no frame is dropped as malformed. */
class SwitchBenchTest {
    @Test
    void everyCaseTakesItsPath() {
        SwitchBench b = new SwitchBench();
        b.setUp();
        b.hitLevel1();
        b.hitLevel2();
        assertEquals(2, b.sw.counter(SwitchCounter.REWRITE_REQUEST));
        b.miss();
        assertEquals(3, b.sw.counter(SwitchCounter.FORWARDED));
        b.control();
        assertEquals(1, b.sw.counter(SwitchCounter.HEARTBEATS));
        assertEquals(0, b.sw.counter(SwitchCounter.DROP_MALFORMED));
        long requests = b.lb.counter(SwitchCounter.REWRITE_REQUEST);
        b.vipHit();
        assertEquals(requests + 1, b.lb.counter(SwitchCounter.REWRITE_REQUEST));
        b.vipResponse();
        b.vipResponseUntracked();
        assertEquals(2, b.lb.counter(SwitchCounter.REWRITE_RESPONSE));
        long placed = b.lb.counter(SwitchCounter.VIP_PLACED);
        b.vipSyn();
        b.vipSyn();
        assertEquals(placed + 2, b.lb.counter(SwitchCounter.VIP_PLACED), "each SYN a new placement");
        assertEquals(1, b.lb.directory().size());
        assertEquals(0, b.lb.counter(SwitchCounter.DROP_MALFORMED));
        b.placementRebuild();
        assertEquals(2, b.lb.placement().table().members());
        b.placementRebuild();
        assertEquals(3, b.lb.placement().table().members());
    }
}
