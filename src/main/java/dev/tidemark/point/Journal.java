package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The journal: every file version the daemon copies, with the time it was seen, so that a tree can be restored as it
 * was at any second between restore points.
 *
 * <p>Format: one object per batch of changes, {@code journal/<yyyyMMdd>/<HHmmss>-<nanos 9>-<content key>}, named by
 * the UTC time of the batch's first change (so listing is chronological) and by the content key of its bytes (so a
 * damaged segment is detected). Content: {@link dev.tidemark.repo.BlobCodec} segments of JSON lines, a header
 * {@code {"journal":1}} then one line per change, {@code {"t":nanos,"tree":"…","put":{manifest entry}}} or
 * {@code {"t":nanos,"tree":"…","del":"path"}}; a deleted directory takes everything under it along.
 *
 * <p>A segment is committed only after the pack holding its new content: a change in the journal is durable.
 */
public final class Journal {
    public static final String PREFIX = "journal/";
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);

    private final Repository repo;
    private long lastName;

    public Journal(Repository repo) {
        this.repo = repo;
    }

    /** Commits one segment holding {@code entries} (in time order); returns its key. */
    public String append(List<JournalEntry> entries) throws IOException {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("empty journal segment");
        }
        Store store = repo.store();
        try (Store.Upload up = store.upload()) {
            SegmentedOutputStream out = new SegmentedOutputStream(up.stream(), repo.hasher());
            JsonGenerator g = ManifestCodec.JSON.createGenerator(out);
            {
                g.writeStartObject();
                g.writeNumberField("journal", 1);
                g.writeEndObject();
                g.writeRaw('\n');
                for (JournalEntry e : entries) {
                    g.writeStartObject();
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
                }
                g.flush(); // not closed: that would close the segment stream before it is finished
            }
            ContentKey key = out.finish();
            // Names sort by time; two segments within one nanosecond get distinct, still ordered, names.
            long t = Math.max(entries.get(0).timeNanos(), lastName + 1);
            lastName = t;
            String name = keyOf(t, key);
            up.commit(name);
            return name;
        }
    }

    static String keyOf(long nanos, ContentKey key) {
        Instant at = FileEntry.instant(nanos);
        return PREFIX + DAY.format(at) + "/" + TIME.format(at) + "-" + String.format("%09d", at.getNano()) + "-"
                + key.hex();
    }

    /** The segments that can hold changes from {@code from} to {@code to}, oldest first. */
    public List<String> segments(Instant from, Instant to) throws IOException {
        List<String> out = new ArrayList<>();
        String first = DAY.format(from);
        String last = DAY.format(to);
        for (String k : repo.store().list(PREFIX)) {
            String day = k.substring(PREFIX.length(), Math.min(k.length(), PREFIX.length() + 8));
            if (day.compareTo(first) >= 0 && day.compareTo(last) <= 0) {
                out.add(k);
            }
        }
        return out;
    }

    /**
     * Hands every change with {@code from <= time <= to} to {@code sink}, oldest first. A segment whose bytes do not
     * match its name is a {@link DamageException}.
     */
    public long read(Instant from, Instant to, Consumer<JournalEntry> sink) throws IOException {
        long lo = FileEntry.nanos(from);
        long hi = FileEntry.nanos(to);
        long n = 0;
        for (String k : segments(from, to)) {
            n += readSegment(k, lo, hi, sink);
        }
        return n;
    }

    /** Hands the changes of one segment with {@code lo <= time <= hi} (nanoseconds) to {@code sink}. */
    public long readSegment(String k, long lo, long hi, Consumer<JournalEntry> sink) throws IOException {
        ContentKey expected;
        try {
            expected = ContentKey.parse(k.substring(k.lastIndexOf('-') + 1));
        } catch (RuntimeException e) {
            throw new DamageException(k + ": not a journal segment name");
        }
        long n = 0;
        try (InputStream in = new SegmentedInputStream(repo.store().open(k), repo.hasher(), expected, k);
             JsonParser p = ManifestCodec.JSON.createParser(in)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw new DamageException(k + ": not a journal segment");
            }
            p.skipChildren();
            while ((t = p.nextToken()) != null) {
                if (t != JsonToken.START_OBJECT) {
                    throw new DamageException(k + ": unexpected " + t);
                }
                JournalEntry e = readEntry(p, k);
                if (e.timeNanos() >= lo && e.timeNanos() <= hi) {
                    sink.accept(e);
                    n++;
                }
            }
            while (in.read() >= 0) {
                // drain, so the content key is checked
            }
        } catch (DamageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DamageException(k + ": unreadable journal segment: " + e.getMessage(), e);
        }
        return n;
    }

    private static JournalEntry readEntry(JsonParser p, String segment) throws IOException {
        long t = Long.MIN_VALUE;
        String tree = null;
        String del = null;
        FileEntry put = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken v = p.nextToken();
            switch (f) {
                case "t" -> t = p.getLongValue();
                case "tree" -> tree = p.getText();
                case "del" -> del = p.getText();
                case "put" -> {
                    if (v != JsonToken.START_OBJECT) {
                        throw new DamageException(segment + ": 'put' is not an object");
                    }
                    put = ManifestCodec.read(p);
                }
                default -> p.skipChildren();
            }
        }
        if (t == Long.MIN_VALUE || tree == null || (del == null) == (put == null)) {
            throw new DamageException(segment + ": journal line without time, tree, or exactly one of put/del");
        }
        return put != null ? JournalEntry.put(t, tree, put) : JournalEntry.delete(t, tree, del);
    }
}
