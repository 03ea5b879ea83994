package io.capybara.telemetry;

import io.capybara.mig.MigCounter;
import io.capybara.mig.MigrationMetrics;
import io.capybara.wire.Ipv4Address;
import java.lang.System.Logger.Level;

/**
 * One log line per migration outcome on the origin ({@code capybara.migration}: client, target,
 * outcome, duration), INFO for completed, WARNING for aborted or rejected. The engine reports
 * outcomes to this observer, which only records them in primitive arrays; {@link #drain()} logs
 * them from the node's loop once a second, at most {@link #LINES_PER_DRAIN} lines, then one
 * "... and K more" line with the rest by kind, so thousands of migrations a second do not
 * flood the log.
 */
public final class OutcomeLog implements MigrationMetrics.Observer {
    /** Outcome lines per drain (once a second on a node); the rest are summed in one line. */
    public static final int LINES_PER_DRAIN = 20;
    private static final System.Logger LOG = System.getLogger("capybara.migration");

    private final int[] clientIp = new int[LINES_PER_DRAIN];
    private final int[] clientPort = new int[LINES_PER_DRAIN];
    private final int[] targetIp = new int[LINES_PER_DRAIN];
    private final MigCounter[] outcome = new MigCounter[LINES_PER_DRAIN];
    private final long[] nanos = new long[LINES_PER_DRAIN];
    private int kept;
    private long moreCompleted;
    private long moreAborted;
    private long moreRejected;

    @Override
    public void outcome(int clientIp, int clientPort, int targetIp, MigCounter outcome, long nanos) {
        if (kept < LINES_PER_DRAIN) {
            this.clientIp[kept] = clientIp;
            this.clientPort[kept] = clientPort;
            this.targetIp[kept] = targetIp;
            this.outcome[kept] = outcome;
            this.nanos[kept] = nanos;
            kept++;
        } else if (outcome == MigCounter.COMPLETED) {
            moreCompleted++;
        } else if (outcome.name().startsWith("ABORTED_")) {
            moreAborted++;
        } else {
            moreRejected++;
        }
    }

    /** From the node's thread: logs what was recorded since the last drain. */
    public void drain() {
        for (int i = 0; i < kept; i++) {
            MigCounter o = outcome[i];
            String what = o == MigCounter.COMPLETED ? "completed"
                    : o.name().startsWith("ABORTED_") ? "aborted (" + reason(o, "ABORTED_") + ")"
                    : "rejected (" + reason(o, "REJECTED_") + ")";
            Logs.log(LOG, o == MigCounter.COMPLETED ? Level.INFO : Level.WARNING,
                    "migration of client %s:%d to %s: %s in %.1f us", Ipv4Address.format(clientIp[i]),
                    clientPort[i] & 0xFFFF, targetIp[i] == 0 ? "no target" : Ipv4Address.format(targetIp[i]), what,
                    nanos[i] / 1e3);
            outcome[i] = null;
        }
        kept = 0;
        long more = moreCompleted + moreAborted + moreRejected;
        if (more > 0) {
            Logs.log(LOG, moreAborted + moreRejected > 0 ? Level.WARNING : Level.INFO,
                    "... and %d more migration outcomes (%d completed, %d aborted, %d rejected)", more, moreCompleted,
                    moreAborted, moreRejected);
        }
        moreCompleted = moreAborted = moreRejected = 0;
    }

    private static String reason(MigCounter c, String prefix) {
        return Metrics.snake(c.name().substring(prefix.length())).replace('_', ' ');
    }
}
