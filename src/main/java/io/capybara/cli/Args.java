package io.capybara.cli;

import java.math.BigDecimal;

/**
 * Range checks of option values. Each names the option in its error, e.g.
 * {@code capybara demo: --duration: must be > 0, got -1}, and exits 2 through {@link Main}.
 */
public final class Args {
    private Args() {
    }

    /** {@code value > 0}. */
    public static double positive(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw CliException.usage(option, "must be > 0, got " + text(value));
        }
        return value;
    }

    /** {@code value > 0}, or null (not given). */
    public static Double positive(String option, Double value) {
        return value == null ? null : positive(option, value.doubleValue());
    }

    /** {@code value >= min}. */
    public static long atLeast(String option, long value, long min) {
        if (value < min) {
            throw CliException.usage(option, "must be >= " + min + ", got " + value);
        }
        return value;
    }

    /** {@code value >= min}. */
    public static double atLeast(String option, double value, double min) {
        if (!(value >= min) || Double.isInfinite(value)) {
            throw CliException.usage(option, "must be >= " + text(min) + ", got " + text(value));
        }
        return value;
    }

    /** {@code min <= value <= max}. */
    public static long between(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw CliException.usage(option, "must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }

    /** {@code min <= value <= max}. */
    public static double between(String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw CliException.usage(option, "must be in [" + text(min) + ", " + text(max) + "], got " + text(value));
        }
        return value;
    }

    /** A positive whole number of seconds given as a decimal (wrk takes whole seconds). */
    public static int wholeSeconds(String option, double value, int min) {
        atLeast(option, value, min);
        if (value != Math.rint(value) || value > Integer.MAX_VALUE) {
            throw CliException.usage(option, "wrk runs whole seconds, got " + text(value));
        }
        return (int) value;
    }

    /** One of {@code choices}. */
    public static String oneOf(String option, String value, String... choices) {
        for (String c : choices) {
            if (c.equals(value)) {
                return value;
            }
        }
        throw CliException.usage(option, "expected " + String.join(" or ", choices) + ", got '" + value + "'");
    }

    /**
     * Options that mean nothing in this mode are refused rather than ignored, e.g.
     * {@code capybara simulate: --count: only with --migrations}.
     */
    public static void refuse(picocli.CommandLine.Model.CommandSpec spec, String why, String... options) {
        picocli.CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        for (String o : options) {
            if (pr != null && pr.hasMatchedOption(o)) {
                throw CliException.usage(o, why);
            }
        }
    }

    /** A number as the user would have typed it: -1, not -1.0. */
    static String text(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }
}
