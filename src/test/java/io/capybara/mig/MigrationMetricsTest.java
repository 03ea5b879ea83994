package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * Step timing with a clock the test sets: what each call records, where (which histogram), when
 * deferred samples are folded in, and what the observer is told.
 */
class MigrationMetricsTest {
    private static final int ORIGIN = 0x0A000001;

    private long clock;
    private final MigrationMetrics m = new MigrationMetrics(() -> clock);
    private final List<String> seen = new ArrayList<>();

    /** An observer that writes each call as one line, prefixed by {@code name}. */
    private MigrationMetrics.Observer recorder(String name) {
        return new MigrationMetrics.Observer() {
            @Override
            public void step(MigrationStep step, long nanos) {
                seen.add(name + " step " + step + " " + nanos);
            }

            @Override
            public void overhead(long nanos) {
                seen.add(name + " overhead " + nanos);
            }

            @Override
            public void half(int originIp, int id, boolean origin, long atNanos, long cpuNanos) {
                seen.add(name + " half " + originIp + " " + id + " " + origin + " " + atNanos + " " + cpuNanos);
            }

            @Override
            public void outcome(int clientIp, int clientPort, int targetIp, MigCounter outcome, long nanos) {
                seen.add(name + " outcome " + clientIp + ":" + clientPort + " " + targetIp + " " + outcome + " " + nanos);
            }
        };
    }

    @Test
    void aMigrationKeyIsTheOriginAboveTheIdTakenUnsigned() {
        assertEquals(0x0A000001_00000005L, MigrationMetrics.key(ORIGIN, 5));
        assertEquals(0x0A000001_FFFFFFFFL, MigrationMetrics.key(ORIGIN, -1), "a negative id does not spill into the origin");
        assertEquals(0L, MigrationMetrics.constant().now(), "the constant clock reads 0");
    }

    @Test
    void lapRecordsTheTimeSinceTheStartAndReturnsTheEnd() {
        clock = 1_000;
        assertEquals(1_000, m.now());
        clock = 1_750;
        assertEquals(1_750, m.lap(MigrationStep.ORIGIN_SERIALIZE, ORIGIN, 1, 1_000));
        Histogram h = m.step(MigrationStep.ORIGIN_SERIALIZE);
        assertEquals(1, h.getTotalCount());
        assertEquals(750, h.getMaxValue());
        assertEquals(0, m.step(MigrationStep.ORIGIN_DECIDE).getTotalCount(), "only the named step");
    }

    @Test
    void stepReturnsItsDurationAndAClockThatWentBackCountsAsZero() {
        clock = 5_000;
        assertEquals(1_500, m.step(MigrationStep.TARGET_REPLAY, ORIGIN, 1, 3_500)); // (exact below 2,048 at 3 digits)
        assertEquals(0, m.step(MigrationStep.TARGET_REPLAY, ORIGIN, 2, 9_000), "end before start");
        m.record(MigrationStep.TARGET_REPLAY, ORIGIN, 3, -40);
        Histogram h = m.step(MigrationStep.TARGET_REPLAY);
        assertEquals(3, h.getTotalCount());
        assertEquals(0, h.getMinValue(), "negative durations are recorded as 0");
        assertEquals(1_500, h.getMaxValue());
    }

    @Test
    void aStepLongerThanTheHistogramsRangeIsRecordedAtItsTop() {
        m.record(MigrationStep.ORIGIN_DECIDE, ORIGIN, 1, 100_000_000_000L); // 100 s, beyond the 60 s range
        Histogram h = m.step(MigrationStep.ORIGIN_DECIDE);
        assertEquals(1, h.getTotalCount());
        assertEquals(true, h.valuesAreEquivalent(60_000_000_000L, h.getMaxValue()), "" + h.getMaxValue());
    }

    @Test
    void theTwoHalvesOfAMigrationsOverheadAreAddedOnceBothReported() {
        m.observer(recorder("o"));
        Histogram overhead = m.overhead();
        long k = MigrationMetrics.key(ORIGIN, 7);
        m.overheadPart(k, 300);
        assertEquals(0, m.overhead().getTotalCount(), "one half is not an overhead yet");
        m.overheadPart(MigrationMetrics.key(ORIGIN, 8), 1); // another migration's half does not pair with it
        m.overheadPart(k, 200);
        assertSame(overhead, m.overhead());
        assertEquals(1, overhead.getTotalCount());
        assertEquals(500, overhead.getMaxValue());
        assertEquals(List.of("o overhead 500"), seen);
        m.overheadPart(k, 50); // a third report starts a new pair: nothing recorded
        assertEquals(1, m.overhead().getTotalCount());
    }

    /** One migration's two overhead halves (the second 40 ns) and its blackout (30 ns), forgotten in between if asked. */
    private void halvesAndBlackout(long k, long firstHalf, long blackoutStart, boolean forgetBetween) {
        m.overheadPart(k, firstHalf);
        m.blackoutStarts(k, blackoutStart);
        if (forgetBetween) {
            m.forget(k);
        }
        m.overheadPart(k, 40);
        m.blackoutEnds(k, blackoutStart + 30);
    }

    /** The constant clock of the simulations reads 0: a half of 0 ns and a blackout that starts at 0 count. */
    @Test
    void zeroIsATimeLikeAnyOther() {
        halvesAndBlackout(MigrationMetrics.key(ORIGIN, 1), 0, 0, false);
        assertEquals(40, m.overhead().getMaxValue());
        assertEquals(30, m.blackout().getMaxValue());
    }

    @Test
    void aForgottenMigrationPairsWithNothing() {
        halvesAndBlackout(MigrationMetrics.key(ORIGIN, 9), 300, 100, true);
        assertEquals(0, m.overhead().getTotalCount());
        assertEquals(0, m.blackout().getTotalCount());
    }

    @Test
    void theBlackoutRunsFromTheRedirectToServingAgain() {
        long k = MigrationMetrics.key(ORIGIN, 3);
        m.blackoutEnds(k, 500); // no start known: nothing
        assertEquals(0, m.blackout().getTotalCount());
        m.blackoutStarts(k, 1_000);
        m.blackoutEnds(k, 2_500);
        m.blackoutEnds(k, 9_000); // ends once
        Histogram b = m.blackout();
        assertEquals(1, b.getTotalCount());
        assertEquals(1_500, b.getMaxValue());
        m.blackoutStarts(k, 10_000);
        m.blackoutEnds(k, 9_000); // a clock that went back: 0, not negative
        assertEquals(2, m.blackout().getTotalCount());
        assertEquals(0, m.blackout().getMinValue());
        assertEquals(0, m.step(MigrationStep.TARGET_RESUME).getTotalCount() + m.overhead().getTotalCount(),
                "blackouts go to their own histogram");
    }

    /** Migration {@code id}'s first overhead half and the start of its blackout. */
    private void start(int id) {
        m.overheadPart(MigrationMetrics.key(ORIGIN, id), 1);
        m.blackoutStarts(MigrationMetrics.key(ORIGIN, id), 1);
    }

    /** Migration {@code id}'s second half and the end of its blackout: recorded if {@link #start} is remembered. */
    private void finish(int id) {
        m.overheadPart(MigrationMetrics.key(ORIGIN, id), 10);
        m.blackoutEnds(MigrationMetrics.key(ORIGIN, id), 11);
    }

    /** Halves that never pair (aborted migrations) are bounded: past 65,536 pending, the map starts over. */
    @Test
    void unpairedHalvesAndBlackoutsAreBounded() {
        for (int id = 1; id <= 65_536; id++) {
            start(id);
        }
        finish(1); // still pending: pairs
        assertEquals(1, m.overhead().getTotalCount());
        assertEquals(1, m.blackout().getTotalCount());
        start(70_000); // 65,535 pending: fits
        start(70_001); // 65,536 pending: cleared first
        finish(2);
        finish(70_001);
        assertEquals(2, m.overhead().getTotalCount(), "id 2 was forgotten, 70,001 kept");
        assertEquals(2, m.blackout().getTotalCount(), "id 2 was forgotten, 70,001 kept");
    }

    /** Samples wait in an array; an idle poll folds them only once 1,024 have gathered, a full array always. */
    @Test
    void samplesAreFoldedInBatches() {
        Histogram h = m.step(MigrationStep.ORIGIN_QUIESCE); // read once: later reads would fold
        for (int i = 0; i < 1_023; i++) {
            m.record(MigrationStep.ORIGIN_QUIESCE, ORIGIN, i, 10);
        }
        m.flushWhenIdle();
        assertEquals(0, h.getTotalCount(), "1,023 samples: not worth a fold");
        m.record(MigrationStep.ORIGIN_QUIESCE, ORIGIN, 0, 10);
        m.flushWhenIdle();
        assertEquals(1_024, h.getTotalCount());
        for (int i = 0; i < 16_384; i++) {
            m.record(MigrationStep.ORIGIN_QUIESCE, ORIGIN, i, 10);
        }
        assertEquals(1_024, h.getTotalCount(), "the array holds 16,384");
        m.record(MigrationStep.ORIGIN_QUIESCE, ORIGIN, 0, 10);
        assertEquals(1_024 + 16_384, h.getTotalCount(), "a full array is folded before the next sample");
        m.flush();
        assertEquals(1_024 + 16_385, h.getTotalCount());
    }

    @Test
    void resetEmptiesHistogramsPendingSamplesAndHalves() {
        m.record(MigrationStep.TARGET_SEND_ACK, ORIGIN, 1, 10);
        Histogram h = m.step(MigrationStep.TARGET_SEND_ACK);
        start(4);
        start(5);
        finish(5);
        assertEquals(1, m.overhead().getTotalCount(), "folded in");
        assertEquals(1, m.blackout().getTotalCount(), "folded in");
        m.record(MigrationStep.TARGET_SEND_ACK, ORIGIN, 1, 10); // pending
        m.reset();
        assertEquals(0, h.getTotalCount());
        assertEquals(0, m.step(MigrationStep.TARGET_SEND_ACK).getTotalCount(), "the pending sample is gone too");
        assertEquals(0, m.overhead().getTotalCount());
        assertEquals(0, m.blackout().getTotalCount());
        finish(4);
        assertEquals(0, m.overhead().getTotalCount(), "the pending half is gone");
        assertEquals(0, m.blackout().getTotalCount(), "the pending blackout start is gone");
    }

    @Test
    void theObserverSeesStepsHalvesAndOutcomesAsRecorded() {
        assertNull(m.observer());
        MigrationMetrics.Observer o = recorder("o");
        m.observer(o);
        assertSame(o, m.observer());
        clock = 900;
        m.lap(MigrationStep.TARGET_DESERIALIZE, ORIGIN, 1, 400);
        m.record(MigrationStep.ORIGIN_QUIESCE, ORIGIN, 1, -5);
        m.half(ORIGIN, 1, true, 123, 45);
        m.outcome(0x0A000110, 40000, 0x0A000002, MigCounter.COMPLETED, 600);
        assertEquals(List.of("o step TARGET_DESERIALIZE 500", "o step ORIGIN_QUIESCE 0",
                "o half " + ORIGIN + " 1 true 123 45", "o outcome " + 0x0A000110 + ":40000 " + 0x0A000002
                        + " COMPLETED 300"), seen);
        m.observer(null);
        m.record(MigrationStep.ORIGIN_QUIESCE, ORIGIN, 1, 5);
        m.half(ORIGIN, 1, true, 123, 45);
        m.outcome(1, 2, 3, MigCounter.COMPLETED, 0);
        m.overheadPart(1, 1);
        m.overheadPart(1, 1);
        assertEquals(4, seen.size(), "no observer: nothing is told, nothing throws");
    }

    @Test
    void bothTellsTheFirstObserverThenTheSecond() {
        MigrationMetrics.Observer both = MigrationMetrics.Observer.both(recorder("a"), recorder("b"));
        both.step(MigrationStep.ORIGIN_DECIDE, 1);
        both.overhead(2);
        both.half(3, 4, false, 5, 6);
        both.outcome(7, 8, 9, MigCounter.REJECTED_NO_TARGET, 10);
        assertEquals(List.of("a step ORIGIN_DECIDE 1", "b step ORIGIN_DECIDE 1", "a overhead 2", "b overhead 2",
                "a half 3 4 false 5 6", "b half 3 4 false 5 6", "a outcome 7:8 9 REJECTED_NO_TARGET 10",
                "b outcome 7:8 9 REJECTED_NO_TARGET 10"), seen);
    }

    @Test
    void stepNamesInJsonAreLowerCase() {
        assertEquals("origin_receive_state_ack", MigrationStep.ORIGIN_RECEIVE_STATE_ACK.jsonName());
        assertEquals(MigrationStep.values().length, MigrationStep.ALL.length);
    }
}
