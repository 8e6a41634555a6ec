package dev.tidemark.scan;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.FileRecord;
import dev.tidemark.index.IndexSync;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.ChunkedWriter;
import dev.tidemark.repo.Chunker;
import dev.tidemark.repo.PackWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Set;

/**
 * Reads one source file into the repository without ever storing it torn: shared by the point scanner and the
 * daemon. Thread-safe; the pack writer is shared.
 *
 * <p>A read is bracketed by two lstats; if they differ (or the length read differs), the file changed while being
 * read and is read again, up to {@link #ATTEMPTS} times, after which it is reported and its previous version kept
 * (or it is left out). A file modified within the racy margin is read twice and both reads must agree.
 *
 * <p>A file larger than one chunk ({@link Chunker#DATA}) is cut into chunks, each stored once whoever else has it,
 * and named by its {@link dev.tidemark.repo.ChunkList}: a log that grew by a MiB costs about a MiB. Such a file is
 * read once: chunks are content-addressed, so a read torn by a change leaves only chunks nobody names, and its list is
 * written only after the stat check found the file unchanged.
 */
public final class ContentReader {
    static final int ATTEMPTS = 4;
    /** Files up to this size are read into memory whole; larger ones are streamed once, chunk by chunk. */
    static final int IN_MEMORY = 8 << 20;
    private static final Set<String> INCOMPRESSIBLE = Set.of("jpg", "jpeg", "png", "gif", "webp", "heic", "heif",
            "avif", "mp4", "mov", "m4v", "mkv", "avi", "webm", "mp3", "m4a", "aac", "flac", "ogg", "opus", "zip",
            "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "lz4", "jar", "docx", "xlsx", "pptx");
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[64 * 1024]);

    private final PackWriter packs;
    private final ContentHasher hasher;
    private final Clock clock;
    private final SourceFiles sources;
    private final boolean verifyRecords;

    /**
     * What became of one file.
     *
     * @param entry       its manifest entry (null if it is left out: see problem)
     * @param record      a fresh index record, null if the old one was reused
     * @param newContent  its content was stored now
     * @param storedBytes bytes added to the pack
     * @param problem     why it is left out or kept at an older version, else null
     */
    public record Result(FileEntry entry, FileRecord record, boolean newContent, long storedBytes, String problem) {
    }

    /**
     * @param verifyRecords check that the repository still has a reused record's content (after the index forgot
     *                      packs or was rebuilt)
     */
    public ContentReader(PackWriter packs, ContentHasher hasher, Clock clock, SourceFiles sources,
                         boolean verifyRecords) {
        this.packs = packs;
        this.hasher = hasher;
        this.clock = clock;
        this.sources = sources;
        this.verifyRecords = verifyRecords;
    }

    public static FileEntry entry(String rel, FileStat st, ContentKey key, String target) {
        return new FileEntry(rel, st.type(), st.type() == EntryType.FILE ? st.size() : 0, st.mtimeNanos(),
                st.ctimeNanos(), st.mode(), st.uid(), st.gid(), st.inode(), key, target);
    }

    /** Thrown for a problem with one source file; the scan goes on without it. */
    private static final class SourceProblem extends Exception {
        SourceProblem(String m) {
            super(m, null, false, false);
        }
    }

    /**
     * Reads one file whose lstat was {@code st} and whose index record is {@code rec} (or null): reuses the record if
     * it is trusted and matches, else reads, hashes and stores new content. Null if the file is gone.
     */
    public Result read(Path path, String rel, FileStat st, FileRecord rec) throws IOException {
        // A record is only written once its content is committed, so its content is there unless the index has
        // forgotten packs since (verifyRecords): then each reuse is checked.
        if (rec != null && rec.trusted() && rec.matches(st.size(), st.mtimeNanos(), st.ctimeNanos(), st.inode())
                && (!verifyRecords || packs.has(rec.key()))) {
            return new Result(entry(rel, st, rec.key(), null), null, false, 0, null);
        }
        FileStat before = st;
        try {
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                long readStart = FileEntry.nanos(clock.instant());
                long margin = IndexSync.RACY_MARGIN.toNanos();
                boolean trusted = before.mtimeNanos() < readStart - margin && before.ctimeNanos() < readStart - margin;
                Read r = before.size() <= IN_MEMORY ? readSmall(path, before, !trusted) : readLarge(path, before);
                if (r == null) {
                    before = FileStat.lstat(path); // changed while read: look again and retry
                    if (before.type() != EntryType.FILE) {
                        return null; // replaced by something else: it will be seen next time
                    }
                    continue;
                }
                FileRecord fresh = new FileRecord(before.size(), before.mtimeNanos(), before.ctimeNanos(),
                        before.inode(), r.key, trusted);
                return new Result(entry(rel, before, r.key, null), fresh, r.added, r.stored, null);
            }
            String why = rel + ": kept changing while being read (" + ATTEMPTS + " attempts)";
            if (rec != null && packs.has(rec.key())) {
                // Better the last version that was read whole than a hole in the point.
                FileEntry previous = new FileEntry(rel, EntryType.FILE, rec.size(), rec.mtimeNanos(),
                        rec.ctimeNanos(), before.mode(), before.uid(), before.gid(), rec.inode(), rec.key(), null);
                return new Result(previous, null, false, 0, why + "; the point keeps its previous version of "
                        + FileEntry.instant(rec.mtimeNanos()));
            }
            return new Result(null, null, false, 0, why + "; left out of this point");
        } catch (NoSuchFileException e) {
            return null; // deleted since the walk saw it
        } catch (SourceProblem e) {
            return new Result(null, null, false, 0, rel + ": " + e.getMessage());
        }
    }

    private record Read(ContentKey key, boolean added, long stored) {
    }

    private boolean compressible(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 || !INCOMPRESSIBLE.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private InputStream open(Path p) throws IOException, SourceProblem {
        try {
            return sources.open(p);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceProblem("cannot read (" + dev.tidemark.util.Problems.reason(e) + ")");
        }
    }

    /** Reads up to {@code want} bytes into {@code buf}; returns how many there were. */
    private int readInto(Path path, byte[] buf, int want) throws IOException, SourceProblem {
        int n = 0;
        try (InputStream in = open(path)) {
            while (n < want) {
                int r = in.read(buf, n, want - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceProblem("read failed (" + dev.tidemark.util.Problems.reason(e) + ")");
        }
        return n;
    }

    /**
     * Reads a file whole; null if it changed meanwhile. A file modified within the racy margin is read twice and
     * both reads must agree: with coarse timestamps a write during the read might not change the stat.
     */
    private Read readSmall(Path path, FileStat before, boolean recent) throws IOException, SourceProblem {
        int size = (int) before.size();
        byte[] buf = BUFFER.get();
        if (buf.length < size) {
            buf = new byte[Math.max(size, buf.length * 2)];
            if (buf.length <= IN_MEMORY) {
                BUFFER.set(buf);
            }
        }
        // The size the lstat said, and not a read more to see the end: a file that shrank is caught by the short
        // read, one that grew or was rewritten by the lstat after it (size, mtime, ctime), so nothing is stored torn.
        // (Reading on to the end cost a system call per file: 60,000 of a first point's 125,000 reads.)
        int n = readInto(path, buf, size);
        if (n != size || !before.sameContentState(FileStat.lstat(path))) {
            return null;
        }
        if (recent) {
            byte[] again = new byte[size];
            if (readInto(path, again, size) != size || !java.util.Arrays.equals(buf, 0, size, again, 0, size)
                    || !before.sameContentState(FileStat.lstat(path))) {
                return null;
            }
        }
        if (n > Chunker.DATA.max()) {
            try (ChunkedWriter w = new ChunkedWriter(packs, hasher, hasher.chunkSeed(), Chunker.DATA,
                    compressible(path))) {
                w.write(buf, 0, n);
                ContentKey key = w.finish();
                return new Read(key, w.newChunks() > 0, w.storedBytes());
            }
        }
        ContentKey key = hasher.hash(buf, 0, n);
        if (!packs.claim(key)) {
            return new Read(key, false, 0); // the repository has it, or another thread is writing it
        }
        byte[] encoded;
        int stored;
        try {
            if (n > 0) { // one segment: larger files went to the ChunkedWriter above (Chunker.DATA.max() is a segment)
                encoded = BlobCodec.encodeBuffer();
                stored = BlobCodec.encodeInto(buf, 0, n, compressible(path), encoded);
            } else {
                encoded = BlobCodec.encode(buf, 0, n, false);
                stored = encoded.length;
            }
        } catch (RuntimeException e) {
            packs.release(key);
            throw e;
        }
        packs.addClaimed(key, n, encoded, stored, false);
        return new Read(key, true, stored);
    }

    /**
     * Reads a large file once, cutting it into chunks that go into packs as they come; null if it changed meanwhile
     * (the chunks stored stay unnamed: harmless, and reused if the file comes back to that content).
     */
    private Read readLarge(Path path, FileStat before) throws IOException, SourceProblem {
        byte[] buf = new byte[1 << 20];
        try (ChunkedWriter w = new ChunkedWriter(packs, hasher, hasher.chunkSeed(), Chunker.DATA, compressible(path))) {
            try (InputStream in = open(path)) {
                while (true) {
                    int r;
                    try {
                        r = in.read(buf);
                    } catch (NoSuchFileException e) {
                        throw e;
                    } catch (IOException e) {
                        throw new SourceProblem("read failed (" + dev.tidemark.util.Problems.reason(e) + ")");
                    }
                    if (r < 0) {
                        break;
                    }
                    w.write(buf, 0, r); // a failure here is the repository's, not the file's
                }
            }
            if (w.length() != before.size() || !before.sameContentState(FileStat.lstat(path))) {
                return null;
            }
            ContentKey key = w.finish();
            return new Read(key, w.newChunks() > 0, w.storedBytes());
        }
    }
}
