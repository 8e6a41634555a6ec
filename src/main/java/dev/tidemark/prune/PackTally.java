package dev.tidemark.prune;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Retention;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The packs' side of a prune plan, in three steps:
 * <ol>
 *   <li>{@link #read}: every pack's trailer against the keys in use: what each holds that nothing needs, and the
 *       blobs in use it holds (keys and lengths, compactly);</li>
 *   <li>{@link #claim}: which copy of a blob in use counts: the packs with the least garbage claim first, so an old
 *       pack beside its repacked replacement, or compaction's inputs beside its output, hold only duplicates; a key
 *       the points or the journal need that no pack holds stops the prune;</li>
 *   <li>{@link #choose}: packs with nothing in use are deleted; 10 or more small packs are merged; then the most
 *       wasteful are repacked until what is left unused is within {@code maxUnused}, inside {@code maxRepack}.</li>
 * </ol>
 * A pack whose trailer is damaged is never touched.
 */
final class PackTally {
    private static final Logger LOG = LoggerFactory.getLogger(PackTally.class);
    /** Fewer small packs than this are left alone (restic's rule: it stops endless repacking of one small pack). */
    static final int SMALL_PACKS_WORTH_IT = 10;

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

        ContentKey key(int i) {
            return new ContentKey(hi[i], lo[i]);
        }
    }

    /** The packs' part of a plan. */
    record Choice(PrunePlan.Counts counts, PrunePlan.Bytes bytes, PrunePlan.PackCounts packCounts, long repackBytes,
                  long repackWaste, long deleteBytes, Set<String> delete, Set<String> repack, List<String> damaged,
                  long afterBytes, long afterUnused, KeySet keptHas, KeySet toCopy) {
    }

    private final List<PackInfo> infos = new ArrayList<>();
    private final List<Contents> contents = new ArrayList<>();
    private final List<String> damaged = new ArrayList<>();

    private PackTally() {
    }

    /** Reads the trailers of {@code packIds}; a blob counts as in use if {@code inUse} or {@code kept} has it. */
    static PackTally read(Repository repo, List<String> packIds, KeySet inUse, KeySet kept, Progress.Mode progress)
            throws IOException {
        PackTally t = new PackTally();
        try (Progress bar = Progress.start("prune: reading pack indexes", packIds.size(), 0, progress)) {
            for (String id : packIds) {
                bar.add(1, 0);
                List<BlobLocation> trailer;
                try {
                    trailer = repo.readTrailer(id);
                } catch (DamageException e) {
                    LOG.error("prune: {}; the pack is left as it is", e.getMessage());
                    t.damaged.add(id);
                    continue;
                }
                PackInfo p = new PackInfo(id, repo.store().size(PackFormat.keyOf(id)).orElse(0));
                Contents c = new Contents(p, trailer.size());
                long listed = 0;
                for (BlobLocation b : trailer) {
                    listed += b.storedLength();
                    if (inUse.contains(b.key()) || kept.contains(b.key())) {
                        c.add(b.key(), b.storedLength());
                    } else {
                        p.unusedBlobs++;
                        p.unusedBytes += b.storedLength();
                    }
                }
                p.deadBytes = Math.max(0, p.size - listed - PackFormat.overhead(trailer.size()));
                t.infos.add(p);
                t.contents.add(c);
            }
        }
        return t;
    }

    int packs() {
        return infos.size();
    }

    /**
     * Decides which copy of each blob in use counts (the other copies are duplicates), and checks that every key of
     * {@code needed} has one.
     */
    void claim(KeySet needed) {
        contents.sort(Comparator.comparingDouble((Contents c) -> c.pack.size == 0 ? 0
                : (double) (c.pack.unusedBytes + c.pack.deadBytes) / c.pack.size)
                .thenComparing(Comparator.comparingLong((Contents c) -> c.pack.size).reversed())
                .thenComparing(c -> c.pack.id));
        KeySet claimed = new KeySet(needed.size());
        int neededFound = 0;
        for (Contents c : contents) {
            for (int i = 0; i < c.n; i++) {
                ContentKey k = c.key(i);
                if (claimed.add(k)) {
                    c.pack.usedBlobs++;
                    c.pack.usedBytes += c.stored[i];
                    if (needed.contains(k)) {
                        neededFound++;
                    }
                } else {
                    c.pack.dupBlobs++;
                    c.pack.dupBytes += c.stored[i];
                }
            }
        }
        if (neededFound < needed.size()) {
            List<String> examples = new ArrayList<>();
            needed.forEach(k -> {
                if (examples.size() < 3 && !claimed.contains(k)) {
                    examples.add(k.shortHex());
                }
            });
            throw new TidemarkException(ExitCode.DAMAGED, "cannot prune: " + (needed.size() - neededFound)
                    + " pieces of content that kept points or the journal name are in no pack (such as "
                    + String.join(", ", examples) + "); run 'tidemark verify --read-data'; nothing was deleted");
        }
    }

    /** After {@link #claim}: what to delete and what to repack, and which blobs in use the repack copies. */
    Choice choose(Retention.MaxUnused maxUnusedRule, long maxRepack, long packSize, int liveKeys) {
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
                if (repackBytes + p.size <= maxRepack) {
                    repack.add(p.id);
                    repackBytes += p.size;
                    repackWaste += p.waste();
                }
            }
        }
        // Then the most wasteful share first, until what is left unused is within maxUnused.
        wasteful.sort(Comparator.comparingDouble((PackInfo p) -> (double) p.waste() / p.size).reversed());
        long maxUnused = maxUnusedRule.limit(used);
        for (PackInfo p : wasteful) {
            if (waste - repackWaste <= maxUnused) {
                break;
            }
            if (repack.contains(p.id) || repackBytes + p.size > maxRepack) {
                continue;
            }
            repack.add(p.id);
            repackBytes += p.size;
            repackWaste += p.waste();
        }
        // The blobs the run copies: in use, in a pack to repack, and in no pack that stays (whose copy is used).
        KeySet keptHas = new KeySet(liveKeys);
        for (Contents c : contents) {
            if (!repack.contains(c.pack.id) && !delete.contains(c.pack.id)) {
                for (int i = 0; i < c.n; i++) {
                    keptHas.add(c.key(i));
                }
            }
        }
        KeySet toCopy = new KeySet();
        for (Contents c : contents) {
            if (repack.contains(c.pack.id)) {
                for (int i = 0; i < c.n; i++) {
                    ContentKey k = c.key(i);
                    if (!keptHas.contains(k)) {
                        toCopy.add(k);
                    }
                }
            }
        }
        int keep = infos.size() - delete.size() - repack.size() + damaged.size();
        return new Choice(new PrunePlan.Counts(usedBlobs, dupBlobs, unusedBlobs),
                new PrunePlan.Bytes(used, dup, unused, dead, total),
                new PrunePlan.PackCounts(infos.size() + damaged.size(), keep, repack.size(), delete.size()),
                repackBytes, repackWaste, deleteBytes, delete, repack, List.copyOf(damaged),
                total - deleteBytes - repackWaste, waste - repackWaste, keptHas, toCopy);
    }
}
