package dev.tidemark.db;

import dev.tidemark.config.DatabaseConfig;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** After a restore: runs the reference queries against the restored schemas and looks for each file on disk. */
public final class ReferenceCheck {
    private ReferenceCheck() {
    }

    /** Dangling paths kept per query for a caller that can still add their files (a restore to a time). */
    static final int MISSING_KEPT = 100_000;

    /**
     * One query's result: how many paths, how many name no file, up to 5 of those as the rows give them, and up to
     * {@link #MISSING_KEPT} of them relative to the tree root.
     */
    public record Result(String name, String tree, Path where, long rows, long dangling, List<String> examples,
                         List<String> missing) {
    }

    /**
     * The queries to check a restore of {@code snap} with: the config's, or if it declares none, the ones tidemark
     * discovered when the point was sealed.
     */
    public static List<DatabaseConfig.ReferenceQuery> queries(DatabaseConfig config,
                                                              dev.tidemark.point.DatabaseSnapshot snap) {
        if (!config.referenceQueries().isEmpty()) {
            return config.referenceQueries();
        }
        List<DatabaseConfig.ReferenceQuery> out = new ArrayList<>();
        for (dev.tidemark.point.DatabaseSnapshot.References r : snap.references()) {
            if (dev.tidemark.point.DatabaseSnapshot.References.DISCOVERED.equals(r.origin()) && r.sql() != null) {
                out.add(new DatabaseConfig.ReferenceQuery(r.name(), r.tree(), r.schema(), r.sql()));
            }
        }
        return out;
    }

    /**
     * @param schemas where each configured schema was restored to
     * @param trees   where each tree is now (restored target, or its configured path)
     */
    public static List<Result> run(DatabaseConfig config, Map<String, String> schemas, Map<String, Path> trees,
                                   Map<String, Path> configuredRoots) {
        return run(config, config.referenceQueries(), schemas, trees, configuredRoots);
    }

    /** The same for {@code queries} (a point's discovered references, when the config declares none). */
    public static List<Result> run(DatabaseConfig config, List<DatabaseConfig.ReferenceQuery> queries,
                                   Map<String, String> schemas, Map<String, Path> trees,
                                   Map<String, Path> configuredRoots) {
        Map<String, java.util.function.Predicate<String>> present = new java.util.HashMap<>();
        for (Map.Entry<String, Path> t : trees.entrySet()) {
            Path root = t.getValue();
            present.put(t.getKey(), rel -> {
                Path f = root.resolve(rel);
                return Files.isRegularFile(f) || Files.isSymbolicLink(f) && Files.exists(f, LinkOption.NOFOLLOW_LINKS);
            });
        }
        return run(config, queries, schemas, trees, configuredRoots, present);
    }

    /**
     * The same, with each tree's files known by {@code present} (a path relative to the tree root → whether the
     * tree has it): files on disk, or a point's manifest (a drill).
     */
    public static List<Result> run(DatabaseConfig config, List<DatabaseConfig.ReferenceQuery> queries,
                                   Map<String, String> schemas, Map<String, Path> trees,
                                   Map<String, Path> configuredRoots,
                                   Map<String, java.util.function.Predicate<String>> present) {
        List<Result> out = new ArrayList<>();
        try (Connection c = Db.connect(config); Statement st = c.createStatement()) {
            for (DatabaseConfig.ReferenceQuery q : queries) {
                String schema = schemas.get(q.schema());
                Path root = trees.get(q.tree());
                if (schema == null || root == null) {
                    continue;
                }
                st.execute("USE " + Db.quote(schema));
                st.setFetchSize(1000);
                Path configured = configuredRoots.getOrDefault(q.tree(), root);
                long rows = 0;
                long dangling = 0;
                List<String> examples = new ArrayList<>();
                List<String> missing = new ArrayList<>();
                try (ResultSet rs = st.executeQuery(q.sql())) {
                    while (rs.next()) {
                        String p = rs.getString(1);
                        if (p == null) {
                            continue;
                        }
                        rows++;
                        String rel = relative(configured, p);
                        if (rel == null || !present.get(q.tree()).test(rel)) {
                            dangling++;
                            if (examples.size() < 5) {
                                examples.add(p);
                            }
                            if (rel != null && missing.size() < MISSING_KEPT) {
                                missing.add(rel);
                            }
                        }
                    }
                }
                out.add(new Result(q.name(), q.tree(), root, rows, dangling, examples, missing));
            }
        } catch (SQLException e) {
            throw Db.explain(config, e);
        }
        return out;
    }

    /**
     * A referenced path as a path relative to the tree root, or null if it is not inside the tree: relative paths,
     * or absolute ones under the tree's configured path. Used when sealing and after a restore alike.
     */
    public static String relative(Path root, String p) {
        String s = p.strip();
        String rootStr = root.toString();
        if (s.startsWith("/")) {
            if (!s.startsWith(rootStr + "/")) {
                return null;
            }
            s = s.substring(rootStr.length() + 1);
        }
        while (s.startsWith("./")) {
            s = s.substring(2);
        }
        if (s.isEmpty() || s.equals(".") || s.contains("//") || s.endsWith("/") || s.equals("..")
                || s.startsWith("../") || s.contains("/../") || s.endsWith("/..") || s.contains("\0")) {
            return null;
        }
        return s;
    }

}
