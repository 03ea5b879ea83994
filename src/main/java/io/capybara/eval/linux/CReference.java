package io.capybara.eval.linux;

import io.capybara.io.linux.Topology;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The same TCP_REPAIR system calls as {@link TcpRepairMigrator}, in C (resource
 * {@code repair_ref.c}, compiled with {@code gcc -O2} at run time), back to back on one blocked
 * loopback connection, without content checks. It tells how much of the Java baseline's time
 * the kernel costs and how much Java and the harness add, measured in the same run.
 */
public final class CReference {
    /** Nanoseconds of one export+import. */
    public record Result(int count, int queueBytes, double meanNanos, long p50Nanos, long p99Nanos) {
    }

    private CReference() {
    }

    /** Null if it can run here, else why not. */
    public static String unavailableReason() {
        if (!Topology.onPath("gcc")) {
            return "needs gcc to build the C reference";
        }
        if (!Topology.onPath("nft")) {
            return "needs nft";
        }
        return Topology.netAdminProblem();
    }

    public static Result run(int count, int queueBytes) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("capybara-cref");
        try {
            Path src = dir.resolve("repair_ref.c");
            try (InputStream in = CReference.class.getResourceAsStream("repair_ref.c")) {
                if (in == null) {
                    throw new IOException("resource repair_ref.c missing from the build");
                }
                Files.copy(in, src);
            }
            Path bin = dir.resolve("repair_ref");
            exec(60, "gcc", "-O2", "-o", bin.toString(), src.toString());
            String out = exec(600, bin.toString(), Integer.toString(count), Integer.toString(queueBytes));
            Map<String, String> kv = new HashMap<>();
            for (String token : out.strip().split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq > 0) {
                    kv.put(token.substring(0, eq), token.substring(eq + 1));
                }
            }
            return new Result(Integer.parseInt(kv.get("count")), Integer.parseInt(kv.get("queue_bytes")),
                    Double.parseDouble(kv.get("mean_ns")), Long.parseLong(kv.get("p50_ns")),
                    Long.parseLong(kv.get("p99_ns")));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String exec(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(command[0] + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + text.strip());
        }
        return text;
    }
}
