package dev.tidemark.scan;

import dev.tidemark.repo.BlobReader;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.db.Db;
import dev.tidemark.db.Snapshotter;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.index.Index;
import dev.tidemark.index.RecordBatch;
import dev.tidemark.index.IndexSync;
import dev.tidemark.journal.AtTime;
import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalView;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestWriter;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.ManifestLines;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.Totals;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a restore point of every configured tree. The caller holds the repository's writer lock and the index.
 *
 * <p>Commit order: (1) every tree is scanned, new content going into packs, each pack committed before the index
 * learns of it; (2) the last pack is flushed; (3) each tree's manifest is committed; (4) the point record is written.
 * Only (4) makes the point exist, and everything it names is durable by then. With a database configured, (3b) the
 * database is sealed between (3) and (4): see {@link Sealer} for the order that keeps rows and files in agreement.
 */
public final class PointTaker {
    private static final Logger LOG = LoggerFactory.getLogger(PointTaker.class);

    private final Config config;
    private final Repository repo;
    private final Index index;
    private final WriterLock lock;
    private final Clock clock;
    private final Progress.Mode progressMode;
    private final SourceFiles sources;

    public PointTaker(Config config, Repository repo, Index index, WriterLock lock, Clock clock,
                      Progress.Mode progressMode) {
        this(config, repo, index, lock, clock, progressMode, SourceFiles.DEFAULT);
    }

    public PointTaker(Config config, Repository repo, Index index, WriterLock lock, Clock clock,
                      Progress.Mode progressMode, SourceFiles sources) {
        this.config = config;
        this.repo = repo;
        this.index = index;
        this.lock = lock;
        this.clock = clock;
        this.progressMode = progressMode;
        this.sources = sources;
    }

    private boolean syncIndex = true;
    private boolean fromJournal;
    private long requestedAt = Long.MIN_VALUE;
    private long throughSeq = -1;
    private Instant sealedAt;

    /**
     * The index is owned by a running writer that keeps it current (the daemon): it is not synced with the pack
     * list first. Syncing would bring back packs the daemon has let go (they stay listed until no reader needs
     * them), and content found in them would be lost with them.
     */
    public PointTaker indexIsCurrent() {
        syncIndex = false;
        return this;
    }

    /**
     * The trees are taken from the latest point and the journal instead of a walk: for the daemon, which has made
     * every change it saw durable in the journal just before ({@link #fromJournal(RestorePoint, boolean)}).
     */
    public PointTaker fromJournal() {
        fromJournal = true;
        syncIndex = false;
        return this;
    }

    /**
     * The point is of the journal as it was at batch {@code seq}, recorded at {@code time}: the daemon fixed both on
     * its worker (everything seen made durable) and goes on writing batches while this point is sealed.
     */
    public PointTaker through(long seq, Instant time) {
        fromJournal();
        throughSeq = seq;
        sealedAt = time;
        return this;
    }

    /** The point was asked for at {@code nanoTime}: its recorded duration counts from then. */
    public PointTaker requestedAt(long nanoTime) {
        requestedAt = nanoTime;
        return this;
    }

    /** The point and what went wrong with single files (they are left out of it). */
    public record Outcome(RestorePoint point, List<String> problems, long packsWritten, long deadBytes,
                          long treesMillis, long databaseMillis) {
    }

    public Outcome take(List<String> tags) throws IOException {
        return take(tags, false);
    }

    /**
     * Takes a point. Unless {@code allowEmpty}, a tree that is empty now but had files in the latest point fails the
     * point before anything is committed: an unmounted disk looks exactly like that, and recording it would make the
     * newest point say "every file deleted".
     */
    public Outcome take(List<String> tags, boolean allowEmpty) throws IOException {
        RestorePoint previous = latest();
        Instant start = sealedAt != null ? sealedAt : notBefore(clock.instant(), previous, new Journal(repo).lastTime());
        // Connect first: a server that is down fails the point before anything is written (or, with
        // database.whenDown "skip", the point goes ahead without it and says so).
        Snapshotter db = null;
        String dbSkipped = null;
        if (config.database() != null) {
            try {
                db = Snapshotter.connect(config.database(), clock);
            } catch (Db.DownException e) {
                if (config.database().whenDown() != DatabaseConfig.WhenDown.SKIP) {
                    throw TidemarkException.failed(e.getMessage() + " No restore point was taken (database.whenDown "
                            + "is \"fail\"; \"skip\" takes points without the database while it is down)", e);
                }
                dbSkipped = e.getMessage();
                LOG.warn("restore point without the database: {}", dbSkipped);
            }
        }
        try {
            return take(tags, allowEmpty, start, previous, db, dbSkipped);
        } finally {
            if (db != null) {
                db.close();
            }
        }
    }

    private Outcome take(List<String> tags, boolean allowEmpty, Instant start, RestorePoint previous, Snapshotter db,
                         String dbSkipped) throws IOException {
        long t0 = requestedAt != Long.MIN_VALUE ? requestedAt : System.nanoTime();
        // The journal's position: only the daemon writes batches, and it takes its points between them.
        long journalPosition = throughSeq >= 0 ? throughSeq : new Journal(repo).lastSeq();
        boolean verifyRecords = !fromJournal && index.fileRecordsUnverified();
        long tt = System.nanoTime();
        Trees walked = fromJournal ? fromJournal(previous, allowEmpty) : walk(previous, allowEmpty, verifyRecords);
        long treesMillis = (System.nanoTime() - tt) / 1_000_000;
        long td = System.nanoTime();
        List<TreeSnapshot> trees = walked.trees();
        List<String> problems = new ArrayList<>(walked.problems());
        Totals total = walked.total();
        PointStore points = new PointStore(repo);
        String id = points.newId(start);
        DatabaseSnapshot database = null;
        if (dbSkipped != null) {
            database = DatabaseSnapshot.skipped(dbSkipped);
            problems.add("database: not in this point (" + dbSkipped + ")");
        }
        if (db != null) {
            Sealer.Sealed sealed = new Sealer(config, repo, index, clock, sources).seal(db, trees, id);
            database = sealed.database();
            if (!sealed.trees().equals(trees)) {
                trees = new ArrayList<>(sealed.trees());
                total = Totals.ZERO;
                for (TreeSnapshot t : trees) {
                    total = total.plus(t.totals());
                }
            }
            if (database.dangling() > 0) {
                if (config.database().dangling() == DatabaseConfig.Dangling.FAIL) {
                    throw Sealer.dangling(database);
                }
                for (DatabaseSnapshot.References r : database.references()) {
                    if (r.dangling() > 0) {
                        problems.add("database: " + r.dangling() + " of " + r.rows() + " paths from reference query '"
                                + r.name() + "' name files not in tree " + r.tree() + " (" + String.join(", ",
                                r.examples()) + ")");
                    }
                }
            }
        }
        long databaseMillis = db == null ? 0 : (System.nanoTime() - td) / 1_000_000;
        RestorePoint point = new RestorePoint(RestorePoint.FORMAT, id, start, repo.host(),
                List.copyOf(tags), List.copyOf(trees), total, Duration.ofNanos(System.nanoTime() - t0).toMillis(),
                journalPosition, database, fromJournal ? RestorePoint.JOURNAL : RestorePoint.WALK);
        points.save(point, lock);
        if (verifyRecords) {
            index.setFileRecordsUnverified(false); // every reused record was checked in this point
        }
        LOG.debug("restore point {} committed: {} files, {} new ({} B stored) in {} ms", id, total.files(),
                total.newFiles(), total.storedBytes(), point.durationMillis());
        return new Outcome(point, problems, walked.packsWritten(), walked.deadBytes(), treesMillis, databaseMillis);
    }

    /** Each tree's manifest, with what went wrong with single files and what the walk stored. */
    private record Trees(List<TreeSnapshot> trees, List<String> problems, Totals total, long packsWritten,
                         long deadBytes) {
    }

    /** Step (1)-(3) by walking every tree: what is on disk now, new content read into packs. */
    private Trees walk(RestorePoint previous, boolean allowEmpty, boolean verifyRecords) throws IOException {
        long t0 = System.nanoTime();
        if (syncIndex) {
            IndexSync.syncPacks(repo, index);
        }
        LOG.debug("index synced with the repository in {} ms", (System.nanoTime() - t0) / 1_000_000);
        Set<String> names = new HashSet<>();
        for (TreeConfig t : config.trees()) {
            names.add(t.name());
        }
        index.retainTrees(names);

        ExecutorService pool = Executors.newFixedThreadPool(config.scan().threads(), Threads.daemon("tidemark-scan", true));
        List<TreeScanner.Scanned> scanned = new ArrayList<>();
        List<ManifestWriter> writers = new ArrayList<>();
        List<String> manifests = new ArrayList<>();
        PackWriter packs = index.packWriter(repo);
        // Manifests go into packs of their own (as restic keeps trees apart from data): a lost or damaged data pack
        // then still leaves the list of what was in it, so verify can name every file it affects.
        PackWriter manifestPacks = index.packWriter(repo);
        try {
            boolean ok = false;
            try (Progress progress = Progress.start("point", 0, 0, progressMode)) {
                for (TreeConfig tree : config.trees()) {
                    List<String> ex = new ArrayList<>(config.exclude());
                    ex.addAll(tree.exclude());
                    ManifestWriter mw = new ManifestWriter(repo, manifestPacks, tree.name());
                    writers.add(mw);
                    TreeScanner scanner = new TreeScanner(tree, new Excludes(ex), index, packs, repo.hasher(), pool,
                            clock, progress, sources, verifyRecords);
                    long ts = System.nanoTime();
                    TreeScanner.Scanned sc = scanner.scan(mw);
                    checkNotEmptied(sc.tree(), sc.totals(), previous, allowEmpty);
                    scanned.add(sc);
                    LOG.debug("tree {} scanned in {} ms", tree.name(), (System.nanoTime() - ts) / 1_000_000);
                }
                // The manifests' last chunks and lists go into their pack.
                for (TreeScanner.Scanned sc : scanned) {
                    manifests.add(sc.manifest().finish());
                }
                long tf = System.nanoTime();
                packs.flush();
                manifestPacks.flush();
                LOG.debug("last pack flushed in {} ms", (System.nanoTime() - tf) / 1_000_000);
                // Every pack is committed now: the records that waited for theirs can go in.
                try (RecordBatch batch = index.batch()) {
                    for (TreeScanner.Scanned sc : scanned) {
                        for (TreeScanner.Deferred d : sc.deferred()) {
                            batch.putFile(sc.tree().name(), d.path(), d.record());
                        }
                    }
                    batch.apply();
                }
                ok = true;
            } finally {
                if (ok) {
                    pool.shutdown();
                } else {
                    pool.shutdownNow();
                }
                Threads.awaitTermination(pool, "scan threads"); // workers touch the index
                packs.close();
                manifestPacks.close();
            }
            List<TreeSnapshot> trees = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            Totals total = Totals.ZERO;
            for (int i = 0; i < scanned.size(); i++) {
                TreeScanner.Scanned s = scanned.get(i);
                String key = manifests.get(i);
                trees.add(new TreeSnapshot(s.tree().name(), s.tree().path().toString(), key, s.totals()));
                total = total.plus(s.totals());
                for (String p : s.problems()) {
                    problems.add(s.tree().name() + ": " + p);
                }
            }
            return new Trees(trees, problems, total, packs.packsWritten(), packs.deadBytes());
        } finally {
            for (ManifestWriter w : writers) {
                w.close();
            }
        }
    }

    /**
     * Steps (1)-(3) with no walk, for the daemon: each tree is the latest point's manifest with the journal's
     * changes since on top ({@link AtTime#latest}), which the daemon has made durable up to now. The base's lines
     * nothing changed are copied as they are ({@link ManifestLines}): the point costs about a copy of the manifest.
     * Its totals count the files the journal changed as read; the content was stored by the journal's batches, not
     * by the point.
     */
    private Trees fromJournal(RestorePoint previous, boolean allowEmpty) throws IOException {
        AtTime recorded = throughSeq >= 0 ? AtTime.through(repo, throughSeq) : AtTime.latest(repo);
        List<TreeSnapshot> trees = new ArrayList<>();
        Totals total = Totals.ZERO;
        for (TreeConfig tree : config.trees()) {
            String key;
            TreeSnapshot base = recorded.base() == null ? null : recorded.base().tree(tree.name());
            long[] counts = new long[4]; // files, directories, symlinks, bytes
            try (BlobReader contents = index.reader(repo); PackWriter packs = index.packWriter(repo);
                 ManifestWriter mw = new ManifestWriter(repo, packs, tree.name());
                 ManifestLines lines = base == null ? null : new ManifestLines(contents, base.manifest())) {
                recorded.view(tree.name()).mergeLines(lines, new JournalView.LineSink() {
                    @Override
                    public void line(ManifestLines.Line l) throws IOException {
                        mw.addLine(l);
                        count(counts, l.type(), l.size());
                    }

                    @Override
                    public void entry(FileEntry e) throws IOException {
                        mw.add(e);
                        count(counts, e.type(), e.size());
                    }
                });
                key = mw.finish();
                packs.flush();
            }
            long read = recorded.view(tree.name()).puts(EntryType.FILE);
            Totals t = new Totals(counts[0], counts[1], counts[2], counts[3], read, 0, 0, 0, 0);
            checkNotEmptied(tree, t, previous, allowEmpty);
            trees.add(new TreeSnapshot(tree.name(), tree.path().toString(), key, t));
            total = total.plus(t);
        }
        return new Trees(trees, List.of(), total, 0, 0);
    }

    /**
     * The time a point taken at {@code now} is recorded at: never before the latest point or the journal's last
     * change, so that after the clock steps back the new point is still the latest and {@code restore --at} still
     * finds changes and points in the order they happened.
     */
    public static Instant notBefore(Instant now, RestorePoint previous, long journalLastNanos) {
        Instant t = now;
        if (previous != null && previous.time().isAfter(t)) {
            t = previous.time();
        }
        if (journalLastNanos != Long.MIN_VALUE && dev.tidemark.point.FileEntry.nanos(t) < journalLastNanos) {
            t = dev.tidemark.point.FileEntry.instant(journalLastNanos);
        }
        if (!t.equals(now)) {
            LOG.warn("the clock ({}) is behind the last recorded time: the restore point is recorded at {}", now, t);
        }
        return t;
    }

    private static void count(long[] counts, EntryType type, long size) {
        switch (type) {
            case FILE -> {
                counts[0]++;
                counts[3] += size;
            }
            case DIR -> counts[1]++;
            case SYMLINK -> counts[2]++;
            default -> throw new AssertionError(type);
        }
    }

    private RestorePoint latest() throws IOException {
        return new PointStore(repo).latest();
    }

    private static void checkNotEmptied(TreeConfig tree, Totals now, RestorePoint previous, boolean allowEmpty) {
        if (allowEmpty || previous == null) {
            return;
        }
        TreeSnapshot before = previous.tree(tree.name());
        if (before != null && before.totals().files() > 0 && now.files() == 0 && now.symlinks() == 0) {
            throw TidemarkException.failed("tree '" + tree.name() + "' (" + tree.path() + ") is empty, but "
                    + "point " + previous.id() + " has " + before.totals().files() + " files in it: is its disk "
                    + "mounted? Nothing was committed; if it really is empty now, run 'tidemark point --allow-empty'");
        }
    }
}
