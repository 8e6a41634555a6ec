package dev.tidemark.prune;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.ObjectNotFoundException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a {@link PrunePlan} in a crash-safe order, one short step at a time (the daemon runs a step between
 * batches; the command line runs them all):
 *
 * <ol>
 *   <li>each pack to repack: its blobs still in use that no kept pack holds are copied into new packs, verified
 *       (the writer lock checked first);</li>
 *   <li>the new packs are committed (durable); the journal's new horizon is written;</li>
 *   <li>deletion: packs (every blob in use must have a copy outside the packs being deleted, or the pack stays: a
 *       last check against bugs and against content that became used again meanwhile), manifests, dumps and journal
 *       objects, through {@link DeferredDeletes}: they go once no reader that might still read them is left. The
 *       index learns the new packs and forgets the old in one update just before.</li>
 * </ol>
 * A crash anywhere leaves extra copies and garbage, never a kept point or journal change without its content; the
 * next prune finds what is left. Content that becomes used while the run is under way (the daemon keeps copying
 * files, and may find their content in a pack the plan would delete) is reported with {@link #noteLive} and kept.
 */
public final class PruneRun {
    private static final Logger LOG = LoggerFactory.getLogger(PruneRun.class);

    /** What was done. */
    public record Result(int packsRepacked, long packsWritten, long bytesWritten, int packsDeleted,
                         int manifestsDeleted, int dumpsDeleted, int journalDeleted, int objectsWaiting,
                         List<String> waitingFor, List<String> packsKept) {
    }

    private final PrunePlan plan;
    private final Repository repo;
    private final Index index;
    private final WriterLock lock;
    private final DeferredDeletes deletes;
    private final Deque<String> toRepack;
    private final KeySet copied = new KeySet();
    private final KeySet lateLive = new KeySet();
    private final Set<String> lateObjects = new HashSet<>();
    private final Set<String> packsKept = new LinkedHashSet<>();
    /** The packs this run wrote, with their blobs: the index learns them with the deletions, in one update. */
    private final java.util.Map<String, List<BlobLocation>> newPacks = new java.util.LinkedHashMap<>();
    private Repacker repacker;
    private int phase;
    private int repacked;
    private int packsDeleted;
    private int manifestsDeleted;
    private int dumpsDeleted;

    public PruneRun(PrunePlan plan, Repository repo, Index index, WriterLock lock, DeferredDeletes deletes) {
        this.plan = plan;
        this.repo = repo;
        this.index = index;
        this.lock = lock;
        this.deletes = deletes;
        this.toRepack = new ArrayDeque<>(plan.repackPacks());
    }

    /** Content that became used after the plan was made: it is copied if its pack is repacked, and never deleted. */
    public void noteLive(ContentKey key) {
        lateLive.add(key);
    }

    /** A manifest or dump a point committed after the plan names: it is not deleted. */
    public void noteLiveObject(String objectKey) {
        lateObjects.add(objectKey);
    }

    private boolean used(ContentKey k) {
        return plan.live().contains(k) || lateLive.contains(k);
    }

    /** Does the next step; false once the run is complete. */
    public boolean step() throws IOException {
        switch (phase) {
            case 0 -> {
                String id = toRepack.poll();
                if (id == null) {
                    phase = 1;
                } else {
                    repack(id);
                }
                return true;
            }
            case 1 -> {
                lock.check();
                if (repacker != null) {
                    repacker.flush();
                    repacker.close();
                    LOG.debug("prune: {} packs repacked, {} bytes written", repacked, repacker.bytesWritten());
                }
                for (java.util.Map.Entry<Repository, dev.tidemark.journal.Horizon> h : plan.horizons().entrySet()) {
                    h.getValue().write(h.getKey().store(), lock);
                }
                phase = 2;
                return true;
            }
            case 2 -> {
                delete();
                phase = 3;
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    /** Runs every remaining step. */
    public Result runAll() throws IOException {
        while (step()) {
            // one step at a time
        }
        return result();
    }

    public Result result() {
        return new Result(repacked, repacker == null ? 0 : repacker.packsWritten(),
                repacker == null ? 0 : repacker.bytesWritten(), packsDeleted, manifestsDeleted, dumpsDeleted,
                plan.journal().size(), deletes.pendingObjects(), deletes.blockingReaders(), List.copyOf(packsKept));
    }

    private void repack(String id) throws IOException {
        lock.check();
        if (repacker == null) {
            repacker = new Repacker(repo, newPacks::put);
        }
        List<BlobLocation> trailer;
        try {
            trailer = repo.readTrailer(id);
        } catch (ObjectNotFoundException e) {
            return; // deleted meanwhile (the daemon's compaction had it waiting for deletion)
        } catch (DamageException e) {
            LOG.error("prune: {}; the pack is left as it is", e.getMessage());
            packsKept.add(id);
            return;
        }
        List<BlobLocation> copy = new ArrayList<>();
        for (BlobLocation b : trailer) {
            ContentKey k = b.key();
            // The plan knows what no kept pack holds; content used since is looked up in the index.
            boolean wanted = plan.toCopy().contains(k) || lateLive.contains(k) && !plan.keptHas().contains(k)
                    && !keptCopy(k);
            if (wanted && copied.add(k)) {
                copy.add(b);
            }
        }
        List<BlobLocation> damaged = repacker.copy(id, copy);
        if (!damaged.isEmpty()) {
            LOG.error("prune: {} damaged blobs in pack {} (first: {}); the pack is left as it is: run 'tidemark "
                    + "verify --read-data'", damaged.size(), id, damaged.get(0));
            packsKept.add(id);
        }
        repacked++;
    }

    /** True if a pack the plan keeps (or one this run wrote) holds {@code k}. */
    private boolean keptCopy(ContentKey k) throws IOException {
        for (BlobLocation c : index.copies(k)) {
            if (!plan.deletePacks().contains(c.packId()) && !plan.repackPacks().contains(c.packId())) {
                return true;
            }
        }
        return false;
    }

    private void delete() throws IOException {
        Set<String> packs = new LinkedHashSet<>(plan.deletePacks());
        packs.addAll(plan.repackPacks());
        packs.removeAll(packsKept);
        packs.removeAll(newPacks.keySet()); // a repack that wrote a pack identical to one it read: it stays
        List<ContentKey> keys = new ArrayList<>();
        for (String id : new ArrayList<>(packs)) {
            List<BlobLocation> trailer;
            try {
                trailer = repo.readTrailer(id);
            } catch (ObjectNotFoundException e) {
                packs.remove(id); // deleted meanwhile
                continue;
            } catch (DamageException e) {
                packs.remove(id);
                packsKept.add(id);
                continue;
            }
            for (BlobLocation b : trailer) {
                if (used(b.key()) && !copied.contains(b.key()) && !plan.keptHas().contains(b.key())
                        && !copyOutside(b.key(), packs)) {
                    LOG.error("prune: pack {} is kept: its blob {} is in use and has no other copy", id, b.key());
                    packs.remove(id);
                    packsKept.add(id);
                    break;
                }
            }
            if (packs.contains(id)) {
                for (BlobLocation b : trailer) {
                    keys.add(b.key());
                }
            }
        }
        lock.check();
        index.movePacks(newPacks, packs, keys);
        List<String> packKeys = new ArrayList<>();
        for (String id : packs) {
            packKeys.add(PackFormat.keyOf(id));
        }
        packsDeleted = packKeys.size();
        deletes.add("packs no kept point needs", packKeys);
        List<String> manifests = new ArrayList<>(plan.manifests());
        manifests.removeAll(lateObjects);
        manifestsDeleted = manifests.size();
        deletes.add("manifests of forgotten points", manifests);
        List<String> dumps = new ArrayList<>(plan.dumps());
        dumps.removeAll(lateObjects);
        dumpsDeleted = dumps.size();
        deletes.add("database dumps of forgotten points", dumps);
        deletes.addOwn("journal objects and binlog pieces superseded or past the horizon", plan.journal());
        deletes.deleteReady();
    }

    /**
     * True if a pack that is not being deleted holds {@code k}, by the index: the last check for a blob in use that
     * the run neither copied nor knows in a pack that stays.
     */
    private boolean copyOutside(ContentKey k, Set<String> deleting) throws IOException {
        for (BlobLocation c : index.copies(k)) {
            if (!deleting.contains(c.packId())) {
                return true;
            }
        }
        return false;
    }
}
