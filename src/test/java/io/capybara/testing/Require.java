package io.capybara.testing;

import io.capybara.io.linux.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one place that decides whether a test may skip for something the machine lacks (root,
 * CAP_NET_ADMIN, a tool, a JVM feature). Normally it skips with the reason. With
 * {@code -Dcapybara.requireAll=true} (or {@code CAPYBARA_REQUIRE_ALL=1}), as {@code .ci/run} sets
 * it, the same test FAILS instead: CI must never pass by skipping. Only the kernel limits named
 * in {@link #KERNEL_LIMITS} (a kernel built without a feature, which no install step can fix)
 * still skip there.
 */
public final class Require {
    /** Documented kernel limits of this machine that may skip even under requireAll. */
    public static final Set<String> KERNEL_LIMITS = Set.of("sch_netem");

    private Require() {
    }

    /** True when a missing capability must fail the test rather than skip it. */
    public static boolean all() {
        return Boolean.getBoolean("capybara.requireAll") || "1".equals(System.getenv("CAPYBARA_REQUIRE_ALL"))
                || "true".equalsIgnoreCase(System.getenv("CAPYBARA_REQUIRE_ALL"));
    }

    /** Skips (or, under requireAll, fails) the calling test unless {@code ok}. */
    public static void that(boolean ok, Supplier<String> reason) {
        if (ok) {
            return;
        }
        if (all()) {
            Assertions.fail("capybara.requireAll: would have skipped: " + reason.get());
        }
        Assumptions.abort(reason.get());
    }

    /** Root or CAP_NET_ADMIN: namespaces, veths, TAPs, AF_PACKET, TCP_REPAIR. */
    public static void netAdmin() {
        String problem = Topology.netAdminProblem();
        that(problem == null, () -> "needs root/CAP_NET_ADMIN: " + problem);
    }

    /** A command on the PATH. */
    public static void tool(String tool, String aptPackage) {
        that(Topology.onPath(tool), () -> "needs " + tool + " (apt-get install -y " + aptPackage + ")");
    }

    /** An executable at a fixed path. */
    public static void executable(Path path, String aptPackage) {
        that(Files.isExecutable(path), () -> "needs " + path + " (apt-get install -y " + aptPackage + ")");
    }

    /**
     * A kernel feature this machine's kernel lacks: skips even under requireAll, but only for the
     * limits named in {@link #KERNEL_LIMITS}; any other name fails (a typo must not become a skip).
     */
    public static void kernelLimit(String name, String reason) {
        if (!KERNEL_LIMITS.contains(name)) {
            Assertions.fail("not a documented kernel limit: " + name + " (" + reason + ")");
        }
        Assumptions.abort("kernel limit " + name + ": " + reason);
    }
}
