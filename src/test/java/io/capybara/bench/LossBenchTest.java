package io.capybara.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.linux.NetAdmin;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench loss}, small: 2 MB at 0% and 5% loss from the Java stack and from Linux to the
 * same Linux receiver, in one run (root, python3, nft; skipped with the reason otherwise). The
 * receiver checks every transfer's byte count; at 5% the rule drops frames of both, and the
 * Java sender repairs them (retransmissions) and reports its timeouts.
 */
class LossBenchTest {
    @Test
    void smallRunMeasuresBothSendersAtEachRate() throws Exception {
        NetAdmin.assumeNetAdminAnd("python3");
        NetAdmin.assumeTool("nft", "nftables");
        List<String> progress = new ArrayList<>();
        LossBench.Result r = LossBench.run(new double[]{0, 5}, 2_000_000, progress::add);
        assertEquals(2, r.rows().size());
        assertEquals(5, progress.size(), progress.toString()); // a warm-up, then each sender at each rate
        assertEquals(LossBench.LINUX_CONGESTION, r.linuxCongestion(), "the Linux sender runs CUBIC, like ours");
        assertTrue(r.sendBufferBytes() >= 256 * 1024, r.toString());
        LossBench.Row clean = r.rows().get(0);
        LossBench.Row lossy = r.rows().get(1);
        for (LossBench.Row row : r.rows()) {
            assertTrue(row.capybaraMbps() > 0 && row.linuxMbps() > 0 && row.ratio() > 0, row.toString());
            assertTrue(row.capybaraRtos() >= 0 && row.linuxRtos() >= 0, row.toString());
            assertTrue(row.capybaraCpuMs() > 0 && row.linuxCpuMs() > 0, row.toString());
            assertTrue(row.capybaraWallMs() >= row.capybaraBlockedMs(), row.toString());
            // waiting for a CPU is part of the wall time, never more than it
            assertTrue(row.capybaraRunQueueMs() >= 0 && row.capybaraRunQueueMs() <= row.capybaraWallMs(), row.toString());
            assertEquals(row.capybaraRuns()[0] / row.linuxRuns()[0], row.ratioRuns()[0], 1e-12);
            assertEquals(row.capybaraRuns().length, row.capybaraRunQueueRuns().length, row.toString());
            assertEquals(row.capybaraRunQueueRuns()[0], row.capybaraRunQueueMs(), 1e-12); // one run: its own median
            // 2 MB take more than one read; a read sleeps once if at all (twice on a spurious
            // wake-up), and so does the read that finds the EOF
            LossBench.ReceiverWaits w = row.receiver();
            assertTrue(w.capybaraReads() > 1 && w.linuxReads() > 1, w.toString());
            assertTrue(w.capybaraSleeps() >= 0 && w.capybaraSleeps() <= 2 * w.capybaraReads() + 2, w.toString());
            assertTrue(w.linuxSleeps() >= 0 && w.linuxSleeps() <= 2 * w.linuxReads() + 2, w.toString());
            // each sender's window after its first MiB: at least the initial window (2 to 10 segments)
            assertTrue(row.capybaraCwnd() >= 2 && row.linuxCwnd() >= 2, row.capybaraCwnd() + " / " + row.linuxCwnd());
            // idle CPU time during our transfer: counted where the kernel has cpuidle, else -1
            assertTrue(LossBench.idleMicros() < 0 ? row.capybaraIdleMs() < 0 : row.capybaraIdleMs() >= 0,
                    "idle " + row.capybaraIdleMs());
        }
        assertEquals(0, clean.dropped(), clean.toString());
        assertEquals(0, clean.capybaraRetransmits(), clean.toString());
        assertTrue(lossy.dropped() > 0, lossy.toString());
        assertTrue(lossy.capybaraRetransmits() > 0 && lossy.linuxRetransmits() > 0, lossy.toString());
        // the 0% row is each sender's reference: the lossy row against it, and the ratio of the two
        assertEquals(clean, r.noLoss());
        assertEquals(lossy.capybaraMbps() / clean.capybaraMbps(), lossy.capybaraVsNoLoss(clean), 1e-12);
        assertEquals(lossy.linuxMbps() / clean.linuxMbps(), lossy.linuxVsNoLoss(clean), 1e-12);
        assertEquals(lossy.ratio() / clean.ratio(), lossy.ratioVsNoLoss(clean), 1e-9);
        assertTrue(Double.isNaN(lossy.ratioVsNoLoss(null)), "no reference without a 0% rate");
        assertTrue(LossBench.format(r).contains("at 5.00% loss each keeps of its own rate without loss"), LossBench.format(r));
        assertTrue(LossBench.format(r).contains("linux cwnd"), LossBench.format(r));
        assertEquals(0, r.loopNice());
        assertEquals(io.capybara.tcp.TcpConfig.Congestion.CUBIC, r.congestion(), "ours runs CUBIC by default, as Linux's does");
    }

    /** The machine's idle time only grows; -1 throughout where there is no cpuidle. */
    @Test
    void idleTimeIsCountedOrSaidMissing() throws Exception {
        long a = LossBench.idleMicros();
        Thread.sleep(20);
        long b = LossBench.idleMicros();
        assertTrue(a < 0 ? b < 0 : b >= a, a + " then " + b);
    }

    /** --loop-nice sets the calling thread's own nice value (only its own: a thread of its own here, since raising it cannot be undone without CAP_SYS_NICE). */
    @Test
    void theLoopThreadsNiceValueIsItsOwn() throws Exception {
        int[] seen = new int[3];
        Throwable[] failed = {null};
        Thread t = new Thread(() -> {
            try {
                seen[0] = LossBench.threadNice();
                LossBench.setThreadNice(Math.min(seen[0] + 3, 19));
                seen[1] = LossBench.threadNice();
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        t.start();
        t.join();
        seen[2] = LossBench.threadNice();
        assertEquals(null, failed[0]);
        assertEquals(Math.min(seen[0] + 3, 19), seen[1], "the thread's nice value after setting it");
        assertEquals(seen[0], seen[2], "another thread's is unchanged");
    }
}
