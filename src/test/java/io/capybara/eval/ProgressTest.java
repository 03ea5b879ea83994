package io.capybara.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.linux.Terminal;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void intoAFileProgressIsPlainLines() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = Progress.on(new PrintStream(buf, true, StandardCharsets.UTF_8), "overhead", 1000, false);
        for (int i = 0; i < 1000; i++) {
            p.step();
        }
        p.finish();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), out);
        assertEquals(11, out.lines().count(), out); // 0 %, 10 % ... 90 %, and the end
        assertTrue(out.lines().toList().getLast().contains("100%"), out);
    }

    @Test
    void onATerminalItIsRedrawnInPlace() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = Progress.on(new PrintStream(buf, true, StandardCharsets.UTF_8), "overhead", 10, true);
        p.step();
        p.finish();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\r") && out.endsWith("100%    0.0s\n") || out.endsWith("s\n"), out);
        assertEquals(out.length() - 1, out.indexOf('\n'), "one newline, at the end: " + out);
    }

    @Test
    void testsDoNotRunOnATerminal() {
        // surefire gives the test JVM pipes: isatty(2) says no, so commands print plain lines here
        assertFalse(Terminal.stderr());
        assertFalse(Terminal.isTerminal(-1));
    }
}
