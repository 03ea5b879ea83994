package io.capybara.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.cli.Json;
import io.capybara.testing.CliRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code bench compare}: its parsing and arithmetic, its errors, and one real run against this commit. */
class CompareTest {
    @Test
    void jmhResultsGiveEachBenchmarkItsPrimaryScoreByMethodName() throws Exception {
        String json = """
                [{"benchmark":"io.capybara.bench.TcpSegmentBench.send","mode":"avgt",
                  "primaryMetric":{"score":101.5,"scoreUnit":"ns/op"}},
                 {"benchmark":"io.capybara.bench.EchoBench.echo","params":{"size":"64"},
                  "primaryMetric":{"score":7,"scoreUnit":"ns/op"}}]""";
        assertEquals(Map.of("send", 101.5, "echo[size=64]", 7.0), Compare.jmhScores(json));
    }

    @Test
    void aCommandsNumbersAreFoundByPathOrByTheirLastPart() throws Exception {
        Map<String, Double> f = Compare.numbers("""
                {"name":"x","p50":1.5,"rates":[{"ratio":0.5},{"ratio":0.7}],"nested":{"p50":9,"ok":true}}""");
        assertEquals(Map.of("p50", 1.5, "rates.0.ratio", 0.5, "rates.1.ratio", 0.7, "nested.p50", 9.0), f);
        assertEquals(1.5, Compare.find(f, "p50"), "an exact path first");
        assertEquals(0.5, Compare.find(f, "ratio"), "else the first path ending in it");
        assertEquals(0.7, Compare.find(f, "1.ratio"));
        assertNull(Compare.find(f, "atio"), "a last part is whole, not a suffix of one");
    }

    @Test
    void ratiosAreThisTreeOverTheBaseRoundByRound() {
        Compare.Series s = new Compare.Series("send", "send", new double[]{100, 200, 50}, new double[]{110, 180, 100});
        assertArrayEquals(new double[]{1.1, 0.9, 2.0}, s.ratios(), 1e-12);
        assertEquals(1.1, s.ratioMedian(), 1e-12);
        assertEquals(0.9, s.ratioMin(), 1e-12);
        assertEquals(2.0, s.ratioMax(), 1e-12);
    }

    @Test
    void anUnknownOrMalformedCommitIsRefusedBeforeAnythingIsCloned() {
        Path here = Path.of("").toAbsolutePath();
        assertThrows(IllegalArgumentException.class, () -> Compare.resolve(here, "no-such-commit-anywhere"));
        assertThrows(IllegalArgumentException.class, () -> Compare.resolve(here, "HEAD; rm -rf /"));
    }

    @Test
    void wrongInputGetsOneLineAndExitTwo() {
        for (String[] args : List.of(
                new String[]{"bench", "compare", "--base", "no-such-commit-anywhere", "--jmh", "X"},
                new String[]{"bench", "compare", "--base", "HEAD"},
                new String[]{"bench", "compare", "--base", "HEAD", "--jmh", "X", "--", "simulate", "--json"},
                new String[]{"bench", "compare", "--base", "HEAD", "--", "simulate", "--json"},
                new String[]{"bench", "compare", "--base", "HEAD", "--key", "a=", "--", "simulate", "--json"},
                new String[]{"bench", "compare", "--base", "HEAD", "--rounds", "0", "--jmh", "X"},
                new String[]{"bench", "compare", "--base", "HEAD", "--iterations", "5", "--jmh", "X"},
                new String[]{"bench", "compare", "--base", "HEAD", "--iterations", "5,0", "--jmh", "X"},
                new String[]{"bench", "compare", "--base", "HEAD", "--base", "no-such-commit-anywhere", "--jmh", "X"})) {
            CliRun r = CliRun.of(args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    /**
     * This commit against itself on figures of the deterministic simulator: the clone is built
     * by its own script, both trees run, and every round's ratio is exactly 1; a figure compared
     * with another of the base's (NAME=BASE_NAME) divides the one by the other. Given twice, the
     * commit is measured twice per round (three trees rotating) and "bases" holds both results.
     */
    @Test
    void thisCommitAgainstItselfOnADeterministicFigureGivesRatioOneEveryRound() {
        CliRun r = CliRun.of("bench", "compare", "--base", "HEAD", "--base", "HEAD", "--rounds", "2", "--key", "frames",
                "--key", "bytes_delivered=frames", "--json", "--", "simulate", "--seeds", "3", "--first-seed", "1",
                "--json");
        assertEquals(0, r.exit(), r.err());
        Map<?, ?> out = (Map<?, ?>) Json.parse(r.out());
        assertEquals(2, ((Number) out.get("rounds")).intValue());
        Map<?, ?> figures = (Map<?, ?>) out.get("figures");
        Map<?, ?> frames = (Map<?, ?>) figures.get("frames");
        assertEquals(List.of(1.0, 1.0), frames.get("ratios"));
        double perFrame = ((Number) ((List<?>) ((Map<?, ?>) figures.get("bytes_delivered")).get("ratios")).get(0))
                .doubleValue();
        double bytes = ((Number) ((List<?>) ((Map<?, ?>) figures.get("bytes_delivered")).get("current")).get(0))
                .doubleValue();
        double frameCount = ((Number) ((List<?>) frames.get("base")).get(0)).doubleValue();
        assertTrue(frameCount > 0 && bytes > 0);
        assertEquals(bytes / frameCount, perFrame, 1e-9);
        assertEquals("frames", ((Map<?, ?>) figures.get("bytes_delivered")).get("base_key"));
        List<?> bases = (List<?>) out.get("bases");
        assertEquals(2, bases.size());
        for (Object b : bases) {
            assertEquals(out.get("base"), ((Map<?, ?>) b).get("base"));
            Map<?, ?> f = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) b).get("figures")).get("frames");
            assertEquals(List.of(1.0, 1.0), f.get("ratios"));
        }
        assertEquals(6, r.err().lines().filter(l -> l.startsWith("round ")).count(), "3 trees, 2 rounds: " + r.err());
        assertTrue(r.err().contains("round 2/2: this tree"), r.err());
    }
}
