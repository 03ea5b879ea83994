package io.capybara.rack.proc;

import java.nio.file.Path;

/** What the multi-process rack tests share. */
final class TestRacks {
    private TestRacks() {
    }

    /**
     * Default options for a test's rack: its name carries this JVM's pid, so the kernel objects
     * of two runs at once cannot collide; its files go below the test's temporary directory.
     */
    static ProcessRackOptions options(String prefix, Path dir) {
        return ProcessRackOptions.defaults(prefix + ProcessHandle.current().pid() % 100000, dir.resolve("run"));
    }
}
