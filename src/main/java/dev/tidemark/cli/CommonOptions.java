package dev.tidemark.cli;

import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command takes. */
public final class CommonOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = {"Config file. Without it: the file",
        "TIDEMARK_CONFIG names, else /etc/tidemark/tidemark.json, else config/tidemark.json here."})
    Path config;

    @Option(names = {"-v", "--verbose"}, description = "Log more (debug level), including per-file lines.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Log warnings and errors only.")
    boolean quiet;

    @Option(names = "--no-progress", description = "No progress bar or progress lines.")
    boolean noProgress;

    @Option(names = "--host", paramLabel = "NAME", description = {"Act as host NAME in a repository several hosts",
        "share: whose points 'latest' and --at mean, whose journal is read and",
        "written. Default: the config's 'host', else this machine's name."})
    String host;

    /** Reads and validates the config; creates nothing (the log file starts when a repository is opened). */
    Config load() {
        Logging.console(verbose, quiet);
        Config c = ConfigLoader.load(ConfigLoader.locate(config, System::getenv));
        return host == null ? c : c.withHost(host);
    }

    /**
     * Where a command's summary goes: {@code out}, or nowhere with {@code -q} (a cron job's mail then holds only
     * warnings and errors). Output that is the point of a command (a listing, JSON, a dry run) is not a summary.
     */
    java.io.PrintWriter summary(java.io.PrintWriter out) {
        return quiet ? new java.io.PrintWriter(java.io.Writer.nullWriter()) : out;
    }

    /**
     * Progress for a command run with {@code --json --json-progress} (line-delimited status objects on {@code out},
     * before the JSON summary) or without (a bar or log lines, or none).
     */
    dev.tidemark.progress.Progress.Mode progress(boolean json, JsonProgressOption jsonProgress,
                                                 java.io.PrintWriter out) {
        if (!json || jsonProgress == null || !jsonProgress.on) {
            return progress();
        }
        dev.tidemark.progress.Progress.jsonTo(out);
        return dev.tidemark.progress.Progress.Mode.JSON;
    }

    dev.tidemark.progress.Progress.Mode progress() {
        if (noProgress || quiet) {
            return dev.tidemark.progress.Progress.Mode.OFF;
        }
        return dev.tidemark.progress.Progress.defaultMode();
    }
}
