package dev.tidemark.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A watched directory tree.
 *
 * @param name    short name used in points, restores and the index ({@code [A-Za-z0-9._-]}, at most 64)
 * @param path    absolute path of the tree's root
 * @param exclude globs for this tree, on top of the global ones
 */
public record TreeConfig(String name, Path path, List<String> exclude) {
}
