package dev.tidemark.index;

import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.ObjectNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the index up to date with the repository, which is the truth: packs the index does not know are read
 * (their trailers only), packs that are gone are forgotten. {@link #rebuildFiles} refills the file records from the
 * latest restore point, so that after {@code index rebuild} the next point reads nothing it need not read.
 */
public final class IndexSync {
    private static final Logger LOG = LoggerFactory.getLogger(IndexSync.class);
    /**
     * A file whose mtime or ctime is this close to the moment it was read is not trusted next time: a write in the
     * same timestamp tick would leave its stat unchanged. Two seconds also covers file systems with 2 s resolution.
     */
    public static final Duration RACY_MARGIN = Duration.ofSeconds(2);

    private IndexSync() {
    }

    /** What a sync did. */
    public record Result(int packsAdded, int packsRemoved, long blobsAdded, List<String> damagedPacks) {
    }

    public static Result syncPacks(Repository repo, Index index) throws IOException {
        return syncPacks(repo, index, Set.of());
    }

    /**
     * As {@link #syncPacks(Repository, Index)}, passing over the packs whose keys are in {@code leaving}: garbage
     * waiting for readers before it is deleted (a compaction's or prune's inputs). Learning them again would make
     * the index name copies that are about to vanish, and a prune trusting the index would then not copy a blob
     * it believes is held elsewhere.
     */
    public static Result syncPacks(Repository repo, Index index, Set<String> leaving) throws IOException {
        Set<String> inRepo = new HashSet<>(repo.packIds());
        inRepo.removeIf(id -> leaving.contains(dev.tidemark.repo.PackFormat.keyOf(id)));
        Set<String> inIndex = index.packIds();
        Set<String> gone = new HashSet<>(inIndex);
        gone.removeAll(inRepo);
        index.removePacks(gone);
        int added = 0;
        long blobs = 0;
        List<String> damaged = new java.util.ArrayList<>();
        for (String id : inRepo) {
            if (inIndex.contains(id)) {
                continue;
            }
            List<BlobLocation> trailer;
            try {
                trailer = repo.readTrailer(id);
            } catch (ObjectNotFoundException e) {
                continue; // deleted since the listing (garbage a compaction or prune let go): as good as gone
            } catch (DamageException e) {
                LOG.error("{}: its content is not used for deduplication; run 'tidemark verify --read-data'", e.getMessage());
                damaged.add(id);
                continue;
            }
            index.addPack(id, trailer);
            added++;
            blobs += trailer.size();
        }
        if (added > 0 || !gone.isEmpty()) {
            LOG.info("index: learned {} packs ({} blobs) from the repository, forgot {}", added, blobs, gone.size());
        }
        return new Result(added, gone.size(), blobs, damaged);
    }

    /**
     * Fills the file records from the latest point's manifests. A record is trusted only if the file's mtime and
     * ctime lie at least {@link #RACY_MARGIN} before the point's time, as when it was first recorded.
     */
    public static long rebuildFiles(Repository repo, Index index) throws IOException {
        RestorePoint latest = new PointStore(repo).latest(); // this host's: its trees
        if (latest == null) {
            return 0;
        }
        // Records from a manifest name content the point had; if a pack has been lost since, the next point must
        // notice, so these records are checked on first use.
        index.setFileRecordsUnverified(true);
        long trustBefore = FileEntry.nanos(latest.time().minus(RACY_MARGIN));
        long n = 0;
        for (TreeSnapshot t : latest.trees()) {
            try (dev.tidemark.repo.BlobReader contents = index.reader(repo);
                 ManifestReader r = new ManifestReader(contents, t.manifest());
                 RecordBatch batch = index.batch()) {
                for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                    if (e.type() != EntryType.FILE) {
                        continue;
                    }
                    boolean trusted = e.mtimeNanos() < trustBefore && e.ctimeNanos() < trustBefore;
                    batch.putFile(t.name(), e.path(), new FileRecord(e.size(), e.mtimeNanos(), e.ctimeNanos(),
                            e.inode(), e.key(), trusted));
                    n++;
                    if (batch.size() >= 10_000) {
                        batch.apply();
                    }
                }
                batch.apply();
            }
        }
        return n;
    }
}
