package dev.tidemark.cli;

import picocli.CommandLine.Option;

/**
 * {@code --json-progress}, on the commands that do long work: with {@code --json}, line-delimited status objects on
 * standard output before the summary (restic's convention: filter on {@code message_type}). Opt-in, so that a
 * script reading the summary alone keeps working.
 */
final class JsonProgressOption {
    @Option(names = "--json-progress", description = {"With --json: a {\"message_type\":\"status\", \"what\",",
        "\"seconds_elapsed\", \"files_done\", \"bytes_done\", \"total_files\", \"total_bytes\",",
        "\"percent_done\", \"seconds_remaining\"} line at the start and every second, before the summary."})
    boolean on;
}
