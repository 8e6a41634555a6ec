package dev.tidemark.prune;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Retention;
import dev.tidemark.db.DumpFormat;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.ChunkList;
import dev.tidemark.repo.Contents;
import dev.tidemark.index.IndexSync;
import dev.tidemark.binlog.BinlogArchive;
import dev.tidemark.journal.Horizon;
import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalCover;
import dev.tidemark.journal.JournalObject;
import dev.tidemark.point.ManifestKeys;
import dev.tidemark.point.ManifestWriter;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans a prune: what the repository keeps (the remaining restore points, the journal after its horizon, and the
 * trees' last state in the index) and what nothing reaches any more.
 *
 * <ol>
 *   <li>The horizon: with {@code journalWithin}, the journal is kept from the newest point at or before
 *       {@code now - journalWithin} (forget keeps that point); batches up to its position may go.</li>
 *   <li>The live keys: every content key in the manifests of the kept points (scanned, not parsed: see
 *       {@link ManifestKeys}), in the journal objects kept, and in the index's file records. A key the points or
 *       the journal need that no pack holds stops the prune: the repository is damaged, and nothing is deleted.</li>
 *   <li>Objects nothing names: manifests and dumps of forgotten points, superseded and pruned journal objects.</li>
 *   <li>Packs, by reading every trailer ({@link PackTally}): a pack with nothing in use is deleted; one with unused
 *       or duplicate blobs (or dead space) is a candidate for repacking, most unused first, until at most
 *       {@code maxUnused} of the repository is left unused, within {@code maxRepack} bytes; small packs (under a
 *       quarter of the pack size) are merged when there are 10 or more of them. A pack whose trailer is damaged is
 *       never touched.</li>
 * </ol>
 * Memory: the live keys at 16 bytes each ({@link KeySet}) plus a summary per pack; manifests and the journal are
 * streamed.
 */
public final class Pruner {
    private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);

    /**
     * @param maxUnused     unused bytes tolerated after the prune
     * @param maxRepack     bytes repacked at most
     * @param journalWithin how long the journal is kept (null: the horizon stays where it is)
     */
    public record Options(Retention.MaxUnused maxUnused, long maxRepack, Duration journalWithin) {
        public static Options of(Retention r) {
            if (r == null) {
                return new Options(Retention.DEFAULT_MAX_UNUSED, Long.MAX_VALUE, null);
            }
            return new Options(r.maxUnused(), r.maxRepack() == null ? Long.MAX_VALUE : r.maxRepack(),
                    r.journalWithin());
        }
    }

    private boolean syncIndex = true;
    private Set<String> leaving = Set.of();

    /**
     * Objects already on their way out (the daemon's compaction scheduled them for deletion): the plan treats them
     * as gone. Counting a copy in such a pack as kept would let the run give up another copy.
     */
    public Pruner leaving(Set<String> objectKeys) {
        this.leaving = Set.copyOf(objectKeys);
        return this;
    }

    /**
     * The index is current and owned by a running writer (the daemon): planning reads it and does not sync it
     * with the repository's pack list (which would bring back packs the daemon is deleting).
     */
    public Pruner indexIsCurrent() {
        syncIndex = false;
        return this;
    }

    /**
     * Adds the keys of every manifest to {@code live}: the manifests are read on all cores, each into a set of its
     * own (the kept points' manifests are most of a prune's reading), then merged.
     */
    private void scanManifests(Contents contents, Set<String> manifests, KeySet live) throws IOException {
        int threads = Math.max(1, Math.min(manifests.size(), Runtime.getRuntime().availableProcessors()));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads,
                dev.tidemark.util.Threads.daemon("tidemark-prune-scan", true));
        try (Progress bar = Progress.start("prune: reading manifests", manifests.size(), 0, progress)) {
            java.util.concurrent.ConcurrentLinkedQueue<String> todo = new java.util.concurrent.ConcurrentLinkedQueue<>(
                    manifests);
            List<java.util.concurrent.Future<KeySet>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                parts.add(pool.submit(() -> {
                    KeySet keys = new KeySet(1 << 16); // one set per thread: memory follows the threads, not the manifests
                    for (String m = todo.poll(); m != null; m = todo.poll()) {
                        ManifestKeys.scan(contents, m, keys::add);
                        bar.add(1, 0);
                    }
                    return keys;
                }));
            }
            for (java.util.concurrent.Future<KeySet> f : parts) {
                f.get().forEach(live::add);
            }
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading manifests");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Adds to {@code keys} the chunks of every chunk list in it (the index says which keys are lists), leaving out
     * those {@code except} has. A list the index does not know is left for the pack tally to report as missing.
     */
    private void expandLists(BlobReader contents, KeySet keys, KeySet except) throws IOException {
        List<BlobLocation> lists = new ArrayList<>();
        IOException[] failed = {null};
        keys.forEach(k -> {
            if (failed[0] != null) {
                return;
            }
            try {
                BlobLocation l = index.listCopy(k);
                if (l != null) {
                    lists.add(l);
                }
            } catch (IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        // A list's chunks may be lists themselves (a long list is grouped): followed until only chunks are left.
        java.util.ArrayDeque<BlobLocation> todo = new java.util.ArrayDeque<>(lists);
        while (!todo.isEmpty()) {
            for (ChunkList.Chunk c : contents.listAt(todo.poll()).chunks()) {
                if (except != null && except.contains(c.key())) {
                    continue;
                }
                keys.add(c.key());
                BlobLocation l = index.listCopy(c.key());
                if (l != null) {
                    todo.add(l);
                }
            }
        }
    }

    private final Repository repo;
    private final Index index;
    private final Clock clock;
    private final Progress.Mode progress;

    public Pruner(Repository repo, Index index, Clock clock, Progress.Mode progress) {
        this.repo = repo;
        this.index = index;
        this.clock = clock;
        this.progress = progress;
    }

    public PrunePlan plan(Options o) throws IOException {
        return plan(o, Set.of());
    }

    /** The plan as if the points in {@code forgetting} were gone already (a dry run of forget and prune). */
    public PrunePlan plan(Options o, Set<String> forgetting) throws IOException {
        Store store = repo.store();
        if (syncIndex) {
            IndexSync.syncPacks(repo, index);
        }
        PointStore ps = new PointStore(repo);
        List<RestorePoint> points = new ArrayList<>();
        Set<String> pointIds = new LinkedHashSet<>();
        for (String id : ps.ids()) {
            RestorePoint p;
            try {
                p = ps.loadIfPresent(id);
            } catch (TidemarkException e) {
                throw new TidemarkException(ExitCode.DAMAGED, "cannot prune: " + e.getMessage()
                        + "; nothing was deleted", e);
            }
            if (p != null && !forgetting.contains(id)) {
                points.add(p);
                pointIds.add(id);
            }
        }

        // 1. Each host's journal: its horizon, and the journal objects and binlog pieces that go (format 5: every
        // host's journal keeps content live and is pruned by its own points; before, there is one journal).
        List<HostJournal> journals = new ArrayList<>();
        List<String> journalDelete = new ArrayList<>();
        Map<Repository, Horizon> horizons = new LinkedHashMap<>();
        long journalBytes = 0;
        long lastSeq = 0;
        for (Repository host : repo.hosts()) {
            HostJournal hj = hostJournal(host, o, points, journalDelete, horizons);
            journals.add(hj);
            lastSeq = host.host().equals(repo.host()) ? hj.cover.lastSeq() : lastSeq;
        }
        for (String k : journalDelete) {
            journalBytes += repo.wholeStore().size(k).orElse(0);
        }
        Horizon next = null;
        for (Map.Entry<Repository, Horizon> e : horizons.entrySet()) {
            if (next == null || e.getKey().host().equals(repo.host())) {
                next = e.getValue();
            }
        }

        long t0 = System.nanoTime();
        // 2. What the kept points and the kept journal name (needed: a pack must hold each), then what the trees'
        // last state names (kept too, but not needed: the index is a cache).
        KeySet live = new KeySet();
        Set<String> manifests = new LinkedHashSet<>();
        Set<String> dumps = new HashSet<>();
        for (RestorePoint p : points) {
            for (TreeSnapshot t : p.trees()) {
                if (t.manifest() != null) {
                    manifests.add(t.manifest());
                }
            }
            if (p.database() != null && p.database().dump() != null) {
                dumps.add(p.database().dump());
            }
        }
        for (Set<String> refs : List.of(manifests, dumps)) {
            for (String ref : refs) {
                ContentKey k = dev.tidemark.repo.ContentObject.contentRef(ref); // stored as content (format 3)
                if (k != null) {
                    live.add(k);
                }
            }
        }
        KeySet recordsOnly = new KeySet();
        try (BlobReader contents = index.reader(repo)) {
            scanManifests(contents, manifests, live);
            // Through the reader that lists again when an object vanishes: the daemon's compaction goes on meanwhile.
            for (HostJournal hj : journals) {
                new Journal(hj.host).readAfter(hj.horizonSeq, e -> {
                    if (!e.isDelete() && e.entry().isFile()) {
                        live.add(e.entry().key());
                    }
                });
            }
            index.forEachRecordKey(k -> {
                if (!live.contains(k)) {
                    recordsOnly.add(k);
                }
            });
            expandLists(contents, live, null);
            expandLists(contents, recordsOnly, live);
        }
        LOG.debug("prune plan: {} live keys from {} manifests and {} journal objects in {} ms", live.size(),
                manifests.size(), journals.stream().mapToInt(j -> j.kept).sum(), (System.nanoTime() - t0) / 1_000_000);
        long t1 = System.nanoTime();

        // 3. Objects nothing names.
        List<String> manifestDelete = new ArrayList<>();
        for (String k : store.list(ManifestWriter.PREFIX)) {
            if (!manifests.contains(k)) {
                manifestDelete.add(k);
            }
        }
        List<String> dumpDelete = new ArrayList<>();
        for (String k : store.list(DumpFormat.PREFIX)) {
            if (!dumps.contains(k)) {
                dumpDelete.add(k);
            }
        }

        // 4. Packs: what each holds that nothing needs, which copy of a blob in use counts, and what to do.
        List<String> packIds = new ArrayList<>(repo.packIds());
        packIds.removeIf(id -> leaving.contains(PackFormat.keyOf(id)));
        PackTally packs = PackTally.read(repo, packIds, live, recordsOnly, progress);
        packs.claim(live);
        recordsOnly.forEach(live::add);
        LOG.debug("prune plan: {} pack trailers read in {} ms", packs.packs(), (System.nanoTime() - t1) / 1_000_000);
        PackTally.Choice c = packs.choose(o.maxUnused(), o.maxRepack(), repo.config().packSize(), live.size());
        return new PrunePlan(points.size(), c.counts(), c.bytes(), c.packCounts(), c.repackBytes(), c.repackWaste(),
                c.deleteBytes(), c.delete(), c.repack(), manifestDelete, dumpDelete, journalDelete, journalBytes, next,
                horizons, c.damaged(), c.afterBytes(), c.afterUnused(), live, c.keptHas(), c.toCopy(), pointIds,
                lastSeq);
    }

    /** One host's journal as the plan keeps it: from which batch on its changes keep content live. */
    private record HostJournal(Repository host, JournalCover cover, long horizonSeq, int kept) {
    }

    /**
     * One host's part of step 1: its journal's new horizon (the newest of its kept points at or before the cutoff),
     * and its journal objects and binlog pieces that go, added to {@code delete} by their own keys.
     */
    private HostJournal hostJournal(Repository host, Options o, List<RestorePoint> allPoints, List<String> delete,
                                    Map<Repository, Horizon> horizons) throws IOException {
        List<RestorePoint> points = new ArrayList<>(allPoints);
        if (!host.space().whole()) {
            points.removeIf(p -> !host.host().equals(p.host()));
        }
        Journal journal = new Journal(host);
        JournalCover cover = JournalCover.of(journal.list());
        if (!cover.overlaps().isEmpty()) {
            throw new TidemarkException(ExitCode.DAMAGED, "cannot prune: journal objects of host " + host.host()
                    + " overlap (" + cover.overlaps().get(0) + "); run 'tidemark verify'; nothing was deleted");
        }
        Horizon current = journal.horizon();
        long horizonSeq = current == null ? 0 : current.seq();
        Horizon next = null;
        if (o.journalWithin() != null) {
            Instant cutoff = clock.instant().minus(o.journalWithin());
            RestorePoint base = null;
            for (RestorePoint p : points) {
                if (!p.time().isAfter(cutoff) && (base == null || p.time().isAfter(base.time()))) {
                    base = p;
                }
            }
            if (base != null && base.journal() != null && base.journal() > horizonSeq) {
                next = new Horizon(base.journal(), base.time(), base.id());
                horizonSeq = base.journal();
                horizons.put(host, next);
            }
        }
        Set<String> keptJournalKeys = new HashSet<>();
        for (JournalObject jo : cover.objects()) {
            if (jo.to() > horizonSeq) {
                keptJournalKeys.add(jo.key());
            }
        }
        for (String k : host.store().list(JournalObject.PREFIX)) {
            JournalObject jo = JournalObject.parse(k);
            boolean garbage = jo != null ? !keptJournalKeys.contains(k) : repo.format() >= 2 && Journal.formatOneSegment(k);
            if (garbage) {
                delete.addAll(host.space().ownKeys(k));
            }
        }
        // The archived binlog before the first point a restore to a time can start from goes with the journal.
        Instant horizonTime = next != null ? next.time() : current != null ? current.time() : null;
        for (String k : BinlogArchive.beforeOldestBase(host, points, horizonTime)) {
            delete.addAll(host.space().ownKeys(k));
        }
        return new HostJournal(host, cover, horizonSeq, keptJournalKeys.size());
    }
}
