package io.capybara.tcp;

/**
 * CUBIC congestion control (RFC 9438): after a loss the window follows
 * {@code W(t) = C (t - K)^3 + W_max} (segments, t in seconds since the epoch began), concave
 * up to the window of the last loss and convex beyond it, and never below the Reno-friendly
 * estimate {@code W_est}. Multiplicative decrease by beta = 0.7 with fast convergence. Slow
 * start and recovery are {@link NewReno}'s (no HyStart++). The arithmetic is in doubles with
 * {@link StrictMath}, so it is the same on every JVM.
 *
 * <p>Linux's first jiffy ({@link #linuxStart}, on by default): Linux's CUBIC computes its
 * per-ACK step at most once per jiffy, and at an epoch's start its integer cubic target lies one
 * segment above cwnd (K and the cubic term are both rounded down), so the step is one segment
 * per c0 segments acknowledged, c0 the window the epoch began with. Until the next jiffy Linux
 * keeps that step while the window grows: at least one segment per round trip (Reno's rate, and
 * more as the window passes c0), where RFC 9438's Reno-friendly estimate grows 0.53. At a
 * datacenter's round trips of tens of microseconds, with a loss every few hundred, that jiffy is
 * an epoch's whole life: at 1% loss on a veth Linux's cwnd, read through TCP_INFO after every
 * 64 KiB (a throwaway change to {@code bench loss}), grew a median 1.0 and a mean 1.5 segments
 * per round trip, and {@code bench loss --congestion cubic-rfc} shows its windows 1.3 times
 * RFC 9438's at 0.5-1% loss with as many recoveries. Here the first millisecond of an epoch
 * (the shortest jiffy, HZ = 1000) grows at least one segment per c0 acknowledged; after it the
 * RFC's rules alone apply, and the window never shrinks while W_est catches up, as in Linux.
 * {@link TcpConfig.Congestion#CUBIC_RFC} leaves this out.
 */
final class Cubic extends NewReno {
    static final double C = 0.4;
    static final double BETA = 0.7;
    /** RFC 9438 4.3: the Reno-friendly increase per RTT, 3 (1 - beta) / (1 + beta). */
    static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);
    private static final long NO_EPOCH = Long.MIN_VALUE;
    /** How long into an epoch Linux's step of one segment per c0 acknowledged applies: a jiffy at HZ = 1000. */
    static final long LINUX_JIFFY_NANOS = 1_000_000;

    /** Window before the last reduction, in segments. */
    private double wMax;
    /** Seconds from the epoch's start until W(t) reaches wMax again. */
    private double k;
    private long epochStart = NO_EPOCH;
    /** Reno-friendly estimate, segments. */
    private double wEst;
    /** Fractional growth not yet added to cwnd, bytes. */
    private double carry;

    /** Whether the first millisecond of an epoch grows as Linux's does (see the class comment). */
    private final boolean linuxStart;

    Cubic(int iss, int mss, boolean linuxStart) {
        super(iss, mss);
        this.linuxStart = linuxStart;
    }

    @Override
    void avoid(int acked, int mss, long now, long srtt) {
        if (cwnd >= MAX_CWND && epochStart != NO_EPOCH) {
            // At the cap nothing below can change cwnd (grow() clamps it), and every way down
            // goes through reducedThreshold(), which restarts the epoch: W_est and the carry
            // are dead until then, so they stay as they were. Saves ~5 double divisions per ACK
            // of a long-lived connection whose window reached the cap (application-limited).
            return;
        }
        avoidBelowCap(acked, mss, now, srtt);
    }

    /**
     * {@link #avoid} below the cap: apart, so that the check at the cap stays under the JIT's
     * always-inline size (35 bytecodes) and costs no call on an ACK at the cap.
     */
    private void avoidBelowCap(int acked, int mss, long now, long srtt) {
        double cwndSeg = (double) cwnd / mss;
        if (epochStart == NO_EPOCH) {
            // RFC 9438 4.2: the first ACK in congestion avoidance after a reduction (or ever)
            epochStart = now;
            if (cwndSeg < wMax) {
                k = StrictMath.cbrt((wMax - cwndSeg) / C);
            } else {
                k = 0;
                wMax = cwndSeg;
            }
            wEst = cwndSeg;
        }
        double t = (now - epochStart) / 1e9;
        double rtt = srtt > 0 ? srtt / 1e9 : 0.1;
        double segmentsAcked = (double) acked / mss;
        // Reno-friendly region (RFC 9438 4.3): alpha becomes 1 once W_est passes W_max
        wEst += (wEst >= wMax ? 1.0 : ALPHA) * segmentsAcked / cwndSeg;
        double cubic = window(t);
        double next;
        if (cubic < wEst) {
            next = wEst;
        } else {
            // concave and convex regions (RFC 9438 4.4, 4.5): towards W(t + RTT), at most 1.5x
            double target = Math.min(Math.max(window(t + rtt), cwndSeg), 1.5 * cwndSeg);
            next = cwndSeg + (target - cwndSeg) * segmentsAcked / cwndSeg;
        }
        if (linuxStart && now - epochStart < LINUX_JIFFY_NANOS) {
            // one segment per c0 acknowledged; c0, the window the epoch began with, is where
            // W(0) = W_max - C K^3 put it (K = 0 and W_max = c0 when it began above W_max)
            double c0 = Math.max(wMax - C * k * k * k, 1);
            next = Math.max(next, cwndSeg + segmentsAcked / c0);
        }
        if (next > cwndSeg) {
            carry += (next - cwndSeg) * mss; // congestion avoidance never shrinks the window
        }
        if (carry >= 1) {
            int add = (int) Math.min(carry, MAX_CWND);
            cwnd += add;
            carry -= add;
        }
    }

    private double window(double t) {
        double d = t - k;
        return C * d * d * d + wMax;
    }

    @Override
    int reducedThreshold(int flight, int mss, long now) {
        double cwndSeg = (double) cwnd / mss;
        // fast convergence (RFC 9438 4.7): a flow whose window shrank releases bandwidth faster
        wMax = cwndSeg < wMax ? cwndSeg * (1 + BETA) / 2 : cwndSeg;
        epochStart = NO_EPOCH;
        carry = 0;
        return Math.max((int) (cwnd * BETA), 2 * mss);
    }

    @Override
    void write(SnapshotWriter w, long now) {
        super.write(w, now);
        w.putLong(Double.doubleToRawLongBits(wMax));
        w.putLong(Double.doubleToRawLongBits(k));
        w.putBoolean(epochStart != NO_EPOCH);
        w.putLong(epochStart == NO_EPOCH ? 0 : now - epochStart);
        w.putLong(Double.doubleToRawLongBits(wEst));
        w.putLong(Double.doubleToRawLongBits(carry));
    }

    @Override
    void read(SnapshotReader r, long now) throws SnapshotException {
        super.read(r, now);
        wMax = finite(r, "cubic.wMax");
        k = finite(r, "cubic.k");
        boolean epoch = r.getBoolean("cubic.epoch");
        long age = r.getLong("cubic.epochAge", 0, 1L << 62);
        epochStart = epoch ? now - age : NO_EPOCH;
        wEst = finite(r, "cubic.wEst");
        carry = finite(r, "cubic.carry");
    }

    private static double finite(SnapshotReader r, String field) throws SnapshotException {
        double v = Double.longBitsToDouble(r.getLong(field));
        if (!Double.isFinite(v) || v < 0 || v > MAX_CWND) {
            throw new SnapshotException("snapshot corrupt: field '" + field + "' = " + v);
        }
        return v;
    }
}
