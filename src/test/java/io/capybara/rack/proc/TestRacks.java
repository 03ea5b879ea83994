package io.capybara.rack.proc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * What rack_client.py reported at its end: a {@code conn} line per connection (split on
     * spaces) and the seconds it ran.
     */
    record ClientReport(List<String[]> conns, double elapsed) {
        /** Reads the client's output to its end, echoing each line to {@code log}. */
        static ClientReport read(BufferedReader lines, PrintStream log) throws IOException {
            List<String[]> conns = new ArrayList<>();
            double elapsed = 0;
            for (String line; (line = lines.readLine()) != null; ) {
                log.println("client: " + line);
                if (line.startsWith("conn ")) {
                    conns.add(line.split(" "));
                } else if (line.startsWith("elapsed ")) {
                    elapsed = Double.parseDouble(line.split(" ")[1]);
                }
            }
            return new ClientReport(conns, elapsed);
        }
    }
}
