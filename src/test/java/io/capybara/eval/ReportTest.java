package io.capybara.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.eval.RackExperiments.SkewSettings;
import io.capybara.eval.RackExperiments.TailSettings;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report on small synthetic inputs: files, image references, well-formed tables. */
class ReportTest {
    @TempDir
    Path dir;

    private static Evaluation.Settings tiny() {
        return new Evaluation.Settings(40, List.of(0, 1024), 10, 0, false, 1_000_000,
                new TailSettings(20, List.of(0.5, 0.8), List.of(0L, 200L, 400L), 100, 0, 10_000_000, 7),
                new SkewSettings(20, 0.6, List.of(0.0, 0.7, 1.4), 10_000_000, 7));
    }

    private Evaluation evaluation(List<MigrationSystem> systems) throws Exception {
        return new Evaluation(dir, tiny(), systems, SyntheticSystems.rack(100_000), Progress.Factory.none());
    }

    @Test
    void allExperimentsWriteFilesAndAReportThatEmbedsEveryPlot() throws Exception {
        Evaluation e = evaluation(List.of(SyntheticSystems.system(CapybaraSystem.KEY, 1, 1_000, 2_000),
                SyntheticSystems.system(LinuxRepairSystem.KEY, 2, 10_000, 20_000, 5_000)));
        OverheadExperiment.Measurements m = e.overhead(true, true);
        e.tail();
        e.skew();
        e.policy(new PolicyExperiment.Settings(100, 1.2, 1.0 / 7, 10, 10_000_000L, 40_000_000L, 1,
                io.capybara.policy.ProactiveConfig.defaults()));
        Path reportFile = e.writeReport("test");
        String report = Files.readString(reportFile);

        for (String f : List.of("overhead.png", "cdf.png", "tail.png", "skew_latency.png", "skew_throughput.png",
                "overhead_summary.csv", "overhead_steps.csv", "cdf.csv", "tail.csv", "skew.csv", "policy.csv",
                "policy_p99.png", "policy_load.png")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f + " missing or empty");
        }
        // Every PNG written is referenced, and every reference is a readable PNG.
        Set<String> pngs = new TreeSet<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).forEach(pngs::add);
        }
        List<String> referenced = Report.images(report);
        assertEquals(pngs, new TreeSet<>(referenced), "REPORT.md must embed exactly the PNGs written");
        for (String r : referenced) {
            BufferedImage img = ImageIO.read(dir.resolve(r).toFile());
            assertTrue(img != null && img.getWidth() > 100, r + " is not a readable image");
        }
        assertTablesWellFormed(report);
        // Machine and parameters are stated.
        assertTrue(report.contains("CPU model") && report.contains("kernel") && report.contains("JDK"), report);
        assertTrue(report.contains("40 distinct connections"), "migration count stated");
        // The ratio in the report is the one computed from the samples, not a constant.
        double ratio = m.ratioMean(LinuxRepairSystem.KEY, CapybaraSystem.KEY, 1024);
        assertTrue(ratio > 1, "synthetic Linux is slower: " + ratio);
        assertTrue(report.contains(MarkdownTable.num(ratio)), "ratio " + ratio + " not in report");
        assertFalse(report.contains("## Not run"), "all sections ran");
        // CSVs hold one line per migration / point.
        assertEquals(1 + 2 * 2 * 40, Files.readAllLines(dir.resolve("cdf.csv")).size());
        assertEquals(1 + 2 * (1 + 3), Files.readAllLines(dir.resolve("tail.csv")).size());
        assertEquals(1 + 3 * 3, Files.readAllLines(dir.resolve("skew.csv")).size());
    }

    @Test
    void anUnavailableSystemIsReportedNotFaked() throws Exception {
        Evaluation e = evaluation(List.of(SyntheticSystems.system(CapybaraSystem.KEY, 1, 1_000),
                SyntheticSystems.unavailable(LinuxRepairSystem.KEY, "needs root for the test")));
        OverheadExperiment.Measurements m = e.overhead(true, true);
        assertEquals("needs root for the test", m.unavailable().get(LinuxRepairSystem.KEY));
        assertTrue(Double.isNaN(m.ratioMean(LinuxRepairSystem.KEY, CapybaraSystem.KEY, 1024)));
        String report = Files.readString(e.writeReport("test"));
        assertTrue(report.contains("Not measured: " + LinuxRepairSystem.KEY) && report.contains("needs root for the test"),
                report);
        assertFalse(report.contains("Ratios"), "no ratio without both systems");
        assertTrue(report.contains("## Not run") && report.contains("tail") && report.contains("skew"),
                "sections not run are listed");
        assertTablesWellFormed(report);
    }

    @Test
    void sectionsAccumulateAcrossSeparateRuns() throws Exception {
        Evaluation first = evaluation(List.of(SyntheticSystems.system(CapybaraSystem.KEY, 1, 1_000)));
        first.skew();
        first.writeReport("first");
        Evaluation second = evaluation(List.of(SyntheticSystems.system(CapybaraSystem.KEY, 1, 1_000)));
        second.tail();
        String report = Files.readString(second.writeReport("second"));
        assertTrue(report.indexOf("Figure 1") < report.indexOf("under skew"), "paper order: tail before skew");
        assertTrue(report.contains("skew_latency.png") && report.contains("tail.png"));
    }

    /** Every Markdown table: a header, a separator of as many columns, rows of as many cells. */
    static void assertTablesWellFormed(String markdown) {
        List<String> lines = markdown.lines().toList();
        int tables = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("|") || (i > 0 && lines.get(i - 1).startsWith("|"))) {
                continue;
            }
            tables++;
            List<String> block = new ArrayList<>();
            for (int j = i; j < lines.size() && lines.get(j).startsWith("|"); j++) {
                block.add(lines.get(j));
            }
            int columns = cells(block.get(0));
            assertTrue(block.size() >= 2, "table without separator at line " + (i + 1));
            assertTrue(block.get(1).matches("\\|(---\\|)+"), "bad separator: " + block.get(1));
            for (String row : block) {
                assertEquals(columns, cells(row), String.format(Locale.ROOT, "row '%s' of table at line %d", row, i + 1));
                assertTrue(row.endsWith("|"), row);
            }
        }
        assertTrue(tables > 0, "no tables");
    }

    private static int cells(String row) {
        int n = -1;
        for (int i = 0; i < row.length(); i++) {
            if (row.charAt(i) == '|' && (i == 0 || row.charAt(i - 1) != '\\')) {
                n++;
            }
        }
        return n;
    }
}
