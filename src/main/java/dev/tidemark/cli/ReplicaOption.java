package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
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
        Config.Replica r = config.replica(name);
        if (r == null) {
            throw TidemarkException.usage("--replica " + name + ": the config has no replica of that name"
                    + (config.replicas().isEmpty() ? " (it has no replicas)"
                    : "; it has " + String.join(", ", config.replicas().stream().map(Config.Replica::name).toList())));
        }
        return config.withRepository(r.location());
    }
}
