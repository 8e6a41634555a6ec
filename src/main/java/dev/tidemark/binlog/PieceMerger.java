package dev.tidemark.binlog;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the archive's object count down as the journal's is kept: the pieces of a minute, once it has passed, become
 * one, then an hour's, then a day's (each byte rewritten at most three times). A merge reads its inputs back from the
 * repository (checked), writes the merged piece, and only then hands the inputs to {@link DeferredDeletes}.
 */
final class PieceMerger {
    private static final Duration[] MERGE_WINDOWS = {Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofDays(1)};

    private final Repository repo;
    private final WriterLock lock;
    private final Clock clock;
    private final DeferredDeletes deletes;

    PieceMerger(Repository repo, WriterLock lock, Clock clock) {
        this.repo = repo;
        this.lock = lock;
        this.clock = clock;
        this.deletes = new DeferredDeletes(repo.store(), clock, lock);
    }

    /**
     * Merges the pieces of each passed minute, hour and day; deletes merged and superseded pieces once no reader
     * needs them. Returns the archive as it is afterwards.
     */
    BinlogArchive merge(java.util.function.BooleanSupplier stopping) throws IOException {
        deletes.deleteReady();
        BinlogArchive archive = null;
        Instant now = clock.instant();
        for (Duration w : MERGE_WINDOWS) {
            if (archive == null) {
                archive = BinlogArchive.load(repo);
            }
            boolean merged = false;
            for (String file : archive.files()) {
                List<Piece> run = new ArrayList<>();
                long window = -1;
                for (Piece p : archive.pieces(file)) {
                    long pw = p.checked().getEpochSecond() / w.toSeconds();
                    boolean closed = (pw + 1) * w.toSeconds() + 5 <= now.getEpochSecond();
                    if (!closed || pw != window || (!run.isEmpty() && run.get(run.size() - 1).to() != p.from())) {
                        merged |= mergeRun(run, stopping);
                        run = new ArrayList<>();
                        window = pw;
                    }
                    if (closed) {
                        run.add(p);
                    }
                }
                merged |= mergeRun(run, stopping);
            }
            if (merged) {
                archive = null;
            }
        }
        if (archive == null) {
            archive = BinlogArchive.load(repo);
        }
        // Superseded pieces and old marks go too; the newest mark stays (it says how far the archive is complete).
        Piece newest = null;
        for (Piece p : archive.superseded()) {
            if (newest == null || p.checked().isAfter(newest.checked())) {
                newest = p;
            }
        }
        List<String> old = new ArrayList<>();
        for (Piece p : archive.superseded()) {
            if (p != newest && !deletes.isPending(p.key())) {
                old.add(p.key());
            }
        }
        if (!old.isEmpty()) {
            deletes.add("superseded binlog pieces", old);
        }
        return archive;
    }

    private boolean mergeRun(List<Piece> run, java.util.function.BooleanSupplier stopping) throws IOException {
        if (run.size() < 2 || stopping.getAsBoolean()) {
            return false;
        }
        Piece first = run.get(0);
        Piece last = run.get(run.size() - 1);
        Instant lastCommit = Instant.EPOCH;
        Instant checked = Instant.EPOCH;
        for (Piece p : run) {
            lastCommit = p.lastCommit().isAfter(lastCommit) ? p.lastCommit() : lastCommit;
            checked = p.checked().isAfter(checked) ? p.checked() : checked;
        }
        BinlogArchive archive = BinlogArchive.load(repo);
        String key;
        try (Store.Upload u = repo.store().upload(); InputStream in = archive.open(first.file(), first.from())) {
            SegmentedOutputStream out = new SegmentedOutputStream(u.stream(), repo.hasher());
            long left = last.to() - first.from();
            byte[] buf = new byte[1 << 16];
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("binlog pieces of " + first.file() + " ended early while merging");
                }
                out.write(buf, 0, n);
                left -= n;
            }
            ContentKey ck = out.finish();
            key = Piece.keyOf(first.file(), first.from(), last.to(), lastCommit, checked, ck);
            lock.check();
            u.commit(key);
        }
        deletes.add("merged binlog pieces", run.stream().map(Piece::key).toList());
        return true;
    }
}
