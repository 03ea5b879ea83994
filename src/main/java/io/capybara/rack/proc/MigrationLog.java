package io.capybara.rack.proc;

import io.capybara.mig.MigrationMetrics;

/**
 * The last completed migration halves of one server, for the rack to join across processes:
 * each entry is (origin, id, side, time, CPU), with time on CLOCK_MONOTONIC
 * ({@code System.nanoTime} on Linux), so the target's "serving" less the origin's "decided" is
 * the end-to-end latency even though the two halves were timed in different processes. A ring
 * of primitive arrays: recording allocates nothing.
 */
final class MigrationLog implements MigrationMetrics.Observer {
    private final int[] origin;
    private final int[] id;
    private final boolean[] originSide;
    private final long[] at;
    private final long[] cpu;
    private long written;

    MigrationLog(int capacity) {
        origin = new int[capacity];
        id = new int[capacity];
        originSide = new boolean[capacity];
        at = new long[capacity];
        cpu = new long[capacity];
    }

    @Override
    public void half(int originIp, int migrationId, boolean isOrigin, long atNanos, long cpuNanos) {
        int i = (int) (written % origin.length);
        origin[i] = originIp;
        id[i] = migrationId;
        originSide[i] = isOrigin;
        at[i] = atNanos;
        cpu[i] = cpuNanos;
        written++;
    }

    long written() {
        return written;
    }

    /**
     * Entries from sequence number {@code since} on (older ones may have been overwritten), one
     * line each: {@code seq origin|target ORIGIN_IP ID AT_NANOS CPU_NANOS}.
     */
    String dump(long since) {
        StringBuilder sb = new StringBuilder();
        long from = Math.max(since, written - origin.length);
        for (long s = Math.max(0, from); s < written; s++) {
            int i = (int) (s % origin.length);
            sb.append(s).append(' ').append(originSide[i] ? "origin" : "target").append(' ')
                    .append(io.capybara.wire.Ipv4Address.format(origin[i])).append(' ').append(id[i]).append(' ')
                    .append(at[i]).append(' ').append(cpu[i]).append('\n');
        }
        return sb.toString();
    }
}
