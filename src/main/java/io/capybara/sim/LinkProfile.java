package io.capybara.sim;

/**
 * The behaviour of one direction of a {@link SimLink}. Rates are probabilities per frame in
 * [0, 1]; times are nanoseconds.
 *
 * @param bitsPerSecond     serialization rate; 0 means unlimited (no queueing delay)
 * @param delayNanos        propagation delay every frame gets
 * @param jitterNanos       extra delay drawn uniformly from [0, jitterNanos] per frame
 * @param loss              probability a frame vanishes
 * @param duplicate         probability a frame is delivered twice (each copy gets its own delay)
 * @param reorder           probability a frame gets {@code reorderDelayNanos} (+/- half) extra
 *                          delay, so later frames overtake it
 * @param reorderDelayNanos extra delay of a reordered frame
 * @param corrupt           probability one random bit of one random byte is flipped, per frame
 *                          and per link direction. Every checksum catches one flip; a frame
 *                          flipped on two hops with no check between (a switch forwards
 *                          unchecked) can carry two that cancel in the Internet checksum
 *                          (same bit column, opposite directions): TCP's own limit, not a bug.
 */
public record LinkProfile(long bitsPerSecond, long delayNanos, long jitterNanos, double loss,
                          double duplicate, double reorder, long reorderDelayNanos, double corrupt) {

    public LinkProfile {
        if (bitsPerSecond < 0 || delayNanos < 0 || jitterNanos < 0 || reorderDelayNanos < 0) {
            throw new IllegalArgumentException("negative rate or delay");
        }
        checkRate("loss", loss);
        checkRate("duplicate", duplicate);
        checkRate("reorder", reorder);
        checkRate("corrupt", corrupt);
    }

    private static void checkRate(String name, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0,1]: " + v);
        }
    }

    /** A perfect link with the given one-way delay. */
    public static LinkProfile ideal(long delayNanos) {
        return new LinkProfile(0, delayNanos, 0, 0, 0, 0, 0, 0);
    }

    public LinkProfile withBandwidth(long bps) {
        return new LinkProfile(bps, delayNanos, jitterNanos, loss, duplicate, reorder, reorderDelayNanos, corrupt);
    }

    public LinkProfile withJitter(long nanos) {
        return new LinkProfile(bitsPerSecond, delayNanos, nanos, loss, duplicate, reorder, reorderDelayNanos, corrupt);
    }

    public LinkProfile withLoss(double p) {
        return new LinkProfile(bitsPerSecond, delayNanos, jitterNanos, p, duplicate, reorder, reorderDelayNanos,
                corrupt);
    }

    public LinkProfile withDuplicate(double p) {
        return new LinkProfile(bitsPerSecond, delayNanos, jitterNanos, loss, p, reorder, reorderDelayNanos, corrupt);
    }

    public LinkProfile withReorder(double p, long extraDelayNanos) {
        return new LinkProfile(bitsPerSecond, delayNanos, jitterNanos, loss, duplicate, p, extraDelayNanos, corrupt);
    }

    public LinkProfile withCorrupt(double p) {
        return new LinkProfile(bitsPerSecond, delayNanos, jitterNanos, loss, duplicate, reorder, reorderDelayNanos, p);
    }
}
