package io.capybara.io.linux;

import io.capybara.testing.Require;

/** JUnit helper: tests that build real Linux topologies skip (or fail under requireAll) when they can't. */
public final class NetAdmin {
    private NetAdmin() {
    }

    /** Skips the calling test unless this JVM can create namespaces, veths and TAPs; see {@link Require}. */
    public static void assumeNetAdmin() {
        Require.netAdmin();
    }

    /**
     * {@link #assumeNetAdmin}, then {@link #assumeTool} for each of {@code tools} (each the name
     * of its Debian package too).
     */
    public static void assumeNetAdminAnd(String... tools) {
        assumeNetAdmin();
        for (String t : tools) {
            assumeTool(t, t);
        }
    }

    /** Skips the calling test unless {@code tool} is on the PATH; see {@link Require}. */
    public static void assumeTool(String tool, String aptPackage) {
        Require.tool(tool, aptPackage);
    }
}
