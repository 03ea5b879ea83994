package io.capybara.tcp;

/**
 * The connection's timers as absolute deadlines ({@link #NONE} when disarmed), the persist
 * backoff and the owed-ACK flag, one snapshot group. A snapshot stores each deadline relative
 * to its time and a restore re-arms it relative to its own, so time spent in transit counts.
 * FIN_WAIT_2's silence limit reuses the TIME_WAIT deadline (the states exclude each other).
 */
final class Timers {
    static final long NONE = Long.MAX_VALUE;

    long rtx = NONE;
    long delack = NONE;
    long persist = NONE;
    long timeWait = NONE;
    /** RACK's reorder timer or the tail loss probe (RFC 8985); which one, {@link LossRecovery} says. */
    long loss = NONE;
    int persistBackoff;
    /** An ACK is owed and goes out at the end of the current call. */
    boolean ackNow;

    long next() {
        return Math.min(Math.min(Math.min(rtx, delack), Math.min(persist, timeWait)), loss);
    }

    /** Every timer off and nothing owed: the connection is closed. */
    void disarm() {
        rtx = NONE;
        persist = NONE;
        delack = NONE;
        timeWait = NONE;
        loss = NONE;
        ackNow = false;
    }

    void write(SnapshotWriter w, long now) {
        putDeadline(w, rtx, now);
        putDeadline(w, delack, now);
        putDeadline(w, persist, now);
        putDeadline(w, timeWait, now);
        putDeadline(w, loss, now);
        w.putInt(persistBackoff);
        w.putBoolean(ackNow);
    }

    void read(SnapshotReader r, long now) throws SnapshotException {
        rtx = getDeadline(r, "rtxDeadline", now);
        delack = getDeadline(r, "delackDeadline", now);
        persist = getDeadline(r, "persistDeadline", now);
        timeWait = getDeadline(r, "timeWaitDeadline", now);
        loss = getDeadline(r, "lossDeadline", now);
        persistBackoff = r.getInt("persistBackoff", 0, 62);
        ackNow = r.getBoolean("ackNow");
    }

    private static void putDeadline(SnapshotWriter w, long deadline, long now) {
        w.putBoolean(deadline != NONE);
        w.putLong(deadline != NONE ? deadline - now : 0);
    }

    private static long getDeadline(SnapshotReader r, String field, long now) throws SnapshotException {
        boolean armed = r.getBoolean(field);
        long rel = r.getLong(field, -(1L << 62), 1L << 62);
        if (!armed) {
            return NONE;
        }
        long d = now + rel;
        return d == NONE ? NONE - 1 : d;
    }
}
