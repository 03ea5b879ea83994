package io.capybara.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ServerConfigFileTest {
    @TempDir
    Path dir;

    @Test
    void linesBecomeOptionsCommentsAndBlankLinesAreSkipped() throws Exception {
        Path f = dir.resolve("s0.conf");
        Files.writeString(f, """
                # rack server 0
                packet-if cjv0a
                ip 10.77.250.10/24   # its address
                switch 10.77.250.254

                migrate-every-ms 20
                quiet
                """);
        assertEquals(List.of("--packet-if", "cjv0a", "--ip", "10.77.250.10/24", "--switch", "10.77.250.254",
                "--migrate-every-ms", "20", "--quiet"), ServerCommand.configArgs(f));
    }

    @Test
    void aConfigInsideAConfigIsRefused() throws Exception {
        Path f = dir.resolve("loop.conf");
        Files.writeString(f, "config other.conf\n");
        assertThrows(IllegalArgumentException.class, () -> ServerCommand.configArgs(f));
    }
}
