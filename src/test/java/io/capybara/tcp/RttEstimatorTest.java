package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** RFC 6298 by the numbers: SRTT, RTTVAR and RTO after each sample, the clamps, the backoff, the snapshot. */
class RttEstimatorTest {
    static final long MS = 1_000_000L;

    @Test
    void theFirstSampleSetsSrttAndHalfOfItAsVariance() {
        RttEstimator r = new RttEstimator(1_000 * MS, MS, 60_000 * MS);
        assertEquals(1_000 * MS, r.current(), "the initial RTO until a sample");
        r.sample(100 * MS);
        assertEquals(100 * MS, r.srtt());
        assertEquals(300 * MS, r.current(), "SRTT + 4 RTTVAR = 100 + 4 * 50 ms");
    }

    @Test
    void laterSamplesAreSmoothedWithAnEighthAndAQuarter() {
        RttEstimator r = new RttEstimator(1_000 * MS, MS, 60_000 * MS);
        r.sample(100 * MS);
        r.sample(200 * MS);
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
        assertEquals(112_500_000L, r.srtt());
        assertEquals(112_500_000L + 250 * MS, r.current());
        r.sample(50 * MS);
        // RTTVAR = (3 * 62.5 + |112.5 - 50|) / 4 = 62.5; SRTT = (7 * 112.5 + 50) / 8 = 104.6875
        assertEquals(104_687_500L, r.srtt());
        assertEquals(104_687_500L + 250 * MS, r.current());
    }

    @Test
    void theVarianceTermIsAtLeastTheClockGranularity() {
        RttEstimator r = new RttEstimator(1_000 * MS, 1, 60_000 * MS);
        r.sample(100); // RTTVAR 50 ns: 4 * 50 < G = 1 us
        assertEquals(100 + RttEstimator.GRANULARITY_NANOS, r.current());
    }

    @Test
    void theRtoStaysWithinItsBounds() {
        RttEstimator low = new RttEstimator(1_000 * MS, 200 * MS, 1_000 * MS);
        low.sample(10 * MS);
        assertEquals(200 * MS, low.current(), "at least the minimum");
        RttEstimator high = new RttEstimator(1_000 * MS, 200 * MS, 1_000 * MS);
        high.sample(900 * MS);
        assertEquals(1_000 * MS, high.current(), "at most the maximum");
    }

    @Test
    void eachTimeoutDoublesTheRtoUpToTheMaximumUntilReset() {
        RttEstimator r = new RttEstimator(1_000 * MS, 200 * MS, 10_000 * MS);
        long[] expected = {1_000, 2_000, 4_000, 8_000, 10_000, 10_000};
        for (long e : expected) {
            assertEquals(e * MS, r.current());
            r.backOff();
        }
        assertEquals(4_000 * MS, r.shifted(2), "shifted is independent of the backoff");
        r.resetBackoff();
        assertEquals(1_000 * MS, r.current());
    }

    /** The backoff stops at 62 doublings: more would overflow a long, whatever the maximum. */
    @Test
    void theBackoffNeverOverflows() {
        RttEstimator r = new RttEstimator(1, 1, Long.MAX_VALUE);
        for (int i = 0; i < 100; i++) {
            r.backOff();
        }
        assertEquals(1L << RttEstimator.MAX_BACKOFF, r.current());
    }

    /** A restored estimator carries on where the original stood, its timed segment as old as it was. */
    @Test
    void aSnapshotRestoresEveryFieldAndTheTimedSegmentsAge() throws SnapshotException {
        RttEstimator r = new RttEstimator(1_000 * MS, MS, 60_000 * MS);
        r.sample(100 * MS);
        r.sample(130 * MS);
        r.backOff();
        r.retries = 3;
        r.time(12345, 7 * MS);
        byte[] at10 = SnapshotBytes.written(w -> r.write(w, 10 * MS));
        RttEstimator back = new RttEstimator(1, 1, 60_000 * MS);
        back.read(SnapshotBytes.reader(at10), 500 * MS);
        assertArrayEquals(at10, SnapshotBytes.written(w -> back.write(w, 500 * MS)));
        assertEquals(497 * MS, back.timedStart, "3 ms old then, 3 ms old now");
        assertEquals(12345, back.timedSeq);
        assertEquals(r.current(), back.current());
        assertEquals(r.srtt(), back.srtt());
    }
}
