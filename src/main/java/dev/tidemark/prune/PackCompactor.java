package dev.tidemark.prune;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the daemon's small packs ({@link PackCompaction} says which), on the daemon's worker.
 *
 * <p>Order, per merge: the writer lock is checked; every blob of the inputs that has no copy outside them is copied
 * into a new pack, verified; the new pack is committed and the index learns it; the index forgets the inputs (a
 * blob still needed now has a copy elsewhere); the inputs go to {@link DeferredDeletes}. A crash anywhere leaves
 * blobs in two packs, never in none; the old packs, back in the index after a restart, are merged again with nothing
 * left to copy (their blobs have copies outside them) and deleted.
 */
public final class PackCompactor {
    private static final Logger LOG = LoggerFactory.getLogger(PackCompactor.class);

    private final Repository repo;
    private final Index index;
    private final DeferredDeletes deletes;
    private final WriterLock lock;
    private final int fanout;
    /** The small packs, oldest first. */
    private final Map<String, Long> small = new LinkedHashMap<>();
    private long merges;
    private long bytesCopied;

    public PackCompactor(Repository repo, Index index, DeferredDeletes deletes, WriterLock lock, int fanout) {
        this.repo = repo;
        this.index = index;
        this.deletes = deletes;
        this.lock = lock;
        this.fanout = fanout;
    }

    private long packSize() {
        return repo.config().packSize();
    }

    /** Learns the repository's small packs (at start). */
    public void load() throws IOException {
        small.clear();
        for (String id : repo.packIds()) {
            if (deletes.isPending(PackFormat.keyOf(id))) {
                continue;
            }
            long size = repo.store().size(PackFormat.keyOf(id)).orElse(-1);
            if (size >= 0 && PackCompaction.small(size, packSize())) {
                small.put(id, size);
            }
        }
    }

    /** A pack was committed (by the daemon's batches): a candidate if it is small. */
    public void committed(String packId) throws IOException {
        long size = repo.store().size(PackFormat.keyOf(packId)).orElse(-1);
        if (size >= 0 && PackCompaction.small(size, packSize())) {
            small.put(packId, size);
        }
    }

    /** Forgets packs deleted by others (prune): they are no longer candidates. */
    public void forget(Set<String> packIds) {
        small.keySet().removeAll(packIds);
    }

    public int smallPacks() {
        return small.size();
    }

    public long merges() {
        return merges;
    }

    public long bytesCopied() {
        return bytesCopied;
    }

    /** True if a merge is due. */
    public boolean due() {
        List<PackCompaction.Pack> packs = new ArrayList<>();
        small.forEach((id, size) -> packs.add(new PackCompaction.Pack(id, size)));
        return !PackCompaction.plan(packs, packSize(), fanout).isEmpty();
    }

    /** Does the merges due now; returns how many packs were merged into others. */
    public int compact() throws IOException {
        int merged = 0;
        for (int round = 0; round < 8; round++) {
            List<PackCompaction.Pack> packs = new ArrayList<>();
            small.forEach((id, size) -> packs.add(new PackCompaction.Pack(id, size)));
            List<List<PackCompaction.Pack>> groups = PackCompaction.plan(packs, packSize(), fanout);
            if (groups.isEmpty()) {
                break;
            }
            for (List<PackCompaction.Pack> g : groups) {
                merge(g);
                merged += g.size();
            }
        }
        return merged;
    }

    private void merge(List<PackCompaction.Pack> group) throws IOException {
        lock.check();
        Set<String> inputs = new HashSet<>();
        for (PackCompaction.Pack p : group) {
            inputs.add(p.id());
        }
        List<String> made = new ArrayList<>();
        List<ContentKey> keys = new ArrayList<>();
        Set<String> kept = new HashSet<>();
        try (Repacker r = new Repacker(repo, (id, blobs) -> {
            index.addPack(id, blobs);
            made.add(id);
        })) {
            Set<ContentKey> copying = new HashSet<>();
            for (PackCompaction.Pack p : group) {
                List<BlobLocation> trailer;
                try {
                    trailer = repo.readTrailer(p.id());
                } catch (DamageException e) {
                    LOG.error("compaction: {}; the pack is left as it is: run 'tidemark verify --read-data'",
                            e.getMessage());
                    kept.add(p.id());
                    continue;
                }
                List<BlobLocation> copy = new ArrayList<>();
                for (BlobLocation b : trailer) {
                    keys.add(b.key());
                    if (!copying.contains(b.key()) && !elsewhere(b.key(), inputs)) {
                        copy.add(b);
                        copying.add(b.key());
                    }
                }
                List<BlobLocation> damaged = r.copy(p.id(), copy);
                if (!damaged.isEmpty()) {
                    LOG.error("compaction: {} damaged blobs in pack {} (first: {}); the pack is left as it is: run "
                            + "'tidemark verify --read-data'", damaged.size(), p.id(), damaged.get(0));
                    kept.add(p.id());
                }
            }
            r.flush();
            bytesCopied += r.bytesWritten();
        }
        inputs.removeAll(kept);
        // Identical content makes an identical pack: a merge whose output equals one of its inputs (their blobs,
        // in the same order: what is left after a crash between a merge and its deletions) wrote that input again.
        inputs.removeAll(made);
        for (String id : made) {
            committed(id);
        }
        // A last check before anything is given up: every blob of a pack about to go has a copy outside them.
        for (PackCompaction.Pack p : group) {
            if (inputs.contains(p.id()) && !copiedOut(p.id(), inputs)) {
                inputs.remove(p.id());
            }
        }
        lock.check();
        index.removePacks(inputs, keys);
        small.keySet().removeAll(inputs);
        List<String> objects = new ArrayList<>();
        for (String id : inputs) {
            objects.add(PackFormat.keyOf(id));
        }
        deletes.add("small packs merged into " + made, objects);
        merges++;
        LOG.debug("compaction: {} small packs merged into {}", inputs.size(), made);
    }

    /** True if every blob of pack {@code id} has a copy (in the index) outside {@code leaving}. */
    private boolean copiedOut(String id, Set<String> leaving) throws IOException {
        for (BlobLocation b : repo.readTrailer(id)) {
            if (!elsewhere(b.key(), leaving)) {
                LOG.error("compaction: pack {} is kept: its blob {} has no copy outside the merged packs", id, b.key());
                return false;
            }
        }
        return true;
    }

    /** True if the index knows a copy of {@code key} in a pack that is not being merged. */
    private boolean elsewhere(ContentKey key, Set<String> inputs) throws IOException {
        for (BlobLocation c : index.copies(key)) {
            if (!inputs.contains(c.packId())) {
                return true;
            }
        }
        return false;
    }
}
