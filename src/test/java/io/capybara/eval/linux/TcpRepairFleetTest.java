package io.capybara.eval.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.eval.linux.RepairTimings.ExportStep;
import io.capybara.eval.linux.RepairTimings.ImportStep;
import io.capybara.io.linux.NetAdmin;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Many distinct kernel connections, each migrated once with TCP_REPAIR and checked by content. */
class TcpRepairFleetTest {
    @BeforeEach
    void needsRootAndNft() {
        NetAdmin.assumeNetAdmin();
        NetAdmin.assumeTool("nft", "nftables");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1024})
    void everyConnectionIsMigratedOnceAndChecked(int queueBytes) throws Exception {
        try (TcpRepairFleet fleet = TcpRepairFleet.open()) {
            fleet.warmUp(20, queueBytes);
            int[] progress = {0};
            TcpRepairFleet.Result r = fleet.run(45, queueBytes, 20, done -> progress[0] = done);
            assertEquals(45, r.timings().size());
            assertEquals(45, r.verified());
            assertEquals(45, progress[0]);
            for (RepairTimings t : r.timings()) {
                for (ExportStep s : ExportStep.values()) {
                    assertTrue(t.nanos(s) > 0, s + " not timed");
                }
                for (ImportStep s : ImportStep.values()) {
                    assertTrue(t.nanos(s) > 0, s + " not timed");
                }
            }
        }
    }
}
