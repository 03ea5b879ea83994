package io.capybara.bench;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A benchmark of this tree against an earlier commit (or several), in one run, rounds
 * alternating which goes first: on a noisy machine only figures taken side by side compare. The
 * earlier commit is cloned from this repository into {@code target/compare/<commit>} and built
 * by its own {@code ./capybara}; then each round runs the same measurement in each tree, either JMH
 * benchmarks by regular expression (JMH's own runner on each tree's classes, same settings for
 * both) or a {@code ./capybara ... --json} command whose numeric outputs are picked by key. A
 * key's ratio is this tree's figure over the earlier one's, round by round.
 */
public final class Compare {
    /** One figure compared: its values per round in each tree and their ratios (current / base). */
    public record Series(String key, String baseKey, double[] base, double[] current) {
        public double[] ratios() {
            double[] r = new double[base.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = current[i] / base[i];
            }
            return r;
        }

        public double ratioMedian() {
            return LossBench.median(ratios());
        }

        public double ratioMin() {
            return Arrays.stream(ratios()).min().orElse(Double.NaN);
        }

        public double ratioMax() {
            return Arrays.stream(ratios()).max().orElse(Double.NaN);
        }
    }

    /** A figure asked for by {@code --key} that a tree's output does not have. */
    public static final class MissingFigure extends IllegalArgumentException {
        MissingFigure(String message) {
            super(message);
        }
    }

    /** What ran: the base commit, this tree's commit, the measurement, and the figures. */
    public record Result(String baseCommit, String currentCommit, String measurement, int rounds,
                         List<Series> series) {
    }

    /** How one round measures a tree: a JMH regex or a capybara command line. */
    public sealed interface Measurement {
        Map<String, Double> run(Path tree) throws IOException, InterruptedException;

        String describe();
    }

    /**
     * JMH benchmarks matching {@code regex}, run by JMH's own command-line runner on the tree's
     * classes: one fork with the tree's JVM flags, {@code warmups} and {@code iterations} of one
     * second. Keys are the benchmark methods' names (ns per operation as the benchmark says).
     */
    public record Jmh(String regex, int warmups, int iterations) implements Measurement {
        @Override
        public Map<String, Double> run(Path tree) throws IOException, InterruptedException {
            Path out = Files.createTempFile("capybara-compare", ".json");
            try {
                String flags = buildFlags(tree);
                List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-cp", classpath(tree),
                        "org.openjdk.jmh.Main", regex, "-f", "1", "-wi", Integer.toString(warmups), "-w", "1s",
                        "-i", Integer.toString(iterations), "-r", "1s", "-rf", "json", "-rff", out.toString()));
                if (!flags.isBlank()) {
                    cmd.add("-jvmArgsAppend");
                    cmd.add(flags);
                }
                exec(tree, cmd, "JMH");
                return jmhScores(Files.readString(out));
            } finally {
                Files.deleteIfExists(out);
            }
        }

        @Override
        public String describe() {
            return "jmh " + regex + " (" + warmups + " warm-up and " + iterations + " measured iterations of 1 s)";
        }
    }

    /** {@code ./capybara args...} in the tree; its JSON's numeric fields by dotted path. */
    public record Cli(List<String> args) implements Measurement {
        @Override
        public Map<String, Double> run(Path tree) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>();
            cmd.add(tree.resolve("capybara").toString());
            cmd.addAll(args);
            return numbers(exec(tree, cmd, "./capybara " + String.join(" ", args)));
        }

        @Override
        public String describe() {
            return "./capybara " + String.join(" ", args);
        }
    }

    private Compare() {
    }

    /**
     * This tree against each of {@code baseCommits} (one {@link Result} per commit, in their
     * order), {@code rounds} rounds: each round runs every tree once, the order rotating from
     * round to round (with one commit: alternating which goes first), so that where a figure
     * changed between the commits shows in one run. Keys are {@code {current, base}} pairs (the
     * same name twice unless a figure was renamed); with no keys, every key both trees report.
     */
    public static List<Result> run(Path tree, List<String> baseCommits, Measurement m, int rounds,
                                   List<String[]> keys, Consumer<String> progress)
            throws IOException, InterruptedException {
        List<String> bases = new ArrayList<>();
        List<Path> trees = new ArrayList<>(List.of(tree));
        for (String c : baseCommits) {
            bases.add(resolve(tree, c));
        }
        for (String base : bases) {
            trees.add(prepare(tree, base, progress));
        }
        List<List<Map<String, Double>>> runs = new ArrayList<>(); // per tree, then per round
        for (int t = 0; t < trees.size(); t++) {
            runs.add(new ArrayList<>());
        }
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < trees.size(); k++) {
                int t = (k + r) % trees.size(); // two trees: alternating which goes first
                progress.accept("round " + (r + 1) + "/" + rounds + ": "
                        + (t == 0 ? "this tree" : bases.get(t - 1).substring(0, 10)));
                runs.get(t).add(m.run(trees.get(t)));
            }
            if (r == 0) {
                for (String[] k : keys) { // a misspelt key fails after one round, not after all
                    values(runs.getFirst(), k[0], "this tree");
                    for (int t = 1; t < trees.size(); t++) {
                        values(runs.get(t), k[1], bases.get(t - 1).substring(0, 10));
                    }
                }
            }
        }
        String current = git(tree, "rev-parse", "HEAD") + (git(tree, "status", "--porcelain", "--untracked-files=no")
                .isEmpty() ? "" : " (with uncommitted changes)");
        List<Result> results = new ArrayList<>();
        for (int t = 1; t < trees.size(); t++) {
            List<Map<String, Double>> baseRuns = runs.get(t);
            List<String[]> pairs = keys.isEmpty() ? common(baseRuns.getFirst(), runs.getFirst().getFirst()) : keys;
            List<Series> series = new ArrayList<>();
            for (String[] k : pairs) {
                series.add(new Series(k[0], k[1], values(baseRuns, k[1], "the base"),
                        values(runs.getFirst(), k[0], "this tree")));
            }
            results.add(new Result(bases.get(t - 1), current, m.describe(), rounds, series));
        }
        return results;
    }

    /** The full hash of {@code commit} in the tree's repository; an unknown one is an error. */
    static String resolve(Path tree, String commit) throws IOException, InterruptedException {
        if (!commit.matches("[0-9A-Za-z._/~^-]{1,100}")) {
            throw new IllegalArgumentException("'" + commit + "' is not a commit name");
        }
        String full = git(tree, "rev-parse", "--verify", "--quiet", commit + "^{commit}");
        if (full.isEmpty()) {
            throw new IllegalArgumentException("no commit '" + commit + "' in " + tree);
        }
        return full;
    }

    /** A clone of the tree's repository at {@code commit} under target/compare, built by its own script. */
    static Path prepare(Path tree, String commit, Consumer<String> progress) throws IOException, InterruptedException {
        Path dir = tree.resolve("target").resolve("compare").resolve(commit);
        if (!Files.isDirectory(dir.resolve(".git"))) {
            progress.accept("cloning " + commit.substring(0, 10) + " into " + dir);
            Files.createDirectories(dir.getParent());
            exec(tree, List.of("git", "clone", "-q", "--shared", "--no-checkout", tree.toString(), dir.toString()),
                    "git clone");
            exec(dir, List.of("git", "checkout", "-q", "--detach", commit), "git checkout");
        }
        progress.accept("building " + commit.substring(0, 10) + " (its ./capybara builds when needed)");
        exec(dir, List.of(dir.resolve("capybara").toString(), "--version"), "building " + commit);
        return dir;
    }

    /** Every value of {@code key} over the runs; a run without it is a {@link MissingFigure} naming what there was. */
    private static double[] values(List<Map<String, Double>> runs, String key, String where) {
        double[] v = new double[runs.size()];
        for (int i = 0; i < v.length; i++) {
            Double x = find(runs.get(i), key);
            if (x == null) {
                throw new MissingFigure("no figure '" + key + "' in " + where + "'s output; it has "
                        + String.join(", ", runs.get(i).keySet()));
            }
            v[i] = x;
        }
        return v;
    }

    /** The value at a dotted path equal to {@code key} or ending in "." + key (the first such). */
    static Double find(Map<String, Double> figures, String key) {
        Double exact = figures.get(key);
        if (exact != null) {
            return exact;
        }
        for (Map.Entry<String, Double> e : figures.entrySet()) {
            if (e.getKey().endsWith("." + key)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static List<String[]> common(Map<String, Double> base, Map<String, Double> current) {
        List<String[]> keys = new ArrayList<>();
        for (String k : current.keySet()) {
            if (base.containsKey(k)) {
                keys.add(new String[]{k, k});
            }
        }
        return keys;
    }

    /** JMH's JSON results: benchmark method name (and parameters) to its primary score. */
    static Map<String, Double> jmhScores(String json) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Object o : (List<?>) JSON.std.anyFrom(json)) {
            Map<?, ?> b = (Map<?, ?>) o;
            String name = String.valueOf(b.get("benchmark"));
            name = name.substring(name.lastIndexOf('.') + 1);
            if (b.get("params") instanceof Map<?, ?> params) {
                StringBuilder s = new StringBuilder(name);
                params.forEach((k, v) -> s.append('[').append(k).append('=').append(v).append(']'));
                name = s.toString();
            }
            Object score = ((Map<?, ?>) b.get("primaryMetric")).get("score");
            out.put(name, ((Number) score).doubleValue());
        }
        return out;
    }

    /** The numeric fields of a JSON object by dotted path ({@code a.b.c}; array items as {@code a.0}). */
    static Map<String, Double> numbers(String json) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        flatten("", JSON.std.anyFrom(json), out);
        return out;
    }

    private static void flatten(String path, Object v, Map<String, Double> out) {
        String prefix = path.isEmpty() ? "" : path + ".";
        switch (v) {
            case Map<?, ?> m -> m.forEach((k, x) -> flatten(prefix + k, x, out));
            case List<?> l -> {
                for (int i = 0; i < l.size(); i++) {
                    flatten(prefix + i, l.get(i), out);
                }
            }
            case Number n -> out.put(path, n.doubleValue());
            case null, default -> {
            }
        }
    }

    private static String buildFlags(Path tree) throws IOException {
        try (var in = Files.newInputStream(tree.resolve("target/classes/capybara/build.properties"))) {
            return JmhRunner.flags(in);
        }
    }

    private static String classpath(Path tree) {
        return tree.resolve("target/classes") + java.io.File.pathSeparator + tree.resolve("target/lib") + "/*";
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String git(Path tree, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", tree.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return p.waitFor() == 0 ? out : "";
    }

    /** Runs a command in {@code dir}, its stderr passed through; its stdout, or an error with its exit code. */
    private static String exec(Path dir, List<String> cmd, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor(); // its stdout closed: it has ended or is about to
        if (exit != 0) {
            throw new IllegalStateException(what + " failed (exit " + exit + ") in " + dir);
        }
        return out;
    }
}
