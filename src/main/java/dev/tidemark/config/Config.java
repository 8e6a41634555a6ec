package dev.tidemark.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The validated configuration. Defaults are applied in one place, {@link ConfigLoader}.
 *
 * @param file       the file it was read from (for messages)
 * @param repository the repository directory
 * @param state      the state directory: the index and the log live here
 * @param exclude    globs excluded in every tree
 * @param trees      the trees, in the order given
 * @param scan       scanner options
 */
public record Config(Path file, Path repository, Path state, List<String> exclude, List<TreeConfig> trees,
                     ScanOptions scan) {

    public static final String DEFAULT_FILE = "config/tidemark.json";

    /**
     * @param threads files read and hashed at once
     */
    public record ScanOptions(int threads) {
        public static final int DEFAULT_THREADS = 4;
        public static final ScanOptions DEFAULTS = new ScanOptions(DEFAULT_THREADS);
    }

    public TreeConfig tree(String name) {
        return trees.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    public Path indexDir() {
        return state.resolve("index");
    }

    public Path logDir() {
        return state.resolve("logs");
    }
}
