package io.capybara.io.linux;

import org.junit.jupiter.api.Assumptions;

/** JUnit helper: tests that build real Linux topologies skip, with the reason, when they can't. */
public final class NetAdmin {
    private NetAdmin() {
    }

    /** Skips the calling test unless this JVM can create namespaces, veths and TAPs. */
    public static void assumeNetAdmin() {
        String problem = Topology.netAdminProblem();
        Assumptions.assumeTrue(problem == null, () -> "needs root/CAP_NET_ADMIN: " + problem);
    }

    /** Skips the calling test unless {@code tool} is on the PATH. */
    public static void assumeTool(String tool, String aptPackage) {
        Assumptions.assumeTrue(Topology.onPath(tool),
                () -> "needs " + tool + " (apt-get install -y " + aptPackage + ")");
    }
}
