package io.capybara.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
    @TempDir
    Path dir;

    @Test
    void writesReadablePngsOfEveryKind() throws Exception {
        Map<String, Map<String, Double>> steps = Charts.ordered();
        steps.put("capybara", Map.of("serialize", 1.0, "send", 0.5));
        steps.put("linux", Map.of("export", 15.0, "import", 20.0));
        Charts.stackedBars(dir.resolve("a.png"), "overhead", "us", steps);
        Charts.cdf(dir.resolve("b.png"), "cdf", "us", Map.of("x", new double[] {1, 2, 3, 10}), true);
        Charts.lines(dir.resolve("c.png"), "tail", "delay", "p99", Map.of("load", List.of(new double[] {0, 1},
                new double[] {100, 5})), false);
        for (String f : List.of("a.png", "b.png", "c.png")) {
            BufferedImage img = ImageIO.read(dir.resolve(f).toFile());
            assertEquals(900, img.getWidth());
            assertTrue(Files.size(dir.resolve(f)) > 5_000, f + " looks empty");
        }
    }
}
