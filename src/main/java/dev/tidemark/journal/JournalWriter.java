package dev.tidemark.journal;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.ManifestCodec;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.List;

/**
 * Writes journal objects: one level-0 object per batch of changes ({@link #append}), numbered in commit order, and
 * merged objects for compaction and the format upgrade ({@link #open}). Only the holder of the writer lock writes,
 * and it checks the lock before every commit.
 *
 * <p>A batch is committed only after the pack holding its new content: a change in the journal is durable.
 *
 * <p>Recorded times never go backwards: {@code restore --at} selects by time, so a batch stamped earlier than one
 * before it (the clock stepped back: a NAS correcting its time at boot) would be applied before changes that
 * happened first, or split from them. A change seen while the clock is behind the last recorded time (of the
 * journal, or of a restore point: {@link #observe}) is recorded at that time, and the writer says so once.
 */
public final class JournalWriter {
    private final Repository repo;
    private final WriterLock lock;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JournalWriter.class);
    private long lastSeq;
    private long lastTime;
    private boolean clockBehind;
    private boolean lastAppendFailed;

    private JournalWriter(Repository repo, WriterLock lock, long lastSeq, long lastTime) {
        this.repo = repo;
        this.lock = lock;
        this.lastSeq = lastSeq;
        this.lastTime = lastTime;
    }

    /** A writer that numbers batches after the last one the repository holds. */
    public static JournalWriter open(Repository repo, WriterLock lock) throws IOException {
        if (repo.format() < Repository.FORMAT) {
            throw new IllegalStateException("repository " + repo.location() + " is at format " + repo.format()
                    + ": upgrade it first (FormatUpgrade)");
        }
        Journal j = new Journal(repo);
        return new JournalWriter(repo, lock, j.lastSeq(), j.lastTime());
    }

    /** The writer that rewrites a format-1 journal (its batches keep their numbers and times). */
    static JournalWriter openForUpgrade(Repository repo, WriterLock lock) throws IOException {
        return new JournalWriter(repo, lock, new Journal(repo).lastSeq(), Long.MIN_VALUE);
    }

    /** The latest time recorded (nanoseconds since the epoch): no later change is recorded before it. */
    public long lastTime() {
        return lastTime;
    }

    /** Something was recorded at {@code time} (a restore point): no later change is recorded before it. */
    public void observe(java.time.Instant time) {
        lastTime = Math.max(lastTime, dev.tidemark.point.FileEntry.nanos(time));
    }

    /** The last batch committed. */
    public long lastSeq() {
        return lastSeq;
    }

    /** Commits one batch of changes (in time order) as a level-0 object; returns it. */
    public JournalObject append(List<JournalEntry> entries) throws IOException {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("empty journal batch");
        }
        if (lastAppendFailed) {
            // The last commit threw, but may have landed (the rename happened, the directory sync failed): then
            // its number is taken.
            String prefix = JournalObject.PREFIX + "0/" + String.format("%016x-%016x-", lastSeq + 1, lastSeq + 1);
            if (!repo.store().list(prefix).isEmpty()) {
                lastSeq++;
            }
            lastAppendFailed = false;
        }
        long seq = lastSeq + 1;
        long floor = lastTime;
        try (Merged out = open(0, seq, seq)) {
            for (JournalEntry e : entries) {
                long t = Math.max(e.timeNanos(), floor);
                if (t != e.timeNanos() && !clockBehind && floor - e.timeNanos() > 1_000_000_000L) {
                    clockBehind = true;
                    LOG.warn("the clock is {} behind the last recorded time ({}): it stepped back; changes are "
                            + "recorded at that time until the clock passes it, so 'restore --at' keeps their order",
                            dev.tidemark.util.Sizes.duration(java.time.Duration.ofNanos(floor - e.timeNanos())),
                            dev.tidemark.point.FileEntry.instant(floor));
                } else if (t == e.timeNanos()) {
                    clockBehind = false;
                }
                floor = t;
                out.add(new JournalEntry(seq, t, e.tree(), e.path(), e.entry()));
            }
            JournalObject o = out.commit();
            lastSeq = seq;
            lastTime = floor;
            return o;
        } catch (IOException | RuntimeException e) {
            lastAppendFailed = true;
            throw e;
        }
    }

    /** Starts an object of {@code level} covering batches {@code from..to}; its changes are added in order. */
    public Merged open(int level, long from, long to) throws IOException {
        return new Merged(level, from, to);
    }

    /** An object being written; closing it uncommitted discards it. */
    public final class Merged implements AutoCloseable {
        private final int level;
        private final long from;
        private final long to;
        private final Store.Upload upload;
        private final SegmentedOutputStream out;
        private final JsonGenerator g;
        private long minTime = Long.MAX_VALUE;
        private long maxTime = Long.MIN_VALUE;
        private long lastSeq;
        private long count;

        private Merged(int level, long from, long to) throws IOException {
            this.level = level;
            this.from = from;
            this.to = to;
            this.lastSeq = from;
            this.upload = repo.store().upload();
            this.out = new SegmentedOutputStream(upload.stream(), repo.hasher());
            this.g = ManifestCodec.JSON.createGenerator(out);
            g.writeStartObject();
            g.writeNumberField("journal", 2);
            g.writeNumberField("level", level);
            g.writeNumberField("from", from);
            g.writeNumberField("to", to);
            g.writeEndObject();
            g.writeRaw('\n');
        }

        /** Adds the next change; batches must come in order and lie in {@code from..to}. */
        public void add(JournalEntry e) throws IOException {
            if (e.seq() < lastSeq || e.seq() > to) {
                throw new IllegalStateException("batch " + e.seq() + " out of order in " + from + ".." + to);
            }
            lastSeq = e.seq();
            minTime = Math.min(minTime, e.timeNanos());
            maxTime = Math.max(maxTime, e.timeNanos());
            g.writeStartObject();
            g.writeNumberField("s", e.seq());
            g.writeNumberField("t", e.timeNanos());
            g.writeStringField("tree", e.tree());
            if (e.isDelete()) {
                g.writeStringField("del", e.path());
            } else {
                g.writeFieldName("put");
                ManifestCodec.write(g, e.entry());
            }
            g.writeEndObject();
            g.writeRaw('\n');
            count++;
        }

        public long count() {
            return count;
        }

        /** Commits the object under its name (the writer lock is checked first); durable when this returns. */
        public JournalObject commit() throws IOException {
            if (count == 0) {
                throw new IllegalStateException("empty journal object " + from + ".." + to);
            }
            g.flush(); // not closed: that would close the segment stream before it is finished
            ContentKey key = out.finish();
            String name = JournalObject.keyOf(level, from, to, minTime, maxTime, key);
            lock.check();
            upload.commit(name);
            return JournalObject.parse(name);
        }

        @Override
        public void close() throws IOException {
            upload.close();
        }
    }
}
