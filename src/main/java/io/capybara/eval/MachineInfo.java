package io.capybara.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** Where and when an evaluation ran: read from /proc and the JVM, never assumed. */
public record MachineInfo(String hostname, String cpuModel, int cores, long memoryKiB, String kernel, String jdk,
                          String jvmArguments, String loadAverage, Instant when) {

    public static MachineInfo probe() {
        List<String> cpuinfo = lines("/proc/cpuinfo");
        String model = cpuinfo.stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown");
        long mem = lines("/proc/meminfo").stream().filter(l -> l.startsWith("MemTotal:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(0L);
        String kernel = first("/proc/sys/kernel/osrelease", System.getProperty("os.version"));
        String host = first("/proc/sys/kernel/hostname", "unknown");
        String load = first("/proc/loadavg", "unknown");
        String[] l = load.split(" ");
        if (l.length >= 3) {
            load = l[0] + " " + l[1] + " " + l[2];
        }
        String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.vendor") + ")";
        String args = String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        return new MachineInfo(host, model, Runtime.getRuntime().availableProcessors(), mem, kernel, jdk, args, load,
                Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    /** One line for a section header. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "%s, %s, %d cores, %.1f GiB, Linux %s, %s, load %s",
                when, cpuModel, cores, memoryKiB / 1048576.0, kernel, jdk, loadAverage);
    }

    /** A Markdown table of every field. */
    public String markdown() {
        return MarkdownTable.of("field", "value")
                .row("when (UTC)", when.toString())
                .row("host", hostname)
                .row("CPU model", cpuModel)
                .row("cores (online, as the JVM sees them)", Integer.toString(cores))
                .row("memory", String.format(java.util.Locale.ROOT, "%.1f GiB", memoryKiB / 1048576.0))
                .row("kernel", kernel)
                .row("JDK", jdk)
                .row("JVM arguments", jvmArguments.isEmpty() ? "(none)" : "`" + jvmArguments.replace("`", "'") + "`")
                .row("load average at start (1/5/15 min)", loadAverage)
                .toString();
    }

    private static List<String> lines(String path) {
        try {
            return Files.readAllLines(Path.of(path));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static String first(String path, String fallback) {
        List<String> l = lines(path);
        return l.isEmpty() ? fallback : l.getFirst().strip();
    }
}
