package dev.tidemark.prune;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Retention;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.index.IndexSync;
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
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
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
 *   <li>Packs, by reading every trailer: a pack with nothing in use is deleted; one with unused or duplicate blobs
 *       (or dead space) is a candidate for repacking, most unused first, until at most {@code maxUnused} of the
 *       repository is left unused, within {@code maxRepack} bytes; small packs (under a quarter of the pack size)
 *       are merged when there are 10 or more of them. A pack whose trailer is damaged is never touched.</li>
 * </ol>
 * Memory: the live keys at 16 bytes each ({@link KeySet}) plus a summary per pack; manifests and the journal are
 * streamed.
 */
public final class Pruner {
    private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);
    /** Fewer small packs than this are left alone (restic's rule: it stops endless repacking of one small pack). */
    static final int SMALL_PACKS_WORTH_IT = 10;

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
    private void scanManifests(Set<String> manifests, KeySet live) throws IOException {
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
                        ManifestKeys.scan(repo.store(), repo.hasher(), m, keys::add);
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

    /** One pack as planning sees it. */
    private static final class PackInfo {
        final String id;
        final long size;
        long usedBlobs;
        long usedBytes;
        long dupBlobs;
        long dupBytes;
        long unusedBlobs;
        long unusedBytes;
        long deadBytes;

        PackInfo(String id, long size) {
            this.id = id;
            this.size = size;
        }

        long waste() {
            return dupBytes + unusedBytes + deadBytes;
        }
    }

    /** The blobs in use a pack holds, compactly: keys and stored lengths. */
    private static final class Contents {
        final PackInfo pack;
        final long[] hi;
        final long[] lo;
        final long[] stored;
        int n;

        Contents(PackInfo pack, int capacity) {
            this.pack = pack;
            this.hi = new long[capacity];
            this.lo = new long[capacity];
            this.stored = new long[capacity];
        }

        void add(ContentKey k, long storedLength) {
            hi[n] = k.hi();
            lo[n] = k.lo();
            stored[n++] = storedLength;
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

        // 1. The journal's horizon, and the journal objects that go.
        Journal journal = new Journal(repo);
        JournalCover cover = JournalCover.of(journal.list());
        if (!cover.overlaps().isEmpty()) {
            throw new TidemarkException(ExitCode.DAMAGED, "cannot prune: journal objects overlap ("
                    + cover.overlaps().get(0) + "); run 'tidemark verify'; nothing was deleted");
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
            }
        }
        List<JournalObject> keptJournal = new ArrayList<>();
        for (JournalObject jo : cover.objects()) {
            if (jo.to() > horizonSeq) {
                keptJournal.add(jo);
            }
        }
        Set<String> keptJournalKeys = new HashSet<>();
        for (JournalObject jo : keptJournal) {
            keptJournalKeys.add(jo.key());
        }
        List<String> journalDelete = new ArrayList<>();
        long journalBytes = 0;
        for (String k : store.list(JournalObject.PREFIX)) {
            JournalObject jo = JournalObject.parse(k);
            boolean garbage = jo != null ? !keptJournalKeys.contains(k) : repo.format() >= 2 && Journal.formatOneSegment(k);
            if (garbage) {
                journalDelete.add(k);
                journalBytes += store.size(k).orElse(0);
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
        scanManifests(manifests, live);
        // Through the reader that lists again when an object vanishes: the daemon's compaction goes on meanwhile.
        journal.readAfter(horizonSeq, e -> {
            if (!e.isDelete() && e.entry().isFile()) {
                live.add(e.entry().key());
            }
        });
        int needed = live.size();
        KeySet neededKeys = live;
        KeySet recordsOnly = new KeySet();
        index.forEachRecordKey(k -> {
            if (!neededKeys.contains(k)) {
                recordsOnly.add(k);
            }
        });
        LOG.debug("prune plan: {} live keys from {} manifests and {} journal objects in {} ms", live.size(),
                manifests.size(), keptJournal.size(), (System.nanoTime() - t0) / 1_000_000);
        long t1 = System.nanoTime();

        // 3. Objects nothing names.
        List<String> manifestDelete = new ArrayList<>();
        for (String k : store.list(ManifestWriter.PREFIX)) {
            if (!manifests.contains(k)) {
                manifestDelete.add(k);
            }
        }
        List<String> dumpDelete = new ArrayList<>();
        for (String k : store.list("dumps/")) {
            if (!dumps.contains(k)) {
                dumpDelete.add(k);
            }
        }

        // 4. Packs: first what each holds that nothing needs, then which copy of a blob in use each pack holds.
        List<PackInfo> infos = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        List<Contents> contents = new ArrayList<>();
        List<String> packIds = new ArrayList<>(repo.packIds());
        packIds.removeIf(id -> leaving.contains(PackFormat.keyOf(id)));
        try (Progress bar = Progress.start("prune: reading pack indexes", packIds.size(), 0, progress)) {
            for (String id : packIds) {
                bar.add(1, 0);
                List<BlobLocation> trailer;
                try {
                    trailer = repo.readTrailer(id);
                } catch (DamageException e) {
                    LOG.error("prune: {}; the pack is left as it is", e.getMessage());
                    damaged.add(id);
                    continue;
                }
                PackInfo p = new PackInfo(id, store.size(PackFormat.keyOf(id)).orElse(0));
                Contents c = new Contents(p, trailer.size());
                long listed = 0;
                for (BlobLocation b : trailer) {
                    listed += b.storedLength();
                    if (live.contains(b.key()) || recordsOnly.contains(b.key())) {
                        c.add(b.key(), b.storedLength());
                    } else {
                        p.unusedBlobs++;
                        p.unusedBytes += b.storedLength();
                    }
                }
                p.deadBytes = Math.max(0, p.size - listed - PackFormat.overhead(trailer.size()));
                infos.add(p);
                contents.add(c);
            }
        }
        // The packs with the least garbage claim the blobs they share first: they are the ones kept, so the others
        // (an old pack beside its repacked replacement, compaction's inputs beside its output) hold only copies.
        contents.sort(Comparator.comparingDouble((Contents c) -> c.pack.size == 0 ? 0
                : (double) (c.pack.unusedBytes + c.pack.deadBytes) / c.pack.size)
                .thenComparing(Comparator.comparingLong((Contents c) -> c.pack.size).reversed())
                .thenComparing(c -> c.pack.id));
        KeySet claimed = new KeySet(live.size());
        int neededFound = 0;
        for (Contents c : contents) {
            for (int i = 0; i < c.n; i++) {
                ContentKey k = new ContentKey(c.hi[i], c.lo[i]);
                if (claimed.add(k)) {
                    c.pack.usedBlobs++;
                    c.pack.usedBytes += c.stored[i];
                    if (live.contains(k)) {
                        neededFound++;
                    }
                } else {
                    c.pack.dupBlobs++;
                    c.pack.dupBytes += c.stored[i];
                }
            }
        }
        if (neededFound < needed) {
            List<String> examples = new ArrayList<>();
            live.forEach(k -> {
                if (examples.size() < 3 && !claimed.contains(k)) {
                    examples.add(k.shortHex());
                }
            });
            throw new TidemarkException(ExitCode.DAMAGED, "cannot prune: " + (needed - neededFound) + " pieces of "
                    + "content that kept points or the journal name are in no pack (such as " + String.join(", ",
                    examples) + "); run 'tidemark verify --read-data'; nothing was deleted");
        }
        recordsOnly.forEach(live::add);
        LOG.debug("prune plan: {} pack trailers read in {} ms", infos.size(), (System.nanoTime() - t1) / 1_000_000);
        return decide(o, infos, contents, damaged, points.size(), manifestDelete, dumpDelete, journalDelete,
                journalBytes, next, live, pointIds, cover.lastSeq());
    }

    private PrunePlan decide(Options o, List<PackInfo> infos, List<Contents> contents, List<String> damaged,
                             int points,
                             List<String> manifests, List<String> dumps, List<String> journal, long journalBytes,
                             Horizon horizon, KeySet live, Set<String> pointIds, long journalSeq) {
        long packSize = repo.config().packSize();
        Set<String> delete = new LinkedHashSet<>();
        Set<String> repack = new LinkedHashSet<>();
        List<PackInfo> wasteful = new ArrayList<>();
        List<PackInfo> small = new ArrayList<>();
        long used = 0;
        long dup = 0;
        long unused = 0;
        long dead = 0;
        long total = 0;
        long usedBlobs = 0;
        long dupBlobs = 0;
        long unusedBlobs = 0;
        long deleteBytes = 0;
        long waste = 0;
        for (PackInfo p : infos) {
            used += p.usedBytes;
            dup += p.dupBytes;
            unused += p.unusedBytes;
            dead += p.deadBytes;
            total += p.size;
            usedBlobs += p.usedBlobs;
            dupBlobs += p.dupBlobs;
            unusedBlobs += p.unusedBlobs;
            if (p.usedBlobs == 0) {
                delete.add(p.id);
                deleteBytes += p.size;
                continue;
            }
            waste += p.waste();
            if (PackCompaction.small(p.size, packSize)) {
                small.add(p);
            }
            if (p.waste() > 0) {
                wasteful.add(p);
            }
        }
        long repackBytes = 0;
        long repackWaste = 0;
        // Small packs are merged when there are enough of them to be worth it, whatever they hold.
        if (small.size() >= SMALL_PACKS_WORTH_IT) {
            for (PackInfo p : small) {
                if (repackBytes + p.size <= o.maxRepack()) {
                    repack.add(p.id);
                    repackBytes += p.size;
                    repackWaste += p.waste();
                }
            }
        }
        // Then the most wasteful share first, until what is left unused is within maxUnused.
        wasteful.sort(Comparator.comparingDouble((PackInfo p) -> (double) p.waste() / p.size).reversed());
        long maxUnused = o.maxUnused().limit(used);
        for (PackInfo p : wasteful) {
            if (waste - repackWaste <= maxUnused) {
                break;
            }
            if (repack.contains(p.id) || repackBytes + p.size > o.maxRepack()) {
                continue;
            }
            repack.add(p.id);
            repackBytes += p.size;
            repackWaste += p.waste();
        }
        // The blobs the run copies: in use, in a pack to repack, and in no pack that stays (whose copy is used).
        KeySet keptHas = new KeySet(live.size());
        for (Contents c : contents) {
            if (!repack.contains(c.pack.id) && !delete.contains(c.pack.id)) {
                for (int i = 0; i < c.n; i++) {
                    keptHas.add(new ContentKey(c.hi[i], c.lo[i]));
                }
            }
        }
        KeySet toCopy = new KeySet();
        for (Contents c : contents) {
            if (repack.contains(c.pack.id)) {
                for (int i = 0; i < c.n; i++) {
                    ContentKey k = new ContentKey(c.hi[i], c.lo[i]);
                    if (!keptHas.contains(k)) {
                        toCopy.add(k);
                    }
                }
            }
        }
        int keep = infos.size() - delete.size() - repack.size() + damaged.size();
        long after = total - deleteBytes - repackWaste;
        return new PrunePlan(points, new PrunePlan.Counts(usedBlobs, dupBlobs, unusedBlobs),
                new PrunePlan.Bytes(used, dup, unused, dead, total),
                new PrunePlan.PackCounts(infos.size() + damaged.size(), keep, repack.size(), delete.size()),
                repackBytes, repackWaste, deleteBytes, delete, repack, manifests, dumps, journal, journalBytes, horizon,
                damaged, after, waste - repackWaste, live, keptHas, toCopy, pointIds, journalSeq);
    }
}
