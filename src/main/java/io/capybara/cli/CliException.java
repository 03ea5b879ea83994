package io.capybara.cli;

/**
 * An error a user can act on. {@link Main} prints it as one line,
 * {@code capybara <command>: <what>: <why>}, and exits with {@link #exitCode()}: 2 for a usage
 * or configuration error (the command never started its work), 1 for a failure at run time.
 * Commands throw it; they never print errors or call {@code System.exit} themselves.
 */
public final class CliException extends RuntimeException {
    /** Exit code of a wrong command line or configuration. */
    public static final int USAGE = 2;
    /** Exit code of a failure while running. */
    public static final int FAILURE = 1;

    private final String what;
    private final String why;
    private final int exitCode;

    private CliException(String what, String why, int exitCode, Throwable cause) {
        super(what + ": " + why, cause);
        this.what = what;
        this.why = why;
        this.exitCode = exitCode;
    }

    /** A wrong option, argument or configuration: exit 2. {@code what} names it, e.g. {@code --duration}. */
    public static CliException usage(String what, String why) {
        return new CliException(what, why, USAGE, null);
    }

    public static CliException usage(String what, String why, Throwable cause) {
        return new CliException(what, why, USAGE, cause);
    }

    /** A failure while running: exit 1. */
    public static CliException failure(String what, String why) {
        return new CliException(what, why, FAILURE, null);
    }

    public static CliException failure(String what, String why, Throwable cause) {
        return new CliException(what, why, FAILURE, cause);
    }

    /** What was wrong: an option, a file (with its line), an interface. */
    public String what() {
        return what;
    }

    /** Why, in words a user can act on. */
    public String why() {
        return why;
    }

    public int exitCode() {
        return exitCode;
    }
}
