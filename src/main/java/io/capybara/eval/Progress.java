package io.capybara.eval;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr, one per experiment: redrawn in place at most every 100 ms, so a
 * run of 10,000 migrations costs a few hundred writes, not 10,000. {@link #silent()} for tests.
 */
public class Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long started = System.nanoTime();
    private long lastDraw;
    private long done;

    private Progress(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
    }

    public static Progress bar(String label, long total) {
        return new Progress(System.err, label, total);
    }

    public static Progress silent() {
        return new Progress(null, "", 1);
    }

    /** Makes the bars of a run: on stderr from the command line, none in tests. */
    @FunctionalInterface
    public interface Factory {
        Progress open(String label, long total);

        static Factory stderr() {
            return Progress::bar;
        }

        static Factory none() {
            return (label, total) -> silent();
        }
    }

    public long done() {
        return done;
    }

    public void set(long value) {
        done = Math.min(value, total);
        long now = System.nanoTime();
        if (out != null && done < total && now - lastDraw > 100_000_000L) {
            lastDraw = now;
            draw(false);
        }
    }

    public void step() {
        set(done + 1);
    }

    public void finish() {
        done = total;
        if (out != null) {
            draw(true);
        }
    }

    private void draw(boolean last) {
        int filled = (int) (WIDTH * done / total);
        double secs = (System.nanoTime() - started) / 1e9;
        out.printf(Locale.ROOT, "\r%-52s [%s%s] %3d%% %7.1fs%s", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                100 * done / total, secs, last ? "\n" : "");
        out.flush();
    }
}
