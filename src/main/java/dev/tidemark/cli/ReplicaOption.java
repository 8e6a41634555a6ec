package dev.tidemark.cli;

import dev.tidemark.config.Config;
import picocli.CommandLine.Option;

/** {@code --replica NAME}: read a replica named in the config instead of the primary (the primary is gone). */
final class ReplicaOption {
    @Option(names = "--replica", paramLabel = "NAME", description = {"Read the replica NAME (the config's replicas)",
        "instead of the primary repository: when the primary is lost."})
    String name;

    /** The config to use: the primary's, or one whose repository is the replica. */
    Config apply(Config config) {
        if (name == null) {
            return config;
        }
        return config.withRepository(config.replica("--replica", name).location());
    }
}
