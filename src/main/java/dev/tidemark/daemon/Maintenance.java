package dev.tidemark.daemon;

import dev.tidemark.repo.BlobReader;
import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Retention;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.index.IndexSync;
import dev.tidemark.journal.CompactionPolicy;
import dev.tidemark.journal.JournalCompactor;
import dev.tidemark.journal.JournalEntry;
import dev.tidemark.journal.JournalWriter;
import dev.tidemark.point.ManifestKeys;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.progress.Progress;
import dev.tidemark.prune.Forget;
import dev.tidemark.prune.PackCompaction;
import dev.tidemark.prune.PackCompactor;
import dev.tidemark.prune.PrunePlan;
import dev.tidemark.prune.PruneRun;
import dev.tidemark.prune.Pruner;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.util.Sizes;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the daemon's repository small while it runs, on the worker between batches:
 *
 * <ul>
 *   <li>compaction: the journal's batches are merged into minute, hour and day objects ({@link JournalCompactor}),
 *       small packs into larger ones ({@link PackCompactor});</li>
 *   <li>retention, every {@code retention.every} when the config has a {@code retention} section: forget (on the
 *       worker: it only deletes point records), then a prune whose plan is made on a thread of its own (it reads
 *       every kept manifest) and whose steps ({@link PruneRun}: one pack repacked, the deletions) run on the worker
 *       between batches. Content the batches and points use while the prune is under way is handed to it, so
 *       nothing they name is deleted; small packs are not merged meanwhile (the plan has them);</li>
 *   <li>deletion of what they replaced, once no reader needs it ({@link DeferredDeletes}).</li>
 * </ul>
 *
 * Each step is short (a merge of a few small objects, or one pack repacked), so replication waits for one step,
 * never for a whole run. A failed step is logged and retried later; only a lost writer lock stops the daemon.
 */
final class Maintenance {
    private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);
    /** The journal's open windows are looked at this often even without new batches (a minute closing). */
    static final Duration COMPACT_EVERY = Duration.ofSeconds(10);
    private static final Duration DELETE_EVERY = Duration.ofSeconds(1);
    private static final Duration RETRY = Duration.ofMinutes(1);
    /** The first forget and prune after start: soon, but not in the start-up rush. */
    private static final Duration FIRST_RETENTION = Duration.ofMinutes(1);

    private final Repository repo;
    private final Index index;
    private final WriterLock lock;
    private final Clock clock;
    private final Retention retention;
    private final DeferredDeletes deletes;
    /** When pack compaction and prune may run: while no other host writes. */
    private final Alone alone;
    private final JournalCompactor journalCompactor;
    private final PackCompactor packCompactor;
    private final int fanout;
    private final ExecutorService planner = Executors.newSingleThreadExecutor(Threads.daemon("tidemark-prune-plan", true));
    private long batchesSinceCompaction;
    private long nextCompaction;
    private long nextDelete;
    private long nextRetention;
    private long failures;
    private String lastError;

    // A prune under way: its plan being made, then its run. What batches and points use meanwhile is kept.
    private Future<PrunePlan> planning;
    private PruneRun run;
    private final List<ContentKey> usedMeanwhile = new ArrayList<>();
    /** Why the prune under way must be dropped (content in use could not be followed), or null. */
    private String pruneUnsafe;
    private final Set<String> objectsMeanwhile = new HashSet<>();
    private long prunes;
    private Instant lastPrune;
    private String lastPruneSummary;

    Maintenance(Repository repo, Index index, WriterLock lock, JournalWriter journal, Clock clock,
                Retention retention) {
        this.repo = repo;
        this.index = index;
        this.lock = lock;
        this.clock = clock;
        this.retention = retention;
        this.deletes = new DeferredDeletes(repo.store(), clock, lock);
        this.alone = new Alone(lock, repo.location());
        this.fanout = CompactionPolicy.DEFAULT_FANOUT;
        this.journalCompactor = new JournalCompactor(repo, journal, deletes, new CompactionPolicy(fanout), clock);
        this.packCompactor = new PackCompactor(repo, index, deletes, lock, PackCompaction.DEFAULT_FANOUT);
        deletes.keepIf(objectsMeanwhile::contains);
    }

    /** At start: learns the small packs; schedules the first forget and prune. */
    void start() throws IOException {
        packCompactor.load();
        nextCompaction = System.nanoTime();
        if (retention != null) {
            Duration first = retention.every().compareTo(FIRST_RETENTION) < 0 ? retention.every() : FIRST_RETENTION;
            nextRetention = System.nanoTime() + first.toNanos();
        }
    }

    private boolean sealing;

    /**
     * A point is being sealed beside the worker: its new content and objects are named by no committed point yet,
     * so no prune step runs (and no prune starts) until it is committed and handed over ({@link #pointCommitted}).
     */
    void sealing(boolean on) {
        sealing = on;
    }

    private boolean pruning() {
        return planning != null || run != null;
    }

    /** A pack was committed by a batch or a point. */
    void packCommitted(String packId) throws IOException {
        packCompactor.committed(packId);
    }

    /** A batch was journaled: while a prune is under way, the content it names is kept. */
    void journaled(List<JournalEntry> entries) {
        batchesSinceCompaction++;
        if (!pruning()) {
            return;
        }
        for (JournalEntry e : entries) {
            if (!e.isDelete() && e.entry().isFile()) {
                used(e.entry().key());
            }
        }
    }

    /** A point was committed: while a prune is under way, its manifests, dump and content are kept. */
    void pointCommitted(RestorePoint p) throws IOException {
        if (!pruning()) {
            return;
        }
        try (BlobReader contents = index.reader(repo)) {
            for (TreeSnapshot t : p.trees()) {
                referenced(t.manifest(), contents);
                ManifestKeys.scan(contents, t.manifest(), k -> used(k, contents));
            }
            if (p.database() != null && p.database().dump() != null) {
                referenced(p.database().dump(), contents);
            }
        }
    }

    /** A manifest or dump a new point names: an object (older formats) or content. */
    private void referenced(String ref, BlobReader contents) throws IOException {
        ContentKey content = dev.tidemark.repo.ContentObject.contentRef(ref);
        if (content != null) {
            used(content, contents);
            return;
        }
        objectsMeanwhile.add(ref);
        if (run != null) {
            run.noteLiveObject(ref);
        }
    }

    private void used(ContentKey k) {
        try (BlobReader contents = index.reader(repo)) {
            used(k, contents);
        } catch (IOException e) {
            followFailed(k, e);
        }
    }

    /** {@code k} is in use again, and so are the chunks of its list if it is one. */
    private void used(ContentKey k, BlobReader contents) {
        note(k);
        try {
            dev.tidemark.repo.BlobLocation list = index.listCopy(k);
            if (list != null) {
                for (dev.tidemark.repo.ChunkList.Chunk c : contents.listAt(list).chunks()) {
                    used(c.key(), contents); // a group's list: its chunks too
                }
            }
        } catch (IOException e) {
            followFailed(k, e);
        }
    }

    /**
     * The chunks of content in use could not be listed, so the prune under way cannot know to keep them: it is
     * dropped before it deletes anything more (what it wrote stays as garbage for the next prune).
     */
    private void followFailed(ContentKey k, IOException e) {
        if (pruneUnsafe == null) {
            pruneUnsafe = "the chunk list of " + k.shortHex() + " could not be read (" + e.getMessage() + ")";
        }
    }

    private void note(ContentKey k) {
        if (run != null) {
            run.noteLive(k);
        } else {
            usedMeanwhile.add(k);
        }
    }

    /** Runs what is due; called by the worker between batches. */
    void tick() {
        long now = System.nanoTime();
        boolean due = batchesSinceCompaction >= fanout || now - nextCompaction >= 0
                || !pruning() && packCompactor.due();
        try {
            if (due) {
                batchesSinceCompaction = 0;
                nextCompaction = now + COMPACT_EVERY.toNanos();
                journalCompactor.compact(); // this host's own journal: never in another's way
                if (!pruning() && packCompactor.due() && alone.now()) {
                    packCompactor.compact();
                }
            }
            if (retention != null && !sealing) {
                retention(now);
            }
            if (now - nextDelete >= 0 || due) {
                nextDelete = now + DELETE_EVERY.toNanos();
                deletes.deleteReady();
                if (!pruning() && deletes.pendingObjects() == 0) {
                    objectsMeanwhile.clear();
                }
            }
            if (!pruning()) {
                alone.letGo(deletes);
            }
            lastError = null;
        } catch (IOException | RuntimeException e) {
            if (e instanceof TidemarkException te && te.exitCode() == ExitCode.LOCKED) {
                throw te; // the writer lock was taken away: the daemon stops
            }
            failures++;
            lastError = e.getMessage();
            nextCompaction = now + RETRY.toNanos();
            nextDelete = now + RETRY.toNanos();
            LOG.warn("maintenance failed: {}; retrying in {} (replication goes on)", e.getMessage(),
                    Sizes.duration(RETRY));
            LoggerFactory.getLogger("tidemark.trace").debug("maintenance failed", e);
        }
    }

    /** One step of forget and prune, if one is due. */
    private void retention(long now) throws IOException {
        if (pruneUnsafe != null) {
            LOG.warn("prune dropped: {}; the next prune starts over in {}", pruneUnsafe, Sizes.duration(RETRY));
            pruneUnsafe = null;
            run = null;
            if (planning != null) {
                planning.cancel(true);
                planning = null;
            }
            usedMeanwhile.clear();
            nextRetention = now + RETRY.toNanos();
            return;
        }
        if (run != null) {
            if (!run.step()) {
                finishPrune();
            }
            return;
        }
        if (planning != null) {
            if (!planning.isDone()) {
                return;
            }
            PrunePlan plan;
            try {
                plan = planning.get();
            } catch (ExecutionException e) {
                planning = null;
                nextRetention = now + RETRY.toNanos();
                Throwable c = e.getCause();
                throw c instanceof IOException io ? io : new IOException("prune plan: " + c, c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            planning = null;
            sizedAt = clock.instant();
            packBytes = plan.bytes().total();
            reclaimableBytes = plan.bytes().total() - plan.afterBytes() + plan.journalBytes();
            run = new PruneRun(plan, repo, index, lock, deletes);
            for (ContentKey k : usedMeanwhile) {
                run.noteLive(k);
            }
            for (String o : objectsMeanwhile) {
                run.noteLiveObject(o);
            }
            usedMeanwhile.clear();
            return;
        }
        if (now - nextRetention < 0) {
            return;
        }
        if (!alone.now()) {
            nextRetention = now + RETRY.toNanos();
            return;
        }
        nextRetention = now + retention.every().toNanos();
        // What other hosts wrote: the plan reads their points' manifests. Not the packs waiting for deletion.
        IndexSync.syncPacks(repo, index, deletes.pendingKeys());
        List<Forget.Decision> d = Forget.run(repo, retention.policy(), retention.journalWithin(),
                ZoneId.systemDefault(), clock, lock);
        long forgotten = d.stream().filter(x -> !x.keep()).count();
        LOG.info("retention ({}): {} restore points kept, {} forgotten; planning the prune", retention.policy(),
                d.size() - forgotten, forgotten);
        Pruner pruner = new Pruner(repo, index, clock, Progress.Mode.OFF).indexIsCurrent()
                .leaving(deletes.pendingKeys());
        Pruner.Options o = Pruner.Options.of(retention);
        planning = planner.submit(() -> pruner.plan(o));
    }

    private void finishPrune() throws IOException {
        PruneRun.Result r = run.result();
        run = null;
        prunes++;
        lastPrune = clock.instant();
        lastPruneSummary = r.packsRepacked() + " packs repacked (" + Sizes.bytes(r.bytesWritten()) + " written), "
                + r.packsDeleted() + " packs, " + r.manifestsDeleted() + " manifests, " + r.dumpsDeleted()
                + " dumps, " + r.journalDeleted() + " journal objects deleted"
                + (r.objectsWaiting() > 0 ? "; " + r.objectsWaiting() + " objects wait for readers" : "");
        LOG.info("prune done: {}", lastPruneSummary);
        packCompactor.load(); // the packs changed under it
    }

    /** The packs' bytes and what the prune would take away, as its last plan found them; null before one. */
    private volatile Instant sizedAt;
    private volatile long packBytes;
    private volatile long reclaimableBytes;

    /** For status. */
    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("journalMerges", journalCompactor.merges());
        s.put("packMerges", packCompactor.merges());
        s.put("smallPacks", packCompactor.smallPacks());
        s.put("objectsDeleted", deletes.deleted());
        s.put("deletionsWaitingForReaders", deletes.pendingObjects());
        s.put("pruning", pruning());
        s.put("prunes", prunes);
        if (lastPrune != null) {
            s.put("lastPrune", lastPrune.toString());
            s.put("lastPruneResult", lastPruneSummary);
        }
        if (lastError != null) {
            s.put("lastMaintenanceError", lastError);
        }
        s.put("maintenanceFailures", failures);
        if (sizedAt != null) {
            s.put("packBytes", packBytes);
            s.put("reclaimableBytes", reclaimableBytes);
            s.put("sizedAt", sizedAt.toString());
        }
        return s;
    }

    /** Stops the planning thread and waits for it: it reads the index, which the caller closes next. */
    void close() {
        planner.shutdownNow();
        dev.tidemark.util.Threads.awaitTermination(planner, "the prune planner");
    }
}
