package io.capybara.eval;

import io.capybara.eval.linux.RepairTimings;
import io.capybara.eval.linux.RepairTimings.ExportStep;
import io.capybara.eval.linux.RepairTimings.ImportStep;
import io.capybara.eval.linux.TcpRepairFleet;
import io.capybara.io.linux.Topology;
import io.capybara.rack.JitWarmup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/** The Linux kernel baseline: TCP_REPAIR export/import over loopback ({@link TcpRepairFleet}). */
public final class LinuxRepairSystem implements MigrationSystem {
    public static final String KEY = "linux_tcp_repair";
    private final int batch;
    private final int jitWarmup;

    /**
     * @param batch     connections migrated back to back between nft calls
     * @param jitWarmup hand-offs of an idle connection before measuring, so the JIT has compiled them
     */
    public LinuxRepairSystem(int batch, int jitWarmup) {
        this.batch = batch;
        this.jitWarmup = jitWarmup;
    }

    @Override
    public String key() {
        return KEY;
    }

    @Override
    public String label() {
        return "Linux TCP_REPAIR";
    }

    @Override
    public String unavailableReason() {
        String problem = Topology.netAdminProblem();
        if (problem != null) {
            return "needs root/CAP_NET_ADMIN for TCP_REPAIR: " + problem;
        }
        if (!Topology.onPath("nft")) {
            return "needs nft (apt-get install -y nftables) to block the flow during the hand-off";
        }
        return null;
    }

    @Override
    public OverheadRun run(int count, int queueBytes, Progress progress) throws Exception {
        try (TcpRepairFleet fleet = TcpRepairFleet.open()) {
            fleet.warmUp(jitWarmup, queueBytes);
            if (jitWarmup > 0) { // then until the JIT is done with it, as for Capybara-J
                JitWarmup.untilSettled(() -> {
                    try {
                        fleet.warmUp(Math.min(jitWarmup, 200), queueBytes);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, CapybaraSystem.WARMUP_LIMIT_NANOS);
            }
            TcpRepairFleet.Result r = fleet.run(count, queueBytes, batch, progress::set);
            List<RepairTimings> t = r.timings();
            Map<String, long[]> steps = new LinkedHashMap<>();
            for (ExportStep s : ExportStep.values()) {
                steps.put("export " + s.name().toLowerCase(Locale.ROOT), column(t, x -> x.nanos(s)));
            }
            for (ImportStep s : ImportStep.values()) {
                steps.put("import " + s.name().toLowerCase(Locale.ROOT), column(t, x -> x.nanos(s)));
            }
            return new OverheadRun(KEY, queueBytes, r.totals(), steps, r.verified(),
                    new GcPauses(r.gcCount(), r.gcMillis()), r.uncounted());
        }
    }

    private static long[] column(List<RepairTimings> t, ToLongFunction<RepairTimings> f) {
        return t.stream().mapToLong(f).toArray();
    }
}
