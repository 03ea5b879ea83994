package io.capybara.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `./capybara` command line. Each subcommand lives in its own class in this package. */
@Command(name = "capybara", mixinStandardHelpOptions = true, version = "Capybara-J 0.1",
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
        })
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new Main()).execute(args);
        System.exit(code);
    }
}
