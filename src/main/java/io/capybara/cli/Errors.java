package io.capybara.cli;

import io.capybara.io.linux.LinuxCallException;
import io.capybara.io.linux.LinuxCalls;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * How every command reports an error: one line on stderr,
 * {@code capybara <command>: <what>: <why>}, exit 2 for usage and configuration errors and 1
 * for failures at run time, the stack trace only with {@code --verbose} or
 * {@code CAPYBARA_DEBUG=1}. Installed on the whole command tree by {@link Main#commandLine()},
 * so a new subcommand gets it by throwing {@link CliException} (or an
 * {@link IllegalArgumentException}, whose message then is the "what: why").
 */
final class Errors implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    static final String DEBUG_ENV = "CAPYBARA_DEBUG";

    /** A wrong option or argument that picocli found while parsing. */
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName(" ");
        err.println(name + ": " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
        if (verbose(args)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return CliException.USAGE;
    }

    /** An exception out of a command's {@code call()}. */
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        Line line = describe(ex);
        err.println(cmd.getCommandSpec().qualifiedName(" ") + ": " + oneLine(line.text()));
        if (verbose(parsed)) {
            ex.printStackTrace(err);
        } else if (line.exitCode() == CliException.FAILURE && line.unexpected()) {
            err.println("(an unexpected error: run again with --verbose or " + DEBUG_ENV + "=1 for the stack trace)");
        }
        err.flush();
        return line.exitCode();
    }

    /** The text after {@code capybara <command>: } and the exit code. */
    record Line(String text, int exitCode, boolean unexpected) {
    }

    static Line describe(Throwable t) {
        t = unwrap(t);
        return switch (t) {
            case CliException c -> new Line(c.getMessage(), c.exitCode(), false);
            case ParameterException p -> new Line(p.getMessage(), CliException.USAGE, false);
            case LinuxCallException l -> linux(l);
            case NoSuchFileException f -> new Line(f.getFile() + ": no such file", CliException.USAGE, false);
            case AccessDeniedException f -> new Line(f.getFile() + ": permission denied", CliException.USAGE, false);
            case FileSystemException f -> new Line(f.getFile() + ": " + f.getReason(), CliException.FAILURE, false);
            // Configuration input (addresses, config files, option values) is checked with
            // IllegalArgumentException whose message names the input and the problem.
            case IllegalArgumentException i when i.getMessage() != null ->
                    new Line(i.getMessage(), CliException.USAGE, false);
            case IOException io -> new Line(text(io), CliException.FAILURE, false);
            default -> new Line(text(t), CliException.FAILURE, true);
        };
    }

    private static Line linux(LinuxCallException l) {
        int errno = l.errno();
        if (errno == LinuxCalls.EPERM || errno == 13 /* EACCES */) {
            return new Line(l.subject() + ": " + l.call() + ": " + LinuxCalls.strerror(errno)
                    + ": needs root or CAP_NET_ADMIN (run as root, or grant the capability to java)",
                    CliException.USAGE, false);
        }
        if (errno == LinuxCalls.ENODEV) {
            return new Line(l.subject() + ": no such network interface", CliException.USAGE, false);
        }
        return new Line(l.subject() + ": " + l.call() + ": " + LinuxCalls.strerror(errno) + " (errno " + errno + ")",
                CliException.FAILURE, false);
    }

    /** One line, even when a message quotes a tool's multi-line output. */
    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static String text(Throwable t) {
        String m = t.getMessage();
        String kind = t.getClass().getSimpleName();
        return m == null || m.isBlank() ? kind : kind + ": " + m;
    }

    /** The exception that says what went wrong, not the wrappers around it. */
    private static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException
                || t instanceof UncheckedIOException || t instanceof java.lang.reflect.InvocationTargetException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static boolean debugEnv() {
        String v = System.getenv(DEBUG_ENV);
        return v != null && !v.isEmpty() && !v.equals("0");
    }

    private static boolean verbose(String[] args) {
        if (debugEnv()) {
            return true;
        }
        for (String a : args) {
            if (a.equals("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static boolean verbose(ParseResult parsed) {
        if (debugEnv()) {
            return true;
        }
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
