package io.capybara.eval.linux;

import java.util.Arrays;

/**
 * Per-step durations of one TCP_REPAIR migration, in nanoseconds, for the evaluation harness
 * to aggregate. Reusable: {@link #reset()} between migrations.
 */
public final class RepairTimings {
    /** Export steps, in the order they run on the source socket. */
    public enum ExportStep {
        /** setsockopt(TCP_REPAIR, 1). */
        REPAIR_ON,
        /** Select the send queue, TCP_QUEUE_SEQ, SIOCOUTQ, recv(MSG_PEEK) of its bytes. */
        SEND_QUEUE,
        /** Select the receive queue, TCP_QUEUE_SEQ, SIOCINQ, recv(MSG_PEEK) of its bytes. */
        RECV_QUEUE,
        /** TCP_INFO (SACK, window scale, timestamps flags), TCP_MAXSEG, TCP_TIMESTAMP. */
        OPTIONS,
        /** getsockopt(TCP_REPAIR_WINDOW). */
        WINDOW,
        /** getsockname, getpeername. */
        ADDRESSES,
        /** close() in repair mode: no FIN, no RST. */
        CLOSE
    }

    /** Import steps, in the order they run on the new socket. */
    public enum ImportStep {
        /** socket(), SO_REUSEADDR, TCP_REPAIR on, bind() to the old local address. */
        SOCKET,
        /** TCP_REPAIR_QUEUE + TCP_QUEUE_SEQ for both queues. */
        QUEUE_SEQ,
        /** TCP_MAXSEG (before connect, else the MSS falls to 524) and TCP_TIMESTAMP. */
        MSS_TIMESTAMP,
        /** connect(): in repair mode no SYN is sent, the socket becomes ESTABLISHED. */
        CONNECT,
        /** TCP_REPAIR_OPTIONS: MSS, window scales, SACK permitted, timestamps. */
        REPAIR_OPTIONS,
        /** Select the send queue and send() its bytes (queued as sent, not transmitted). */
        SEND_QUEUE,
        /** Select the receive queue and send() its bytes (queued as received). */
        RECV_QUEUE,
        /** setsockopt(TCP_REPAIR_WINDOW). */
        WINDOW,
        /** setsockopt(TCP_REPAIR, 0): the kernel sends a window probe and resumes. */
        REPAIR_OFF
    }

    private static final ExportStep[] EXPORT_STEPS = ExportStep.values();
    private static final ImportStep[] IMPORT_STEPS = ImportStep.values();

    private final long[] exportNanos = new long[EXPORT_STEPS.length];
    private final long[] importNanos = new long[IMPORT_STEPS.length];

    public long nanos(ExportStep step) {
        return exportNanos[step.ordinal()];
    }

    public long nanos(ImportStep step) {
        return importNanos[step.ordinal()];
    }

    void set(ExportStep step, long nanos) {
        exportNanos[step.ordinal()] = nanos;
    }

    void set(ImportStep step, long nanos) {
        importNanos[step.ordinal()] = nanos;
    }

    public long exportTotalNanos() {
        return Arrays.stream(exportNanos).sum();
    }

    public long importTotalNanos() {
        return Arrays.stream(importNanos).sum();
    }

    public long totalNanos() {
        return exportTotalNanos() + importTotalNanos();
    }

    public void reset() {
        Arrays.fill(exportNanos, 0);
        Arrays.fill(importNanos, 0);
    }

    /** A copy, for keeping per-migration samples. */
    public RepairTimings copy() {
        RepairTimings c = new RepairTimings();
        System.arraycopy(exportNanos, 0, c.exportNanos, 0, exportNanos.length);
        System.arraycopy(importNanos, 0, c.importNanos, 0, importNanos.length);
        return c;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("RepairTimings[export");
        for (ExportStep s : EXPORT_STEPS) {
            sb.append(' ').append(s).append('=').append(nanos(s));
        }
        sb.append("; import");
        for (ImportStep s : IMPORT_STEPS) {
            sb.append(' ').append(s).append('=').append(nanos(s));
        }
        return sb.append(" ns]").toString();
    }
}
