package dev.tidemark.scan;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Exclude globs. A glob without '/' matches a file or directory name at any depth ({@code *.tmp}, {@code .DS_Store});
 * a glob with '/' matches the path relative to the tree root ({@code thumbnail/**}, {@code logs/*.gz}). An excluded
 * directory is not descended into.
 */
public final class Excludes {
    private final List<PathMatcher> byName = new ArrayList<>();
    private final List<PathMatcher> byPath = new ArrayList<>();

    public Excludes(List<String> globs) {
        for (String g : globs) {
            String glob = g.startsWith("/") ? g.substring(1) : g;
            if (glob.endsWith("/")) {
                glob = glob.substring(0, glob.length() - 1);
            }
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            (glob.contains("/") ? byPath : byName).add(m);
        }
    }

    public boolean excluded(String relPath, String name) {
        if (!byName.isEmpty()) {
            Path n = Path.of(name);
            for (PathMatcher m : byName) {
                if (m.matches(n)) {
                    return true;
                }
            }
        }
        if (!byPath.isEmpty()) {
            Path p = Path.of(relPath);
            for (PathMatcher m : byPath) {
                if (m.matches(p)) {
                    return true;
                }
            }
        }
        return false;
    }
}
