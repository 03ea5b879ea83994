package io.capybara.cli;

import io.capybara.telemetry.Logs;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The `./capybara` command line. Each subcommand lives in its own class in this package.
 *
 * <p>{@code scope = INHERIT}: every subcommand, also one added later, gets {@code --help},
 * {@code --version} and {@code --verbose}; {@link #commandLine()} installs the error handling of
 * {@link Errors} on the whole tree (throw {@link CliException}, never print and exit).
 */
@Command(name = "capybara", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Live TCP connection migration at microsecond scale.",
        subcommands = {
                CommandLine.HelpCommand.class,
                BenchCommand.class,
                SimulateCommand.class,
                DemoCommand.class,
                SwitchCommand.class,
                ServerCommand.class,
                LabCommand.class,
                EvalCommand.class,
                RackCommand.class,
                CtlCommand.class,
                MutationCommand.class,
        })
public final class Main implements Runnable {
    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On an error, print the stack trace too (so does CAPYBARA_DEBUG=1).")
    boolean verbose;

    /** Levels of {@code --log-level}. */
    enum LogLevel { error, warning, info, debug }

    @Option(names = "--log-level", scope = ScopeType.INHERIT, paramLabel = "LEVEL",
            description = "Log lines on stderr from this level up: ${COMPLETION-CANDIDATES} (default: info).")
    void logLevel(LogLevel level) {
        Logs.configure(level.name());
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The command tree with the project's error handling; tests run commands through it. */
    public static CommandLine commandLine() {
        Errors errors = new Errors();
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(errors)
                .setParameterExceptionHandler(errors);
    }

    public static void main(String[] args) {
        try {
            Logs.configure(System.getenv().getOrDefault("CAPYBARA_LOG_LEVEL", "info"));
        } catch (IllegalArgumentException e) {
            Logs.configure("info");
            System.err.println("capybara: CAPYBARA_LOG_LEVEL: " + e.getMessage() + "; using info");
        }
        System.exit(commandLine().execute(args));
    }

    /** {@code --version}: the pom's version, filtered into build.properties by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/capybara/build.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"Capybara-J " + p.getProperty("version", "(unknown version)"),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"};
        }
    }
}
