package io.capybara.telemetry;

import java.io.PrintStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.Locale;
import java.util.logging.StreamHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * Log lines through {@code System.Logger} (backed by java.util.logging, the JDK's own: no
 * extra dependency), one line each on stderr:
 * {@code 2026-12-06T16:50:01.123Z INFO  capybara.switch: server 10.0.0.2 joined}.
 * Levels: error, warning, info (default), debug. Nodes log events from their loop's tick or
 * from events the engine reports, never per packet.
 */
public final class Logs {
    private Logs() {
    }

    /** One line per record on stderr at {@code level} (error, warning, info, debug, trace). */
    public static void configure(String level) {
        configure(level, System.err);
    }

    /** As {@link #configure(String)}, onto {@code out} (tests). */
    public static void configure(String level, PrintStream out) {
        java.util.logging.Level l = julLevel(level);
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        // a StreamHandler, flushed per record: ConsoleHandler.setOutputStream would close System.err
        Handler h = new StreamHandler(out, new OneLine()) {
            @Override
            public synchronized void publish(LogRecord r) {
                super.publish(r);
                flush();
            }

            @Override
            public synchronized void close() {
                flush(); // never close the stream: it is stderr
            }
        };
        h.setLevel(java.util.logging.Level.ALL);
        root.addHandler(h);
        root.setLevel(l);
    }

    static java.util.logging.Level julLevel(String level) {
        return switch (level.toLowerCase(Locale.ROOT)) {
            case "error" -> java.util.logging.Level.SEVERE;
            case "warning", "warn" -> java.util.logging.Level.WARNING;
            case "info" -> java.util.logging.Level.INFO;
            case "debug" -> java.util.logging.Level.FINE;
            case "trace" -> java.util.logging.Level.FINEST;
            default -> throw new IllegalArgumentException("expected error, warning, info, debug or trace, got '"
                    + level + "'");
        };
    }

    /** Logs {@code String.format(format, args)} if the level is on (no formatting cost otherwise). */
    public static void log(Logger logger, Level level, String format, Object... args) {
        if (logger.isLoggable(level)) {
            logger.log(level, String.format(Locale.ROOT, format, args));
        }
    }

    private static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            String level = switch (r.getLevel().intValue()) {
                case 1000 -> "ERROR";
                case 900 -> "WARN ";
                case 800 -> "INFO ";
                default -> r.getLevel().intValue() < 800 ? "DEBUG" : r.getLevel().getName();
            };
            StringBuilder sb = new StringBuilder().append(Instant.ofEpochMilli(r.getMillis())).append(' ').append(level)
                    .append(' ').append(r.getLoggerName()).append(": ").append(formatMessage(r).replace('\n', ' '));
            if (r.getThrown() != null) {
                sb.append(": ").append(r.getThrown());
            }
            return sb.append(System.lineSeparator()).toString();
        }
    }
}
