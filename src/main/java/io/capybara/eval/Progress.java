package io.capybara.eval;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr, one per experiment: redrawn in place at most every 100 ms, so a
 * run of 10,000 migrations costs a few hundred writes, not 10,000. Into a file or a pipe (stderr
 * not a terminal) it prints plain lines instead, one per 10 % and at the end.
 * {@link #silent()} for tests.
 */
public class Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long started = System.nanoTime();
    private final boolean redraw;
    private long lastDraw;
    private long lastTenth = -1;
    private long done;

    private Progress(PrintStream out, String label, long total, boolean redraw) {
        this.out = out;
        this.redraw = redraw;
        this.label = label;
        this.total = Math.max(1, total);
    }

    public static Progress bar(String label, long total) {
        return new Progress(System.err, label, total, io.capybara.io.linux.Terminal.stderr());
    }

    /** A bar on {@code out}: redrawn in place if {@code redraw}, else plain lines. */
    public static Progress on(PrintStream out, String label, long total, boolean redraw) {
        return new Progress(out, label, total, redraw);
    }

    public static Progress silent() {
        return new Progress(null, "", 1, false);
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
        if (out == null || done >= total) {
            return;
        }
        if (redraw && now - lastDraw > 100_000_000L) {
            lastDraw = now;
            draw(false);
        } else if (!redraw && 10 * done / total != lastTenth) {
            lastTenth = 10 * done / total;
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
        out.printf(Locale.ROOT, "%s%-52s [%s%s] %3d%% %7.1fs%s", redraw ? "\r" : "", label, "#".repeat(filled),
                ".".repeat(WIDTH - filled), 100 * done / total, secs, last || !redraw ? "\n" : "");
        out.flush();
    }
}
