package io.capybara.eval.linux;

import io.capybara.eval.linux.RepairTimings.ExportStep;
import io.capybara.eval.linux.RepairTimings.ImportStep;
import io.capybara.eval.linux.TcpRepairBaseline.Sample;
import io.capybara.eval.linux.TcpRepairBaseline.SendQueueCase;
import io.capybara.io.linux.LinuxCallException;
import io.capybara.io.linux.NetAdmin;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Migrates a live loopback connection with TCP_REPAIR again and again; the peer must keep
 * exchanging data with whichever socket now holds the connection, every byte checked.
 */
class TcpRepairMigratorTest {
    private static final int QUEUE_BYTES = 1024;

    @BeforeEach
    void needsRootAndNft() {
        NetAdmin.assumeNetAdmin();
        NetAdmin.assumeTool("nft", "nftables");
    }

    @Test
    void repeatedMigrationsKeepTheStreamIntact() throws Exception {
        List<Sample> samples = new ArrayList<>();
        try (TcpRepairBaseline b = TcpRepairBaseline.open()) {
            b.exchange(4096); // some history before the first migration
            for (int i = 0; i < 20; i++) {
                samples.add(b.migrateOnce(QUEUE_BYTES, SendQueueCase.ACK_LOST));
            }
            b.exchange(64 * 1024); // bulk data after the last migration, several segments
            assertEquals(20, b.migrations());
        }
        TcpRepairState first = samples.getFirst().state();
        for (Sample s : samples) {
            TcpRepairState st = s.state();
            assertEquals(QUEUE_BYTES, st.sendQueue().length, st.toString());
            assertEquals(QUEUE_BYTES, st.recvQueue().length, st.toString());
            // Options survive every hop: a restored socket that lost them would dump differently.
            assertEquals(TcpRepairBaseline.ETHERNET_MSS, st.mss(), "MSS after " + samples.indexOf(s) + " hops");
            // TCP_MAXSEG before connect: else the restored socket sends 524-byte segments.
            assertEquals(s.mssBefore(), s.mssAfter(), "effective MSS changed by hop " + samples.indexOf(s));
            assertEquals(first.windowScaling(), st.windowScaling());
            assertEquals(first.sndWscale(), st.sndWscale());
            assertEquals(first.rcvWscale(), st.rcvWscale());
            assertEquals(first.sackPermitted(), st.sackPermitted());
            assertEquals(first.timestamps(), st.timestamps());
            assertEquals(first.local(), st.local());
            assertEquals(first.remote(), st.remote());
            for (ExportStep step : ExportStep.values()) {
                assertTrue(s.timings().nanos(step) > 0, step + " not timed");
            }
            for (ImportStep step : ImportStep.values()) {
                assertTrue(s.timings().nanos(step) > 0, step + " not timed");
            }
        }
        // The kernel negotiated these on loopback; if one is off, the checks above are weaker.
        assertTrue(first.timestamps() && first.sackPermitted() && first.windowScaling(), first.toString());
        RepairTimingStats stats = new RepairTimingStats();
        samples.forEach(s -> stats.add(s.timings()));
        assertTrue(stats.totalPercentile(50) > 0);
        System.out.print(stats.table());
    }

    @Test
    void restoredSendQueueIsRetransmittedWhenThePeerNeverGotIt() throws Exception {
        try (TcpRepairBaseline b = TcpRepairBaseline.open()) {
            // migrateOnce waits for the peer to receive the bytes it never got before the
            // hand-off: only the restored socket's retransmission can deliver them.
            Sample warm = b.migrateOnce(QUEUE_BYTES, SendQueueCase.DATA_LOST);
            assertEquals(QUEUE_BYTES, warm.state().sendQueue().length);
            assertTrue(warm.recoveryNanos() > 0);

            // As on a fresh target host: no cached RTT for the peer, so the restored socket
            // starts with the 3 s fallback RTO (TCP_TIMEOUT_FALLBACK).
            b.forgetPeerMetrics(true);
            Sample cold = b.migrateOnce(QUEUE_BYTES, SendQueueCase.DATA_LOST);
            assertEquals(3_000_000, cold.restoredRtoMicros(), "restored RTO without an RTT sample");
            b.exchange(8192);
        }
    }

    @Test
    void queuesLargerThanASegmentAndAPageSurviveTheHandOff() throws Exception {
        try (TcpRepairBaseline b = TcpRepairBaseline.open()) {
            int big = 64 * 1024 + 123; // many segments, pages and a ragged end
            Sample s = b.migrateOnce(big, SendQueueCase.ACK_LOST);
            assertEquals(big, s.state().sendQueue().length);
            assertEquals(big, s.state().recvQueue().length);
            b.exchange(4096);
        }
    }

    @Test
    void jitWarmUpOnASecondConnectionLeavesBothIntact() throws Exception {
        try (TcpRepairBaseline b = TcpRepairBaseline.open()) {
            b.warmUpJit(200); // throws if the idle connection lost or changed a byte
            Sample s = b.migrateOnce(QUEUE_BYTES, SendQueueCase.ACK_LOST);
            assertEquals(QUEUE_BYTES, s.state().sendQueue().length, "the migrated connection kept its send queue");
            assertEquals(QUEUE_BYTES, s.state().recvQueue().length, "and its receive queue");
            b.exchange(1024); // throws if a byte differs after the hand-off
        }
    }

    @Test
    void exportOfABadDescriptorNamesTheCall() {
        try (TcpRepairMigrator m = new TcpRepairMigrator()) {
            var e = assertThrows(LinuxCallException.class, () -> m.export(-1, new RepairTimings()));
            assertEquals("setsockopt(TCP_REPAIR, 1) on fd -1: Bad file descriptor (errno 9)", e.getMessage());
        }
    }
}
