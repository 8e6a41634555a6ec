package dev.tidemark.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tidemark help [COMMAND [SUBCOMMAND...]]}: the help of any command, however deep (picocli's goes one level). */
@Command(name = "help", helpCommand = true, mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Show the help of a command, or of tidemark.",
    "Examples:", "  tidemark help restore", "  tidemark help db export"})
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Runnable {
    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command (and subcommands) to explain.")
    String[] path = {};

    private CommandLine self;
    private CommandLine.Help.ColorScheme colors;
    private PrintWriter out;

    @Override
    public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme, PrintWriter outWriter,
                     PrintWriter errWriter) {
        this.self = helpCommandLine;
        this.colors = colorScheme;
        this.out = outWriter;
    }

    @Override
    public void run() {
        CommandLine at = self.getParent();
        for (String name : path) {
            CommandLine sub = at.getSubcommands().get(name);
            if (sub == null) {
                throw new CommandLine.ParameterException(self, "'" + String.join(" ", path) + "': "
                        + at.getCommandSpec().qualifiedName() + " has no command '" + name + "'; its commands are "
                        + String.join(", ", at.getSubcommands().keySet()));
            }
            at = sub;
        }
        at.usage(out, colors);
        out.flush();
    }
}
