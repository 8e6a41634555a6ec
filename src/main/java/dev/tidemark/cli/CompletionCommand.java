package dev.tidemark.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

@Command(name = "completion", description = {"Print the shell completion script for bash (and zsh).",
    "It completes commands, subcommands and options; generated from the command tree, so it is never out of date.",
    "Examples:",
    "  source <(tidemark completion)                              # this shell",
    "  tidemark completion > /etc/bash_completion.d/tidemark      # every shell",
    "  autoload -U bashcompinit && bashcompinit && source <(tidemark completion)   # zsh"})
final class CompletionCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(AutoComplete.bash("tidemark", Main.commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
