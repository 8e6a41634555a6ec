package dev.tidemark.config;

import dev.tidemark.repo.store.StoreLocation;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates the {@code trees} list and the globs of excludes: names unique, paths absolute, no tree inside another,
 * neither the repository nor the state directory inside a tree. Errors are one line naming the field (exit code 2).
 */
final class TreesSection {
    private TreesSection() {
    }

    static List<TreeConfig> trees(Path file, List<ConfigLoader.RawTree> raw, StoreLocation repository, Path state) {
        if (raw == null || raw.isEmpty()) {
            throw bad(file, "trees", "is missing or empty: list at least one tree with a name and an absolute path");
        }
        List<TreeConfig> trees = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            ConfigLoader.RawTree t = raw.get(i);
            String f = "trees[" + i + "]";
            if (t == null) {
                throw bad(file, f, "is null: give an object with name and path");
            }
            if (t.name() == null || !ConfigLoader.TREE_NAME.matcher(t.name()).matches()) {
                throw bad(file, f + ".name", (t.name() == null ? "is missing" : "'" + t.name() + "' is not allowed")
                        + ": use 1-64 of A-Z a-z 0-9 . _ -");
            }
            if (!names.add(t.name())) {
                throw bad(file, f + ".name", "'" + t.name() + "' is used by two trees: names must be unique");
            }
            Path p = ConfigLoader.absolute(file, f + ".path", t.path());
            List<String> ex = t.exclude() == null ? List.of() : t.exclude();
            checkGlobs(file, f + ".exclude", ex);
            trees.add(new TreeConfig(t.name(), p, ex));
        }
        for (int i = 0; i < trees.size(); i++) {
            Path a = real(trees.get(i).path());
            for (int j = 0; j < trees.size(); j++) {
                Path b = real(trees.get(j).path());
                if (i != j && b.startsWith(a)) {
                    throw bad(file, "trees[" + j + "].path", b + " lies inside tree '" + trees.get(i).name()
                            + "' (" + a + "): trees must not overlap; use one tree with excludes instead");
                }
            }
            if (repository instanceof StoreLocation.Local l && real(l.dir()).startsWith(a)) {
                throw bad(file, "repository", l.dir() + " lies inside tree '" + trees.get(i).name()
                        + "': the repository would back itself up; move it outside every tree");
            }
            if (real(state).startsWith(a)) {
                throw bad(file, "state", state + " lies inside tree '" + trees.get(i).name()
                        + "': move the state directory outside every tree");
            }
        }
        return List.copyOf(trees);
    }

    /** The real path where it exists (so a symlinked tree cannot hide an overlap), else the normalized path. */
    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.normalize();
        }
    }

    static void checkGlobs(Path file, String field, List<String> globs) {
        for (int i = 0; i < globs.size(); i++) {
            String g = globs.get(i);
            if (g == null || g.isEmpty()) {
                throw bad(file, field + "[" + i + "]", "is empty: remove it or give a glob such as *.tmp");
            }
            try {
                FileSystems.getDefault().getPathMatcher("glob:" + g);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw bad(file, field + "[" + i + "]", "'" + g + "' is not a valid glob: " + e.getDescription()
                        + " at index " + e.getIndex());
            } catch (RuntimeException e) {
                throw bad(file, field + "[" + i + "]", "'" + g + "' is not a valid glob: "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
        }
    }

    private static dev.tidemark.TidemarkException bad(Path file, String field, String what) {
        return ConfigLoader.bad(file, field, what);
    }
}
