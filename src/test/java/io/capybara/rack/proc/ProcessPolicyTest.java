package io.capybara.rack.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.linux.NetAdmin;
import io.capybara.policy.PolicyKind;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proactive policy inside server processes (root only): it sees the other server's load only
 * through the switch's answers to its heartbeats. Across a load step that overloads server 0,
 * it moves a few connections to server 1 and the two end up sharing the load.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ProcessPolicyTest {
    @TempDir
    Path dir;

    @Test
    void proactiveServersRebalanceALoadStepThroughTheSwitchsLoadReports() throws Exception {
        NetAdmin.assumeNetAdmin();
        NetAdmin.assumeTool("python3", "python3");
        RackPolicyRun.Settings s = RackPolicyRun.Settings.of(true, 42);
        ProcessRackOptions o = TestRacks.options("pp", dir);
        RackPolicyRun.Result r = RackPolicyRun.run(o, s, PolicyKind.PROACTIVE, System.err);
        System.err.println(r);
        assertEquals(0, r.errors(), "every request answered");
        assertEquals(r.sent(), r.requests());
        assertTrue(r.migrations() >= 1 && r.migrations() <= 20, "a few migrations, not a ping-pong: " + r.migrations());
        // After the step (plus a second to react) server 1 serves a fair part of the rack's requests:
        // without rebalancing it would serve 130 of the 1,290 requests/s offered (10%).
        double s0 = 0;
        double s1 = 0;
        for (RackPolicyRun.Window w : r.windows()) {
            if (w.timeMs() > s.stepSeconds() * 1000 + 1000) {
                s0 += w.server0Rps();
                s1 += w.server1Rps();
            }
        }
        assertTrue(s1 > 0.3 * (s0 + s1), "server 1's share after the step: " + s1 / (s0 + s1));
    }
}
