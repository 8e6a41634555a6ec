package dev.tidemark.daemon;

import dev.tidemark.index.FileRecord;
import dev.tidemark.index.Index;
import dev.tidemark.index.RecordBatch;
import dev.tidemark.journal.JournalEntry;
import dev.tidemark.journal.JournalObject;
import dev.tidemark.journal.JournalWriter;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.scan.ContentReader;
import dev.tidemark.scan.FileStat;
import dev.tidemark.util.Sizes;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a batch of settled changes durable, on the worker. Per batch, in order:
 *
 * <ol>
 *   <li>lstat each path and compare it with the file system and the index (an event only says "look here":
 *       duplicates, stale paths and renames reported as delete + create all reduce to what is there now); read
 *       changed files through {@link ContentReader} into the open pack; compare directories and symlinks with what
 *       was last recorded; look at the parents of everything in the batch too (inotify reports no event for a
 *       directory whose entries changed, but its mtime did);</li>
 *   <li>if the batch deletes anything, check the tree's root is still the same directory, else suspend the tree;</li>
 *   <li>commit the pack (content durable);</li>
 *   <li>commit the journal batch (the changes durable: what {@code status} measures latency to);</li>
 *   <li>write the index records and delete the records under deleted paths.</li>
 * </ol>
 *
 * A crash before 4 leaves content nothing names (reused by deduplication); between 4 and 5 an index behind the
 * journal: either way the catch-up at the next start compares the trees with the index and redoes the difference.
 */
final class BatchWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

    private final Follower follower;
    private final Index index;
    private final ChangeQueue queue;
    private final ExecutorService pool;
    private final ContentReader reader;
    private final PackWriter packs;
    private final JournalWriter journal;
    private final Clock clock;
    private final boolean verbose;
    private final DaemonStatus status;
    /** Told about every batch once it is durable (maintenance keeps what new batches name). */
    private final Consumer<List<JournalEntry>> journaled;
    private boolean indexDirty;

    BatchWriter(Follower follower, Index index, ChangeQueue queue, ExecutorService pool, ContentReader reader,
                PackWriter packs, JournalWriter journal, Clock clock, boolean verbose, DaemonStatus status,
                Consumer<List<JournalEntry>> journaled) {
        this.follower = follower;
        this.index = index;
        this.queue = queue;
        this.pool = pool;
        this.reader = reader;
        this.packs = packs;
        this.journal = journal;
        this.clock = clock;
        this.verbose = verbose;
        this.status = status;
        this.journaled = journaled;
    }

    /** True if index records were written since the last {@link #indexFlushed}. */
    boolean indexDirty() {
        return indexDirty;
    }

    void indexFlushed() {
        indexDirty = false;
    }

    /** What one change turned out to be. */
    private record Outcome(ChangeQueue.Change change, long time, FileEntry put, boolean delete,
                           Future<ContentReader.Result> read, FileRecord before) {
    }

    /** An index record to write once the batch is durable. */
    private record Record(String tree, String path, FileRecord record) {
    }

    static boolean sameMeta(FileEntry e, FileStat st) {
        return e.type() == st.type() && e.mtimeNanos() == st.mtimeNanos() && e.mode() == st.mode()
                && e.uid() == st.uid() && e.gid() == st.gid() && e.inode() == st.inode()
                && e.ctimeNanos() == st.ctimeNanos();
    }

    void apply(List<ChangeQueue.Change> batch) throws IOException {
        List<Outcome> outcomes = new ArrayList<>(batch.size());
        Set<String> deletingTrees = new HashSet<>();
        for (ChangeQueue.Change c : batch) {
            look(c, outcomes, deletingTrees);
        }
        lookAtParents(batch, outcomes);
        // A root that vanished under the batch (rm -rf, unmount) turns its deletions into an alarm, not a record.
        for (String tree : deletingTrees) {
            FollowedTree ts = follower.tree(tree);
            if (!follower.rootIntact(ts)) {
                follower.suspend(ts, "root " + ts.cfg.path() + " vanished or was replaced (unmounted or failed disk?)");
            }
        }
        commit(outcomes);
    }

    /** Step 1 for one path: what is there now, and a read of its content if it is a file. */
    private void look(ChangeQueue.Change c, List<Outcome> outcomes, Set<String> deletingTrees) throws IOException {
        FollowedTree ts = follower.tree(c.tree());
        if (ts == null || ts.mode == Daemon.Mode.SUSPENDED || ts.excluded(c.path())) {
            return;
        }
        Path p = c.path().equals(FileEntry.ROOT) ? ts.root : ts.root.resolve(c.path());
        long time = FileEntry.nanos(clock.instant());
        FileStat st;
        try {
            st = FileStat.lstat(p);
        } catch (NoSuchFileException | NotDirectoryException e) {
            outcomes.add(new Outcome(c, time, null, true, null, null));
            deletingTrees.add(c.tree());
            return;
        } catch (FileSystemException e) {
            LOG.warn("tree {}: {}: cannot stat ({})", c.tree(), c.path(), dev.tidemark.util.Problems.reason(e));
            return;
        }
        if (st.type() == null) {
            dev.tidemark.scan.SpecialFiles.skipped(c.tree(), c.path(), p);
            return; // a socket, fifo or device: not backed up
        }
        switch (st.type()) {
            case FILE -> {
                FileRecord rec = index.getFile(c.tree(), c.path());
                Future<ContentReader.Result> f = pool.submit(() -> reader.read(p, c.path(), st, rec));
                outcomes.add(new Outcome(c, time, null, false, f, rec));
            }
            case DIR -> {
                FileEntry known = ts.nonFiles.get(c.path());
                if (known == null || !sameMeta(known, st)) {
                    outcomes.add(new Outcome(c, time, ContentReader.entry(c.path(), st, null, null), false, null,
                            null));
                }
            }
            case SYMLINK -> {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    queue.offer(c.tree(), c.path());
                    return;
                }
                FileEntry known = ts.nonFiles.get(c.path());
                if (known == null || !sameMeta(known, st) || !target.equals(known.target())) {
                    outcomes.add(new Outcome(c, time, ContentReader.entry(c.path(), st, null, target), false, null,
                            null));
                }
            }
            default -> throw new AssertionError(st.type());
        }
    }

    /** A directory's mtime changes with its entries, but inotify reports no event for it: look at the parents. */
    private void lookAtParents(List<ChangeQueue.Change> batch, List<Outcome> outcomes) {
        Set<String> inBatch = new HashSet<>();
        for (ChangeQueue.Change c : batch) {
            inBatch.add(c.tree() + '\0' + c.path());
        }
        Set<String> parents = new LinkedHashSet<>();
        for (Outcome o : outcomes) {
            String p = o.change().path();
            if (!p.equals(FileEntry.ROOT)) {
                int slash = p.lastIndexOf('/');
                String parent = slash < 0 ? FileEntry.ROOT : p.substring(0, slash);
                if (!inBatch.contains(o.change().tree() + '\0' + parent)) {
                    parents.add(o.change().tree() + '\0' + parent);
                }
            }
        }
        for (String tp : parents) {
            int z = tp.indexOf('\0');
            FollowedTree ts = follower.tree(tp.substring(0, z));
            String dir = tp.substring(z + 1);
            try {
                FileStat st = FileStat.lstat(dir.equals(FileEntry.ROOT) ? ts.root : ts.root.resolve(dir));
                FileEntry known = ts.nonFiles.get(dir);
                if (st.type() == EntryType.DIR && (known == null || !sameMeta(known, st))) {
                    long now = System.nanoTime();
                    outcomes.add(new Outcome(new ChangeQueue.Change(ts.name(), dir, now, now),
                            FileEntry.nanos(clock.instant()), ContentReader.entry(dir, st, null, null), false, null,
                            null));
                }
            } catch (IOException e) {
                queue.offer(ts.name(), dir); // gone too: its own change will say so
            }
        }
    }

    /** Steps 3 to 5: pack, journal, index. */
    private void commit(List<Outcome> outcomes) throws IOException {
        List<JournalEntry> entries = new ArrayList<>();
        List<Record> records = new ArrayList<>();
        List<String[]> deletes = new ArrayList<>();
        List<Outcome> done = new ArrayList<>();
        List<String> said = new ArrayList<>(); // per-file lines, logged once they are durable
        long copied = 0;
        long stored = 0;
        for (Outcome o : outcomes) {
            String tree = o.change().tree();
            FollowedTree ts = follower.tree(tree);
            if (o.read() != null) {
                ContentReader.Result r = result(o);
                if (r == null) {
                    queue.offer(tree, o.change().path()); // gone or replaced while read: look again
                    continue;
                }
                if (r.problem() != null) {
                    LOG.warn("tree {}: {}; will try again when it settles", tree, r.problem());
                    continue;
                }
                if (r.record() == null) {
                    continue; // unchanged: a duplicate event
                }
                FileRecord b = o.before();
                FileRecord a = r.record();
                if (b != null && b.key().equals(a.key()) && b.matches(a.size(), a.mtimeNanos(), a.ctimeNanos(), a.inode())) {
                    records.add(new Record(tree, o.change().path(), a)); // read again only to trust the record
                    continue;
                }
                entries.add(JournalEntry.put(o.time(), tree, r.entry()));
                records.add(new Record(tree, o.change().path(), r.record()));
                copied += r.newContent() ? 1 : 0;
                stored += r.storedBytes();
                done.add(o);
                if (verbose) {
                    said.add(tree + ":" + o.change().path() + (r.newContent() ? " copied (" : " recorded (")
                            + Sizes.bytes(r.entry().size()) + (r.newContent() ? ", new content)"
                            : ", content already stored)"));
                }
            } else if (o.delete()) {
                if (ts.mode == Daemon.Mode.SUSPENDED) {
                    continue; // dropped with the alarm
                }
                entries.add(JournalEntry.delete(o.time(), tree, o.change().path()));
                deletes.add(new String[] {tree, o.change().path()});
                done.add(o);
                if (verbose) {
                    said.add(tree + ":" + o.change().path() + " deleted");
                }
            } else {
                entries.add(JournalEntry.put(o.time(), tree, o.put()));
                done.add(o);
                if (verbose) {
                    said.add(tree + ":" + o.change().path() + (o.put().isDir() ? " directory" : " symlink"));
                }
            }
        }
        if (entries.isEmpty()) {
            writeRecords(records, List.of());
            return;
        }
        packs.flush(); // 3. the content is durable
        JournalObject batch = journal.append(entries); // 4. the changes are durable
        writeRecords(records, deletes); // 5. the index learns of them
        for (String line : said) {
            LOG.info("{}", line);
        }
        for (JournalEntry e : entries) {
            FollowedTree ts = follower.tree(e.tree());
            if (e.isDelete()) {
                ts.forgetNonFiles(e.path());
            } else if (!e.entry().isFile()) {
                ts.nonFiles.put(e.path(), e.entry());
            }
        }
        long[] firsts = new long[done.size()];
        for (int i = 0; i < firsts.length; i++) {
            firsts[i] = done.get(i).change().first();
        }
        status.durable(System.nanoTime(), firsts, clock.instant());
        status.changesJournaled.addAndGet(entries.size());
        status.filesCopied.addAndGet(copied);
        status.bytesStored.addAndGet(stored);
        status.batches.incrementAndGet();
        journaled.accept(entries);
        LOG.debug("journal batch {}: {} changes, {} files copied, {} stored", batch.from(), entries.size(), copied,
                Sizes.bytes(stored));
    }

    private void writeRecords(List<Record> records, List<String[]> deletes) throws IOException {
        if (records.isEmpty() && deletes.isEmpty()) {
            return;
        }
        try (RecordBatch b = index.batch()) {
            for (Record r : records) {
                b.putFile(r.tree(), r.path(), r.record());
            }
            for (String[] d : deletes) {
                b.deleteTree(d[0], d[1]);
            }
            b.apply();
        }
        indexDirty = true;
    }

    private static ContentReader.Result result(Outcome o) throws IOException {
        try {
            return o.read().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while copying");
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(t);
        }
    }
}
