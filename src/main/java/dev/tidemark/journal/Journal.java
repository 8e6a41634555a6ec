package dev.tidemark.journal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestCodec;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reading the journal: every file version the daemon copied, with the time it was seen, so that a tree can be
 * restored as it was at any second between restore points.
 *
 * <p>Format (repository format 2): objects {@code journal/<level>/<from>-<to>-<first time>-<last time>-<key>} (see
 * {@link JournalObject}); their content is {@link dev.tidemark.repo.BlobCodec} segments of JSON lines, a header
 * {@code {"journal":2,"level":L,"from":F,"to":T}}, then one line per change in batch order,
 * {@code {"s":batch,"t":nanos,"tree":"…","put":{manifest entry}}} or {@code {"s":…,"t":…,"tree":"…","del":"path"}};
 * a deleted directory takes everything under it along. Batches are numbered by the writer, 1, 2, 3…, in the order
 * they were committed: that is the journal's order, never the wall clock.
 *
 * <p>Readers read the {@link JournalCover}. If an object vanishes under a reader (merged and deleted by a
 * compaction, which waits for readers' leases, so only a reader without one sees this), the reader lists again
 * and goes on after the last change it handed out: nothing twice, nothing out of order.
 *
 * <p>A format-1 repository's segments ({@code journal/<yyyyMMdd>/<HHmmss>-<nanos>-<key>}) read as level-0 objects
 * numbered in name order, which is how the upgrade to format 2 numbers them.
 */
public final class Journal {
    public static final String PREFIX = JournalObject.PREFIX;
    private static final int RELISTS = 5;

    private final Repository repo;

    public Journal(Repository repo) {
        this.repo = repo;
    }

    /** True if {@code key} names a segment of the format-1 journal (garbage once the repository is at format 2). */
    public static boolean formatOneSegment(String key) {
        return LegacyJournal.isLegacy(key);
    }

    /** Every object of the journal as listed now (superseded ones included). */
    public List<JournalObject> list() throws IOException {
        if (repo.format() < 2) {
            return LegacyJournal.objects(repo.store());
        }
        List<JournalObject> out = new ArrayList<>();
        for (String k : repo.store().list(PREFIX)) {
            JournalObject o = JournalObject.parse(k);
            if (o != null) {
                out.add(o);
            }
        }
        return out;
    }

    public JournalCover cover() throws IOException {
        JournalCover c = JournalCover.of(list());
        if (!c.overlaps().isEmpty()) {
            throw new DamageException("journal objects overlap: " + c.overlaps().get(0) + "; run 'tidemark verify'");
        }
        return c;
    }

    /** The last batch ever journaled (0 if none): the journal position of a point taken now. */
    public long lastSeq() throws IOException {
        long last = JournalCover.of(list()).lastSeq();
        Horizon h = Horizon.read(repo.store());
        return h == null ? last : Math.max(last, h.seq());
    }

    /**
     * The latest time anything was recorded at (nanoseconds since the epoch): the last change of the journal, or
     * of its pruned part; {@link Long#MIN_VALUE} for an empty journal.
     */
    public long lastTime() throws IOException {
        long last = Long.MIN_VALUE;
        for (JournalObject o : list()) {
            last = Math.max(last, o.maxTime());
        }
        Horizon h = Horizon.read(repo.store());
        return h == null ? last : Math.max(last, FileEntry.nanos(h.time()));
    }

    public Horizon horizon() throws IOException {
        return Horizon.read(repo.store());
    }

    /**
     * Hands every change of the batches after {@code afterSeq} whose time is at or before {@code upTo} to
     * {@code sink}, in batch order; returns how many.
     */
    public long read(long afterSeq, Instant upTo, Consumer<JournalEntry> sink) throws IOException {
        return read(afterSeq, Long.MAX_VALUE, Long.MIN_VALUE, FileEntry.nanos(upTo), sink);
    }

    /**
     * Every change of the batches after {@code afterSeq}, in batch order, whatever compaction does meanwhile (an
     * object merged away is replaced by the one it went into).
     */
    public long readAfter(long afterSeq, Consumer<JournalEntry> sink) throws IOException {
        return read(afterSeq, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, sink);
    }

    /** Every change with {@code from <= time <= to}, in batch order (for points taken before batches had numbers). */
    public long readBetween(Instant from, Instant to, Consumer<JournalEntry> sink) throws IOException {
        return read(0, Long.MAX_VALUE, FileEntry.nanos(from), FileEntry.nanos(to), sink);
    }

    /**
     * Every change of the batches after {@code afterSeq} up to and including batch {@code throughSeq}, in batch
     * order: the journal as it was when batch {@code throughSeq} was the last (a point sealed at that position while
     * later batches are being written).
     */
    public long readThrough(long afterSeq, long throughSeq, Consumer<JournalEntry> sink) throws IOException {
        return read(afterSeq, throughSeq, Long.MIN_VALUE, Long.MAX_VALUE, sink);
    }

    private long read(long afterSeq, long maxSeq, long lo, long hi, Consumer<JournalEntry> sink) throws IOException {
        // The position of the last change handed out: its batch, and its place within the batch.
        long[] pos = {afterSeq, Long.MAX_VALUE};
        long[] n = {0};
        for (int listing = 0; ; listing++) {
            try {
                for (JournalObject o : cover().objects()) {
                    boolean handedOut = o.to() < pos[0] || o.to() == pos[0] && pos[1] == Long.MAX_VALUE;
                    if (handedOut) {
                        continue;
                    }
                    if (o.minTime() > hi || o.maxTime() < lo || o.from() > maxSeq) {
                        continue; // nothing in the range (a later object may still be: clocks step back)
                    }
                    long[] inBatch = {-1, 0};
                    readObject(o, e -> {
                        if (e.seq() != inBatch[0]) {
                            inBatch[0] = e.seq();
                            inBatch[1] = 0;
                        }
                        long place = inBatch[1]++;
                        boolean done = e.seq() < pos[0] || e.seq() == pos[0] && place <= pos[1];
                        if (done || e.seq() > maxSeq) {
                            return;
                        }
                        pos[0] = e.seq();
                        pos[1] = place;
                        if (e.timeNanos() >= lo && e.timeNanos() <= hi) {
                            sink.accept(e);
                            n[0]++;
                        }
                    });
                    pos[0] = Math.max(pos[0], o.to());
                    pos[1] = Long.MAX_VALUE; // the object's batches are complete
                }
                return n[0];
            } catch (ObjectNotFoundException e) {
                if (listing == RELISTS) {
                    throw new DamageException("journal object " + e.key() + " vanished " + RELISTS
                            + " times while being read; run 'tidemark verify'");
                }
                // Merged and deleted meanwhile: list again, go on after the last change handed out.
            }
        }
    }

    /**
     * Hands every change of one object to {@code sink}, in order, checking the object against its name (content
     * key, level, batches). Damage is a {@link DamageException} naming it.
     */
    public long readObject(JournalObject o, EntrySink sink) throws IOException {
        Store store = repo.store();
        long n = 0;
        String name = repo.objectKey(o.key()); // where it is, for messages
        try (InputStream in = new SegmentedInputStream(store.open(o.key()), repo.hasher(), o.contentKey(), name);
             JsonParser p = ManifestCodec.JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new DamageException(name + ": not a journal object");
            }
            long version = -1;
            long from = -1;
            long to = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                switch (f) {
                    case "journal" -> version = p.getLongValue();
                    case "from" -> from = p.getLongValue();
                    case "to" -> to = p.getLongValue();
                    default -> p.skipChildren();
                }
            }
            boolean legacy = version == 1;
            if (!legacy && (version != 2 || from != o.from() || to != o.to())) {
                throw new DamageException(name + ": header does not match the name (version " + version
                        + ", batches " + from + ".." + to + ")");
            }
            long lastSeq = o.from();
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t != JsonToken.START_OBJECT) {
                    throw new DamageException(name + ": unexpected " + t);
                }
                JournalEntry e = readEntry(p, o.key(), legacy ? o.from() : JournalEntry.UNASSIGNED);
                if (e.seq() < lastSeq || e.seq() > o.to()) {
                    throw new DamageException(name + ": batch " + e.seq() + " out of order or outside "
                            + o.from() + ".." + o.to());
                }
                lastSeq = e.seq();
                sink.accept(e);
                n++;
            }
            while (in.read() >= 0) {
                // drain, so the content key is checked
            }
        } catch (DamageException | ObjectNotFoundException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DamageException(name + ": unreadable journal object: " + e.getMessage(), e);
        }
        return n;
    }

    /** Receives the changes of a journal object, one at a time. */
    public interface EntrySink {
        void accept(JournalEntry e) throws IOException;
    }

    private static JournalEntry readEntry(JsonParser p, String object, long seq) throws IOException {
        long s = seq;
        long t = Long.MIN_VALUE;
        String tree = null;
        String del = null;
        FileEntry put = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken v = p.nextToken();
            switch (f) {
                case "s" -> s = p.getLongValue();
                case "t" -> t = p.getLongValue();
                case "tree" -> tree = p.getText();
                case "del" -> del = p.getText();
                case "put" -> {
                    if (v != JsonToken.START_OBJECT) {
                        throw new DamageException(object + ": 'put' is not an object");
                    }
                    put = ManifestCodec.read(p);
                }
                default -> p.skipChildren();
            }
        }
        if (s == JournalEntry.UNASSIGNED || t == Long.MIN_VALUE || tree == null || (del == null) == (put == null)) {
            throw new DamageException(object + ": journal line without batch, time, tree, or exactly one of put/del");
        }
        return put != null ? new JournalEntry(s, t, tree, put.path(), put) : new JournalEntry(s, t, tree, del, null);
    }
}
