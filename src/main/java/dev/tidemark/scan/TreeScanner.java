package dev.tidemark.scan;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.FileRecord;
import dev.tidemark.index.Index;
import dev.tidemark.index.RecordBatch;
import dev.tidemark.index.TreeCursor;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestWriter;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.Totals;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.PackWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import dev.tidemark.util.Problems;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans one tree into a manifest, storing new content on the way.
 *
 * <p>Algorithm: this thread walks the tree depth-first in {@link PathOrder}, lstat-ing every entry, and queues one
 * future per entry in that order; files are read and hashed by the worker pool; a consumer thread takes the futures
 * in order and writes the manifest and the index. The bounded queue keeps memory flat whatever the tree's size.
 *
 * <p>A file is read unless the index holds a trusted record with equal size, mtime, ctime and inode whose content
 * the repository still has. A read is bracketed by two lstats; if they differ (or the length read differs), the file
 * changed while being read and is read again, up to {@link ContentReader#ATTEMPTS} times, after which it is reported and left out
 * of the point rather than stored torn.
 */
final class TreeScanner {
    private static final Logger LOG = LoggerFactory.getLogger(TreeScanner.class);
    private static final int QUEUE = 256;
    /** Files per pool task: large enough to make hand-offs cheap, small enough to spread one big directory. */
    private static final int CHUNK = 64;
    private static final int BATCH = 5000;

    private final TreeConfig tree;
    private final Excludes excludes;
    private final Index index;
    private final PackWriter packs;
    private final ExecutorService pool;
    private final Progress progress;
    private final List<String> problems = new ArrayList<>();
    private final ContentReader reader;

    TreeScanner(TreeConfig tree, Excludes excludes, Index index, PackWriter packs, ContentHasher hasher,
                ExecutorService pool, Clock clock, Progress progress, SourceFiles sources, boolean verifyRecords) {
        this.tree = tree;
        this.excludes = excludes;
        this.index = index;
        this.packs = packs;
        this.pool = pool;
        this.progress = progress;
        this.reader = new ContentReader(packs, hasher, clock, sources, verifyRecords);
    }

    /** One manifest entry's worth of work done. */
    private record Item(FileEntry entry, FileRecord record, boolean newContent, long storedBytes, String problem,
                        List<byte[]> stale) {
        Item(FileEntry entry, FileRecord record, boolean newContent, long storedBytes, String problem) {
            this(entry, record, newContent, storedBytes, problem, null);
        }

        static Item of(FileEntry e) {
            return new Item(e, null, false, 0, null);
        }

        /** Index records of files that are gone: to be deleted. */
        static Item stale(List<byte[]> keys) {
            return new Item(null, null, false, 0, null, keys);
        }
    }

    /** A scanned tree: its manifest (written but not yet committed) and its counts. */
    record Scanned(TreeConfig tree, ManifestWriter manifest, Totals totals, List<String> problems,
                   List<Deferred> deferred) {
    }

    /** A file record whose content was still in an uncommitted pack when the tree was done. */
    record Deferred(String path, FileRecord record) {
    }

    private static final Item END = new Item(null, null, false, 0, null);

    private static final List<Item> END_CHUNK = List.of(END);

    private static boolean isEnd(Future<List<Item>> f) {
        if (!f.isDone()) {
            return false;
        }
        try {
            return f.get() == END_CHUNK;
        } catch (Exception e) {
            return false;
        }
    }

    private static Future<List<Item>> done(Item it) {
        return CompletableFuture.completedFuture(List.of(it));
    }

    Scanned scan(ManifestWriter manifest) throws IOException {
        Path root;
        FileStat rootStat;
        try {
            root = tree.path().toRealPath();
            rootStat = FileStat.lstat(root);
        } catch (NoSuchFileException e) {
            throw vanished();
        }
        if (rootStat.type() != EntryType.DIR) {
            throw TidemarkException.failed("tree '" + tree.name() + "': " + tree.path() + " is not a directory");
        }
        BlockingQueue<Future<List<Item>>> queue = new ArrayBlockingQueue<>(QUEUE);
        Consumer consumer = new Consumer(queue, manifest);
        Thread ct = new Thread(consumer, "tidemark-manifest-" + tree.name());
        ct.start();
        Throwable walkError = null;
        try (TreeCursor cursor = index.cursor(tree.name())) {
            Walk w = new Walk(queue, consumer, cursor);
            put(queue, done(Item.of(entry(FileEntry.ROOT, rootStat, null, null))));
            dev.tidemark.util.Threads.onDeepStack("tidemark-walk-" + tree.name(), () -> walk(w, root, rootStat, FileEntry.ROOT));
            cursor.finish(w.stale);
            w.flushStale();
        } catch (Throwable t) {
            walkError = t;
        } finally {
            // Always let the consumer finish, so no thread outlives the scan.
            try {
                queue.put(CompletableFuture.completedFuture(END_CHUNK));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ct.interrupt();
            }
            try {
                ct.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (walkError != null) {
            rethrow(walkError);
        }
        if (consumer.error != null) {
            rethrow(consumer.error);
        }
        // The root must still be the same directory: a disk unmounted mid-scan must not become "all deleted".
        FileStat after;
        try {
            after = FileStat.lstat(root);
        } catch (NoSuchFileException e) {
            throw vanished();
        }
        if (after.type() != EntryType.DIR || after.inode() != rootStat.inode() || after.dev() != rootStat.dev()) {
            throw vanished();
        }
        LOG.debug("tree {}: {} index records of files that are gone were dropped", tree.name(), consumer.staleRecords);
        return new Scanned(tree, manifest, consumer.totals(), List.copyOf(problems), List.copyOf(consumer.deferred));
    }

    private TidemarkException vanished() {
        return TidemarkException.failed("tree '" + tree.name() + "': root " + tree.path()
                + " vanished or was replaced during the scan (unmounted disk?); no point was written");
    }

    private static void rethrow(Throwable t) throws IOException {
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new IOException(t);
    }

    private void put(BlockingQueue<Future<List<Item>>> q, Future<List<Item>> f) throws IOException {
        try {
            q.put(f);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("scan interrupted");
        }
    }

    /** The walker's state: the queue, the consumer to watch for failure, the index cursor, stale keys found. */
    private final class Walk {
        final BlockingQueue<Future<List<Item>>> queue;
        final Consumer consumer;
        final TreeCursor cursor;
        List<byte[]> stale = new ArrayList<>();

        Walk(BlockingQueue<Future<List<Item>>> queue, Consumer consumer, TreeCursor cursor) {
            this.queue = queue;
            this.consumer = consumer;
            this.cursor = cursor;
        }

        void flushStale() throws IOException {
            if (!stale.isEmpty()) {
                put(queue, done(Item.stale(stale)));
                stale = new ArrayList<>();
            }
        }
    }

    private void walk(Walk w, Path dir, FileStat dirStat, String rel) throws IOException {
        BlockingQueue<Future<List<Item>>> queue = w.queue;
        if (w.consumer.error != null) {
            return; // the consumer failed: stop early, the error is reported by scan()
        }
        List<DirectoryListing.Child> children;
        try {
            children = DirectoryListing.list(dir, dirStat, rel, excludes, (p, why) -> problem(p + ": " + why));
        } catch (IOException e) {
            problem(rel + ": cannot list directory (" + Problems.reason(e) + "); left out of this point");
            return;
        }
        List<FileTask> chunk = new ArrayList<>();
        for (DirectoryListing.Child c : children) {
            String childRel = c.rel();
            Path child = c.path();
            FileStat st = c.stat();
            if (st.type() == null) {
                SpecialFiles.skipped(tree.name(), childRel, child);
                continue;
            }
            if (st.type() != EntryType.FILE || chunk.size() == CHUNK) {
                flush(queue, chunk);
            }
            switch (st.type()) {
                case DIR -> {
                    put(queue, done(Item.of(entry(childRel, st, null, null))));
                    walk(w, child, st, childRel);
                }
                case SYMLINK -> {
                    String target;
                    try {
                        target = Files.readSymbolicLink(child).toString();
                    } catch (NoSuchFileException e) {
                        continue;
                    } catch (IOException e) {
                        problem(childRel + ": cannot read link (" + Problems.reason(e) + "); left out of this point");
                        continue;
                    }
                    put(queue, done(Item.of(entry(childRel, st, null, target))));
                }
                case FILE -> chunk.add(new FileTask(child, childRel, st, w.cursor.advance(childRel, w.stale)));
                default -> throw new AssertionError(st.type());
            }
        }
        flush(queue, chunk);
        if (w.stale.size() >= CHUNK) {
            w.flushStale();
        }
    }

    private record FileTask(Path path, String rel, FileStat stat, FileRecord record) {
    }

    /** Hands a run of files to the pool as one task: one queue hand-off per run, not per file. */
    private void flush(BlockingQueue<Future<List<Item>>> queue, List<FileTask> chunk) throws IOException {
        if (chunk.isEmpty()) {
            return;
        }
        List<FileTask> tasks = List.copyOf(chunk);
        chunk.clear();
        put(queue, pool.submit(() -> {
            List<Item> out = new ArrayList<>(tasks.size());
            for (FileTask t : tasks) {
                Item it = file(t.path(), t.rel(), t.stat(), t.record());
                if (it != null) {
                    out.add(it);
                }
            }
            return out;
        }));
    }

    private synchronized void problem(String p) {
        LOG.warn("{}: {}", tree.name(), p);
        problems.add(p);
    }

    private static FileEntry entry(String rel, FileStat st, ContentKey key, String target) {
        return ContentReader.entry(rel, st, key, target);
    }

    private Item file(Path path, String rel, FileStat st, FileRecord rec) throws IOException {
        ContentReader.Result r = reader.read(path, rel, st, rec);
        if (r == null) {
            return null;
        }
        if (r.problem() == null) {
            progress.add(1, r.entry().size());
        }
        return new Item(r.entry(), r.record(), r.newContent(), r.storedBytes(), r.problem());
    }

    /** Takes the items in walk order and writes the manifest and the index. */
    private final class Consumer implements Runnable {
        private final BlockingQueue<Future<List<Item>>> queue;
        private final ManifestWriter manifest;
        volatile Throwable error;
        long files;
        long dirs;
        long links;
        long bytes;
        long read;
        long newFiles;
        long newBytes;
        long stored;
        long staleRecords;
        /** Records of files whose content is not committed yet: written to the index only once it is. */
        final List<Deferred> deferred = new ArrayList<>();

        Consumer(BlockingQueue<Future<List<Item>>> queue, ManifestWriter manifest) {
            this.queue = queue;
            this.manifest = manifest;
        }

        Totals totals() {
            // Every problem, the walker's (unlistable directories, unnameable files) and the readers', is one file or
            // directory that is not (fully) in the point.
            synchronized (TreeScanner.this) {
                return new Totals(files, dirs, links, bytes, read, newFiles, newBytes, stored, problems.size());
            }
        }

        @Override
        public void run() {
            try (RecordBatch batch = index.batch()) {
                while (true) {
                    Future<List<Item>> f = queue.take();
                    List<Item> items;
                    try {
                        items = f.get();
                    } catch (ExecutionException e) {
                        throw e.getCause();
                    }
                    if (items == END_CHUNK) {
                        break;
                    }
                    for (Item it : items) {
                        consume(it, batch);
                    }
                    if (deferred.size() >= BATCH) {
                        releaseCommitted(batch);
                    }
                    if (batch.size() >= BATCH) {
                        batch.apply();
                    }
                }
                releaseCommitted(batch);
                batch.apply();
            } catch (Throwable t) {
                error = t;
                // Keep draining so the walker is never stuck on a full queue.
                try {
                    while (!isEnd(queue.take())) {
                        // discard
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Moves deferred records whose packs have been committed into the batch. */
        private void releaseCommitted(RecordBatch batch) throws IOException {
            List<Deferred> still = new ArrayList<>();
            for (Deferred d : deferred) {
                if (packs.isPending(d.record().key())) {
                    still.add(d);
                } else {
                    batch.putFile(tree.name(), d.path(), d.record());
                }
            }
            deferred.clear();
            deferred.addAll(still);
        }

        private void consume(Item it, RecordBatch batch) throws IOException {
            if (it.stale != null) {
                for (byte[] k : it.stale) {
                    batch.deleteKey(k);
                }
                staleRecords += it.stale.size();
                return;
            }
            if (it.problem != null) {
                problem(it.problem);
                if (it.entry == null) {
                    return;
                }
            }
            FileEntry e = it.entry;
            manifest.add(e);
            switch (e.type()) {
                case DIR -> dirs++;
                case SYMLINK -> links++;
                case FILE -> {
                    files++;
                    bytes += e.size();
                    if (it.record != null) {
                        if (packs.isPending(it.record.key())) {
                            deferred.add(new Deferred(e.path(), it.record));
                        } else {
                            batch.putFile(tree.name(), e.path(), it.record);
                        }
                        read++;
                    }
                    if (it.newContent) {
                        newFiles++;
                        newBytes += e.size();
                        stored += it.storedBytes;
                    }
                }
                default -> throw new AssertionError();
            }
        }
    }
}
