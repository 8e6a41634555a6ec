package dev.tidemark.scan;

import dev.tidemark.repo.BlobReader;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.db.DiscoveredReferences;
import dev.tidemark.db.DumpWriter;
import dev.tidemark.db.ReferenceDiscovery;
import dev.tidemark.db.ReferenceCheck;
import dev.tidemark.db.Snapshotter;
import dev.tidemark.index.Index;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestLines;
import dev.tidemark.point.ManifestWriter;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.Totals;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals the database into a point whose trees have just been scanned, so that no row in the point names a file the
 * point lacks.
 *
 * <p>The order, for an application that writes a file before committing the row naming it and deletes the row
 * before the file: (1) the trees are scanned and their manifests written; (2) the read view opens; (3) the reference
 * queries run in the view; (4) every referenced path the manifests lack is a file written after the scan passed
 * (its row committed before the view opened, so the file existed then and, the row being alive in the view, had not
 * been deleted before the view): it is read now and added to the manifest; (5) if such a file has vanished since,
 * its row was deleted after the view opened: the view is closed and a new one opened, back to (3), at most
 * {@value #MAX_VIEWS} times; (6) the dump is written from the final view. Files the scan saw whose rows were deleted
 * before the view are kept: an orphan file is harmless, a row without its file is the failure this prevents.
 */
public final class Sealer {
    private static final Logger LOG = LoggerFactory.getLogger(Sealer.class);
    static final int MAX_VIEWS = 20;

    private final Config config;
    private final Repository repo;
    private final Index index;
    private final Clock clock;
    private final SourceFiles sources;

    public Sealer(Config config, Repository repo, Index index, Clock clock, SourceFiles sources) {
        this.config = config;
        this.repo = repo;
        this.index = index;
        this.clock = clock;
        this.sources = sources;
    }

    public record Sealed(List<TreeSnapshot> trees, DatabaseSnapshot database) {
    }

    /** A reference query's outcome in one view. */
    private static final class Check {
        final DatabaseConfig.ReferenceQuery query;
        final String origin;
        long rows;
        final List<String> missing = new ArrayList<>();

        Check(DatabaseConfig.ReferenceQuery query, String origin) {
            this.query = query;
            this.origin = origin;
        }
    }

    /**
     * The queries that name files: the config's, or, when it declares none, the columns {@link ReferenceDiscovery}
     * finds (kept between points by {@link DiscoveredReferences}); each with where it came from.
     */
    private Map<DatabaseConfig.ReferenceQuery, String> references(Snapshotter db) {
        Map<DatabaseConfig.ReferenceQuery, String> out = new LinkedHashMap<>();
        DatabaseConfig dbc = config.database();
        if (!dbc.referenceQueries().isEmpty()) {
            for (DatabaseConfig.ReferenceQuery q : dbc.referenceQueries()) {
                out.put(q, DatabaseSnapshot.References.DECLARED);
            }
            return out;
        }
        Map<String, Path> roots = new LinkedHashMap<>();
        for (TreeConfig t : config.trees()) {
            roots.put(t.name(), t.path());
        }
        try {
            for (ReferenceDiscovery.Column c : new DiscoveredReferences(config.state(), dbc, roots, clock)
                    .get(db.connection()).references()) {
                out.put(c.query(), DatabaseSnapshot.References.DISCOVERED);
            }
        } catch (java.sql.SQLException e) {
            throw TidemarkException.failed("database: cannot look for the columns that name files ("
                    + e.getMessage() + "); declare them in database.referenceQueries", e);
        }
        return out;
    }

    public Sealed seal(Snapshotter db, List<TreeSnapshot> scanned, String pointId) throws IOException {
        DatabaseConfig dbc = config.database();
        long t0 = System.nanoTime();
        List<TreeSnapshot> trees = new ArrayList<>(scanned);
        Map<String, Long> toppedUp = new LinkedHashMap<>(); // per reference query, over every view
        List<Check> checks = List.of();
        Map<DatabaseConfig.ReferenceQuery, String> queries = references(db);
        for (int view = 1; ; view++) {
            db.openView();
            checks = new ArrayList<>();
            for (Map.Entry<DatabaseConfig.ReferenceQuery, String> qo : queries.entrySet()) {
                DatabaseConfig.ReferenceQuery q = qo.getKey();
                Check c = new Check(q, qo.getValue());
                List<String> paths = db.referencedPaths(q);
                c.rows = paths.size();
                c.missing.addAll(missing(treeSnapshot(trees, q.tree()), config.tree(q.tree()), paths));
                checks.add(c);
            }
            Map<String, Set<String>> wanted = new LinkedHashMap<>();
            for (Check c : checks) {
                for (String m : c.missing) {
                    if (!m.startsWith("/")) {
                        wanted.computeIfAbsent(c.query.tree(), k -> new TreeSet<>(PathOrder::compare)).add(m);
                    }
                }
            }
            if (wanted.isEmpty()) {
                break;
            }
            Set<String> vanished = new HashSet<>();
            for (Map.Entry<String, Set<String>> e : wanted.entrySet()) {
                int i = indexOf(trees, e.getKey());
                TopUp t = topUp(trees.get(i), config.tree(e.getKey()), e.getValue());
                trees.set(i, t.tree);
                for (String v : t.vanished) {
                    vanished.add(e.getKey() + "\0" + v);
                }
            }
            for (Check c : checks) {
                int before = c.missing.size();
                c.missing.removeIf(m -> !m.startsWith("/") && !vanished.contains(c.query.tree() + "\0" + m));
                toppedUp.merge(c.query.name(), (long) (before - c.missing.size()), Long::sum);
            }
            if (vanished.isEmpty() || view == MAX_VIEWS) {
                break;
            }
            LOG.info("{} referenced file(s) vanished after the read view opened (rows deleted since): opening a new "
                    + "view", vanished.size());
            db.closeView();
        }
        List<DatabaseSnapshot.References> refs = new ArrayList<>();
        for (Check c : checks) {
            refs.add(new DatabaseSnapshot.References(c.query.name(), c.query.tree(), c.rows, c.missing.size(),
                    toppedUp.getOrDefault(c.query.name(), 0L), List.copyOf(c.missing.subList(0,
                    Math.min(5, c.missing.size()))), c.origin, c.query.schema(), c.query.sql()));
        }
        try (PackWriter packs = index.packWriter(repo); DumpWriter w = new DumpWriter(repo, packs)) {
            Snapshotter.Dumped d = db.dump(w, pointId);
            long raw = w.rawBytes();
            String key = w.finish();
            packs.flush();
            long stored = w.storedBytes();
            db.closeView();
            DatabaseSnapshot snap = new DatabaseSnapshot(key, null, db.server(), db.viewOpenedAt(), d.binlogFile(),
                    d.binlogPosition(), d.gtid(), d.schemas(), d.consistency(), db.viewsOpened(), raw, stored,
                    Duration.ofNanos(System.nanoTime() - t0).toMillis(), List.copyOf(refs));
            return new Sealed(List.copyOf(trees), snap);
        }
    }

    private static int indexOf(List<TreeSnapshot> trees, String name) {
        for (int i = 0; i < trees.size(); i++) {
            if (trees.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("no tree " + name);
    }

    private static TreeSnapshot treeSnapshot(List<TreeSnapshot> trees, String name) {
        return trees.get(indexOf(trees, name));
    }

    /**
     * Referenced paths (relative, or absolute under the tree's path) the manifest has no file or symlink for, in path
     * order. A path outside the tree is returned as it is (absolute): it can never be satisfied.
     */
    List<String> missing(TreeSnapshot snap, TreeConfig tree, List<String> paths) throws IOException {
        TreeSet<String> wanted = new TreeSet<>(PathOrder::compare);
        List<String> outside = new ArrayList<>();
        for (String p : paths) {
            String rel = ReferenceCheck.relative(tree.path(), p);
            if (rel == null) {
                outside.add(p);
            } else {
                wanted.add(rel);
            }
        }
        List<String> out = new ArrayList<>();
        try (BlobReader contents = index.reader(repo); ManifestLines r = new ManifestLines(contents, snap.manifest())) {
            ManifestLines.Line e = r.next();
            for (String w : wanted) {
                while (e != null && PathOrder.compare(e.path(), w) < 0) {
                    e = r.next();
                }
                boolean present = e != null && e.path().equals(w) && e.type() != EntryType.DIR;
                if (!present) {
                    out.add(w);
                }
            }
        }
        out.addAll(outside);
        return out;
    }

    private record TopUp(TreeSnapshot tree, int added, List<String> vanished) {
    }

    /** Reads the files a row names that the scan did not see, and writes the tree's manifest again with them. */
    private TopUp topUp(TreeSnapshot snap, TreeConfig tree, Set<String> paths) throws IOException {
        TreeMap<String, FileEntry> additions = new TreeMap<>(PathOrder::compare);
        List<String> vanished = new ArrayList<>();
        Totals plus = Totals.ZERO;
        try (PackWriter packs = index.packWriter(repo)) {
            ContentReader reader = new ContentReader(packs, repo.hasher(), clock, sources, false);
            for (String rel : paths) {
                Path abs = tree.path().resolve(rel);
                FileStat st;
                try {
                    st = FileStat.lstat(abs);
                } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
                    st = null;
                }
                ContentReader.Result r = st == null || st.type() != EntryType.FILE ? null
                        : reader.read(abs, rel, st, null);
                if (r == null || r.entry() == null) {
                    vanished.add(rel);
                    continue;
                }
                additions.put(rel, r.entry());
                plus = plus.plus(new Totals(1, 0, 0, r.entry().size(), 1, r.newContent() ? 1 : 0,
                        r.newContent() ? r.entry().size() : 0, r.storedBytes(), 0));
            }
            packs.flush();
        }
        if (additions.isEmpty()) {
            return new TopUp(snap, 0, vanished);
        }
        // Directories above the files go in too where the scan did not see them (made after it passed): each is
        // a candidate that the manifest's own entry, if it has one, wins over. One pass merges all three.
        TreeMap<String, FileEntry> dirs = new TreeMap<>(PathOrder::compare);
        for (String rel : additions.keySet()) {
            for (int slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
                String d = rel.substring(0, slash);
                if (!dirs.containsKey(d)) {
                    try {
                        FileStat st = FileStat.lstat(tree.path().resolve(d));
                        if (st.type() == EntryType.DIR) {
                            dirs.put(d, ContentReader.entry(d, st, null, null));
                        }
                    } catch (IOException e) {
                        LOG.debug("directory {} vanished while topping up: {}", d, e.getMessage());
                    }
                }
            }
        }
        int files = additions.size();
        dirs.forEach(additions::putIfAbsent);
        String key;
        int addedDirs = 0;
        try (BlobReader contents = index.reader(repo); PackWriter packs = index.packWriter(repo);
             ManifestLines r = new ManifestLines(contents, snap.manifest());
             ManifestWriter w = new ManifestWriter(repo, packs, snap.name())) {
            ManifestLines.Line e = r.next();
            for (FileEntry a : additions.values()) {
                while (e != null && PathOrder.compare(e.path(), a.path()) < 0) {
                    w.addLine(e);
                    e = r.next();
                }
                boolean candidateDir = dirs.get(a.path()) == a;
                if (e != null && e.path().equals(a.path())) {
                    if (candidateDir) {
                        continue; // the scan saw this directory: its entry stays
                    }
                    e = r.next(); // the file replaces what the scan saw there
                }
                w.add(a);
                addedDirs += candidateDir ? 1 : 0;
            }
            for (; e != null; e = r.next()) {
                w.addLine(e);
            }
            key = w.finish();
            packs.flush();
        }
        plus = plus.plus(new Totals(0, addedDirs, 0, 0, 0, 0, 0, 0, 0));
        LOG.info("tree {}: {} file(s) written after the scan passed, named by rows in the read view, added to the point",
                snap.name(), files);
        return new TopUp(new TreeSnapshot(snap.name(), snap.path(), key, snap.totals().plus(plus)), files, vanished);
    }

    /** Thrown when a point would seal dangling references and {@code database.dangling} is "fail". */
    static TidemarkException dangling(DatabaseSnapshot snap) {
        StringBuilder sb = new StringBuilder();
        for (DatabaseSnapshot.References r : snap.references()) {
            if (r.dangling() > 0) {
                sb.append(sb.length() == 0 ? "" : "; ").append(r.name()).append(": ").append(r.dangling())
                        .append(" of ").append(r.rows()).append(" (").append(String.join(", ", r.examples()))
                        .append(")");
            }
        }
        return TidemarkException.failed("restore point not committed: rows name files that are not in the trees ("
                + sb + "); database.dangling is \"fail\". Fix the files or the rows, or set it to \"flag\"");
    }
}
