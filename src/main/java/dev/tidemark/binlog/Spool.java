package dev.tidemark.binlog;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * The local copy {@code mariadb-binlog --raw} writes (one file per server file, each starting with the magic and an
 * announced format description), read as it grows: whole events only, each placed at the position the server gave
 * it, committed to the repository as a {@link Piece} of the server's file. The server's next file appearing in the
 * copy ends the current one.
 */
final class Spool {
    private final Path spool;
    private final Repository repo;
    private final WriterLock lock;
    private final Clock clock;
    private final Archived archived;

    private String file;
    private long spoolOffset = Position.START;
    /** Server offset where the bytes in {@code pending} start, and where they end. */
    private long from;
    private long end;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private Instant lastCommit = Instant.EPOCH;

    Spool(Path dir, Repository repo, WriterLock lock, Clock clock, Archived archived, Position start,
          BinlogArchive archive) {
        this.spool = dir;
        this.repo = repo;
        this.lock = lock;
        this.clock = clock;
        this.archived = archived;
        this.file = start.file();
        this.from = start.offset();
        this.end = start.offset();
        if (archive.lastCommit().isAfter(Instant.EPOCH)) {
            lastCommit = archive.lastCommit();
        }
    }

    /** Reads what the client added and commits it; true if anything was committed. */
    boolean poll() throws IOException {
        boolean any = false;
        while (true) {
            readSpool();
            if (pending.size() > 0) {
                commit();
                any = true;
            }
            String next = nextSpoolFile();
            if (next == null) {
                return any;
            }
            // The server went on to the next file: this one is whole in the archive.
            file = next;
            spoolOffset = Position.START;
            from = end = Position.START;
        }
    }

    private String nextSpoolFile() throws IOException {
        String best = null;
        try (Stream<Path> s = Files.list(spool)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                String n = f.getFileName().toString();
                if (Position.isFileName(n) && Position.compareFiles(n, file) > 0
                        && (best == null || Position.compareFiles(n, best) < 0)) {
                    best = n;
                }
            }
        }
        if (best != null) {
            readSpool(); // nothing of this file may be left behind
        }
        return best;
    }

    private void readSpool() throws IOException {
        Path f = spool.resolve(file);
        if (!Files.exists(f)) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            long size = raf.length();
            byte[] head = new byte[Event.HEADER];
            while (size - spoolOffset >= Event.HEADER) {
                raf.seek(spoolOffset);
                raf.readFully(head);
                long n = Event.u32(head, 9);
                if (n < Event.HEADER || n > Event.MAX_SIZE) {
                    throw new IOException("the binlog client's copy of " + file + " is not a binlog at byte "
                            + spoolOffset);
                }
                if (size - spoolOffset < n) {
                    break; // the rest of this event is still being written
                }
                byte[] all = new byte[(int) n];
                raf.seek(spoolOffset);
                raf.readFully(all);
                spoolOffset += n;
                accept(Event.of(all));
            }
        }
    }

    private void accept(Event e) throws IOException {
        if (e.artificial()) {
            return; // announced by the server, not in its file
        }
        long at = e.endPosition() - e.size();
        if (at < end) {
            return; // archived already
        }
        if (at > end) {
            throw new IOException("the server sent " + file + " from byte " + at + " but the archive ends at " + end);
        }
        pending.write(e.bytes());
        end = e.endPosition();
        if (e.type() == Event.GTID) {
            Instant t = Instant.ofEpochSecond(e.timestamp());
            if (t.isAfter(lastCommit)) {
                lastCommit = t;
            }
        }
    }

    /** An empty piece: still connected, nothing new, as of now. */
    void mark() throws IOException {
        commit();
    }

    private void commit() throws IOException {
        Instant now = clock.instant();
        Store store = repo.store();
        String key;
        try (Store.Upload u = store.upload()) {
            SegmentedOutputStream out = new SegmentedOutputStream(u.stream(), repo.hasher());
            pending.writeTo(out);
            ContentKey ck = out.finish();
            key = Piece.keyOf(file, from, end, lastCommit.equals(Instant.EPOCH) ? now : lastCommit, now, ck);
            lock.check();
            u.commit(key);
        }
        long n = pending.size();
        pending.reset();
        from = end;
        archived.committed(new Position(file, end), now, n, lastCommit.equals(Instant.EPOCH) ? null : lastCommit);
    }
}
