package io.capybara.telemetry;

import io.capybara.tor.MigrationDirectory;
import io.capybara.tor.MinLoadRegister;
import io.capybara.tor.SwitchCounter;
import io.capybara.tor.TorSwitch;
import io.capybara.wire.Ipv4Address;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The switch's metrics ({@code capybara_switch_*}), event log and counter line. Every
 * {@link SwitchCounter} is exported, also ones added later: counters of one family share a
 * metric with a label ({@code DROP_MALFORMED} is {@code capybara_switch_dropped_frames_total{reason="malformed"}}),
 * the others get their own ({@code HEARTBEATS} is {@code capybara_switch_heartbeats_total}).
 * {@link #tick} runs on the switch's thread.
 */
public final class SwitchTelemetry {
    private static final System.Logger LOG = System.getLogger("capybara.switch");

    /** Counter families: name prefix, metric, label; counters listed in EXCEPT keep their own metric. */
    private static final String[][] FAMILIES = {
            {"DROP_", "capybara_switch_dropped_frames_total", "reason"},
            {"ARP_", "capybara_switch_arp_total", "action"},
            {"REWRITE_", "capybara_switch_rewrites_total", "direction"},
            {"REMOVED_", "capybara_switch_directory_removed_total", "reason"},
            {"CONTROL_", "capybara_switch_control_dropped_total", "reason"},
    };
    private static final java.util.Set<SwitchCounter> OWN = java.util.EnumSet.of(SwitchCounter.CONTROL_FORWARDED);

    private final TorSwitch sw;
    private final CounterDeltas<SwitchCounter> deltas;
    private final boolean[] live;
    private final boolean[] draining;
    private final CounterLine line = new CounterLine();

    private final LongSupplier clock;

    /** For a switch driven by {@code System.nanoTime} (rack.proc.NodeLoop). */
    public SwitchTelemetry(TorSwitch sw) {
        this(sw, System::nanoTime);
    }

    /** {@code clock}: the switch's time source, which a scrape reads to judge liveness. */
    public SwitchTelemetry(TorSwitch sw, LongSupplier clock) {
        this.sw = sw;
        this.deltas = new CounterDeltas<>(SwitchCounter.class, sw::counter);
        this.clock = clock;
        this.live = new boolean[sw.loads().servers()];
        this.draining = new boolean[live.length];
        for (SwitchCounter c : SwitchCounter.values()) {
            line.add(Metrics.snake(c.name()), () -> sw.counter(c));
        }
        MigrationDirectory d = sw.directory();
        line.add("directory_entries", d::size);
    }

    /** The metric and label value of a counter. */
    static String[] name(SwitchCounter c) {
        if (!OWN.contains(c)) {
            for (String[] f : FAMILIES) {
                if (c.name().startsWith(f[0])) {
                    return new String[] {f[1], f[2], Metrics.snake(c.name().substring(f[0].length()))};
                }
            }
        }
        if (c == SwitchCounter.TX_DROPPED) {
            return new String[] {"capybara_switch_dropped_frames_total", "reason", "tx_full"};
        }
        return new String[] {"capybara_switch_" + Metrics.snake(c.name()) + "_total", null, null};
    }

    public void register(Metrics m) {
        Map<String, Map<String, LongSupplier>> families = new LinkedHashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        for (SwitchCounter c : SwitchCounter.values()) {
            String[] n = name(c);
            LongSupplier read = () -> sw.counter(c); // one long read at scrape time
            if (n[1] == null) {
                m.counter(n[0], "Switch counter " + c + ".", read);
            } else {
                families.computeIfAbsent(n[0], k -> new LinkedHashMap<>()).put(n[2], read);
                labels.put(n[0], n[1]);
            }
        }
        families.forEach((name, series) -> m.counter(name, "Switch counters by " + labels.get(name) + ".",
                labels.get(name), series));
        MigrationDirectory d = sw.directory();
        m.gauge("capybara_switch_directory_entries", "Migration directory entries in use.", d::size);
        m.gauge("capybara_switch_directory_capacity", "Migration directory slots.", d::capacity);
        MinLoadRegister loads = sw.loads();
        Map<String, DoubleSupplier> live = new LinkedHashMap<>();
        Map<String, DoubleSupplier> load = new LinkedHashMap<>();
        Map<String, DoubleSupplier> drain = new LinkedHashMap<>();
        for (int i = 0; i < loads.servers(); i++) {
            int s = i;
            String ip = Ipv4Address.format(sw.serverIp(i));
            live.put(ip, () -> loads.isLive(s, clock.getAsLong()) ? 1 : 0);
            load.put(ip, () -> loads.staleAt(s) == Long.MAX_VALUE ? Double.NaN : loads.load(s)); // NaN: never heard
            drain.put(ip, () -> loads.isDraining(s) ? 1 : 0);
        }
        m.gauge("capybara_switch_server_live", "1 if the server's last heartbeat is recent.", "server", live);
        m.gauge("capybara_switch_server_load", "The load the server reported in its last heartbeat.", "server", load);
        m.gauge("capybara_switch_server_draining", "1 if the server announced it is draining.", "server", drain);
    }

    /**
     * From the switch's thread, once a second: logs servers joining, going stale or draining, a
     * full directory and migration outcomes (as counts since the last tick: the switch sees
     * counters, not connections), and returns the counter line (only what changed), or null.
     */
    public String tick(long nowNanos) {
        MinLoadRegister loads = sw.loads();
        for (int i = 0; i < live.length; i++) {
            String ip = Ipv4Address.format(sw.serverIp(i));
            boolean l = loads.isLive(i, nowNanos);
            if (l != live[i]) {
                live[i] = l;
                if (l) {
                    Logs.log(LOG, Level.INFO, "server %s joined (heartbeat, load %s)", ip, loads.load(i));
                } else {
                    Logs.log(LOG, Level.WARNING, "server %s went stale (no heartbeat for %s ms)", ip,
                            sw.config().heartbeatStaleNanos() / 1_000_000);
                }
            }
            boolean d = loads.isDraining(i);
            if (d != draining[i]) {
                draining[i] = d;
                Logs.log(LOG, Level.INFO, "server %s %s", ip, d ? "is draining" : "stopped draining");
            }
        }
        long refused = deltas.since(SwitchCounter.DIRECTORY_REFUSED_FULL);
        if (refused > 0) {
            Logs.log(LOG, Level.WARNING, "directory full (%s of %s slots): refused %s migration(s)",
                    sw.directory().size(), sw.directory().capacity(), refused);
        }
        long untracked = deltas.since(SwitchCounter.VIP_PLACED_UNTRACKED);
        if (untracked > 0) {
            Logs.log(LOG, Level.WARNING, "directory full (%s of %s slots): %s new connection(s) placed untracked",
                    sw.directory().size(), sw.directory().capacity(), untracked);
        }
        long steered = deltas.since(SwitchCounter.PREPARE_STEERED);
        long installed = deltas.since(SwitchCounter.DIRECTORY_INSTALLED) + deltas.since(SwitchCounter.DIRECTORY_UPDATED);
        long back = deltas.since(SwitchCounter.REMOVED_MIGRATE_BACK);
        if (steered + installed + back > 0) {
            Logs.log(LOG, Level.INFO, "migrations: %s steered to a target, %s redirected, %s moved home", steered,
                    installed, back);
        }
        long noTarget = deltas.since(SwitchCounter.PREPARE_REJECTED_NO_TARGET);
        if (noTarget > 0) {
            Logs.log(LOG, Level.WARNING, "migrations: %s rejected, no live target", noTarget);
        }
        long aborts = deltas.since(SwitchCounter.ABORT_FORWARDED) + deltas.since(SwitchCounter.REMOVED_ABORT);
        if (aborts > 0) {
            Logs.log(LOG, Level.WARNING, "migrations: %s abort(s) (forwarded or entry removed)", aborts);
        }
        long bad = deltas.since(SwitchCounter.CONTROL_MALFORMED) + deltas.since(SwitchCounter.CONTROL_SPOOFED_SENDER)
                + deltas.since(SwitchCounter.CONTROL_ON_CLIENT_PORT) + deltas.since(SwitchCounter.CONTROL_UNKNOWN_SERVER);
        if (bad > 0) {
            Logs.log(LOG, Level.WARNING, "%s control message(s) dropped (malformed, spoofed or from a client port)", bad);
        }
        return line.next();
    }

    /** Logs the configuration the switch runs with. */
    public static void configLoaded(String source, TorSwitch sw) {
        Logs.log(LOG, Level.INFO, "configuration %s: %s ports, %s servers, directory %s levels (%s slots)", source,
                sw.config().portCount(), sw.config().servers().size(), sw.config().levels(),
                sw.directory().capacity());
    }
}
