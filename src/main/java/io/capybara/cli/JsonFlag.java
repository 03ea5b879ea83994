package io.capybara.cli;

import picocli.CommandLine.Option;

/**
 * {@code --json} with one meaning in every command that takes it ({@code @Mixin JsonFlag json;}):
 * the result as one JSON object on stdout, which nothing else is printed to. The node commands
 * have theirs in {@link NodeOptions} (final counters at exit).
 */
public final class JsonFlag {
    @Option(names = "--json", description = "Print one JSON object on stdout (progress goes to stderr).")
    boolean on;
}
