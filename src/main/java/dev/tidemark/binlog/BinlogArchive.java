package dev.tidemark.binlog;

import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.store.ObjectNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The archived binlog as one listing saw it: per file, the cover of its pieces (the pieces no other piece holds),
 * and the gaps the follower recorded. Answers what a restore needs: is the archive continuous from a point's
 * coordinates, how far is it known to be complete, and the bytes from a position on.
 */
public final class BinlogArchive {
    private final Repository repo;
    private final TreeMap<String, List<Piece>> files = new TreeMap<>(Position::compareFiles);
    private final List<Piece> superseded = new ArrayList<>();
    private final List<Piece.Gap> gaps = new ArrayList<>();
    private Instant checked = Instant.EPOCH;
    private Instant lastCommit = Instant.EPOCH;
    private long bytes;

    private BinlogArchive(Repository repo) {
        this.repo = repo;
    }

    public static BinlogArchive load(Repository repo) throws IOException {
        BinlogArchive a = new BinlogArchive(repo);
        Map<String, List<Piece>> byFile = new TreeMap<>();
        for (String key : repo.store().list(Piece.PREFIX)) {
            if (key.startsWith(Piece.GAPS)) {
                try {
                    a.gaps.add(dev.tidemark.repo.CheckedRecord.read(repo.store().get(key), Piece.Gap.class, key));
                } catch (ObjectNotFoundException gone) {
                    // removed by a prune since the listing
                }
                continue;
            }
            Piece p = Piece.parse(key);
            if (p != null) {
                byFile.computeIfAbsent(p.file(), f -> new ArrayList<>()).add(p);
                if (p.checked().isAfter(a.checked)) {
                    a.checked = p.checked();
                }
                if (p.length() > 0 && p.lastCommit().isAfter(a.lastCommit)) {
                    a.lastCommit = p.lastCommit();
                }
            }
        }
        a.gaps.sort(Comparator.comparing(Piece.Gap::at));
        for (Map.Entry<String, List<Piece>> e : byFile.entrySet()) {
            List<Piece> all = e.getValue();
            all.sort(Comparator.comparingLong(Piece::from).thenComparing(Comparator.comparingLong(Piece::length)
                    .reversed()).thenComparing(Piece::key));
            List<Piece> cover = new ArrayList<>();
            long maxTo = -1;
            for (Piece p : all) {
                if (p.to() <= maxTo) {
                    a.superseded.add(p);
                } else {
                    cover.add(p);
                    maxTo = p.to();
                    a.bytes += p.length();
                }
            }
            a.files.put(e.getKey(), cover);
        }
        return a;
    }

    /**
     * The binlog objects no restore can use once only {@code kept} points remain: the pieces and gaps of files before
     * the binlog file of the oldest kept point that has coordinates and is at or after {@code horizon} (a restore to a
     * time starts from such a point; before the journal's horizon there are no restores to a time). Nothing if no
     * kept point has coordinates.
     */
    public static List<String> beforeOldestBase(Repository repo, List<dev.tidemark.point.RestorePoint> kept,
                                                Instant horizon) throws IOException {
        String first = null;
        for (dev.tidemark.point.RestorePoint p : kept) {
            dev.tidemark.point.DatabaseSnapshot d = p.database();
            if (d == null || d.binlogFile() == null || !Position.isFileName(d.binlogFile())
                    || horizon != null && p.time().isBefore(horizon)) {
                continue;
            }
            if (first == null || Position.compareFiles(d.binlogFile(), first) < 0) {
                first = d.binlogFile();
            }
        }
        List<String> out = new ArrayList<>();
        if (first == null) {
            return out;
        }
        BinlogArchive a = load(repo);
        String keep = first;
        java.util.stream.Stream.concat(a.files.values().stream().flatMap(List::stream), a.superseded.stream())
                .filter(p -> Position.compareFiles(p.file(), keep) < 0).forEach(p -> out.add(p.key()));
        for (Piece.Gap g : a.gaps) {
            if (Position.compareFiles(g.next(), first) <= 0) {
                out.add(g.key());
            }
        }
        return out;
    }

    public boolean isEmpty() {
        return files.isEmpty();
    }

    /** The files archived, in the server's order. */
    public List<String> files() {
        return new ArrayList<>(files.keySet());
    }

    /** The cover of one file, in order. */
    public List<Piece> pieces(String file) {
        return files.getOrDefault(file, List.of());
    }

    /** Pieces another piece holds: garbage once no reader needs them. */
    public List<Piece> superseded() {
        return Collections.unmodifiableList(superseded);
    }

    public List<Piece.Gap> gaps() {
        return Collections.unmodifiableList(gaps);
    }

    /** Bytes of binlog held (the cover). */
    public long bytes() {
        return bytes;
    }

    /** The end of the archive: where the follower goes on. Null if empty. */
    public Position end() {
        if (files.isEmpty()) {
            return null;
        }
        Map.Entry<String, List<Piece>> last = files.lastEntry();
        List<Piece> ps = last.getValue();
        return new Position(last.getKey(), ps.get(ps.size() - 1).to());
    }

    /** The archive is known to hold every transaction committed up to this time (the follower's last check). */
    public Instant checked() {
        return checked;
    }

    /** When the newest archived transaction committed. */
    public Instant lastCommit() {
        return lastCommit;
    }

    /** Where the bytes from {@code from} on stop being continuous, and why; null if they are continuous to the end. */
    public Break firstBreak(Position from) {
        String file = from.file();
        long need = from.offset();
        while (true) {
            List<Piece> cover = files.get(file);
            if (cover == null) {
                return new Break(new Position(file, need), "binlog file " + file + " was never archived");
            }
            if (cover.get(0).from() != Position.START) {
                return new Break(new Position(file, Position.START), "the start of " + file
                        + " (its format description) is missing from the archive");
            }
            long reach = Position.START;
            for (Piece p : cover) {
                if (p.from() > reach && p.from() > need) {
                    return new Break(new Position(file, reach), "bytes " + reach + " to " + p.from() + " of " + file
                            + " are missing from the archive");
                }
                reach = Math.max(reach, p.to());
            }
            if (reach < need) {
                return new Break(new Position(file, reach), file + " is archived only to byte " + reach);
            }
            String next = files.higherKey(file);
            if (next == null) {
                return null;
            }
            for (Piece.Gap g : gaps) {
                if (g.file().equals(file)) {
                    return new Break(g.at(), g.why());
                }
            }
            if (!Position.follows(file, next)) {
                return new Break(new Position(file, reach), "binlog files between " + file + " and " + next
                        + " are missing from the archive");
            }
            file = next;
            need = Position.START;
        }
    }

    /** Why the archive does not reach from one position to another, for messages. */
    public record Break(Position at, String why) {
    }

    /** The bytes of {@code file} from {@code offset} to the end of its archived part (pieces read and checked). */
    public InputStream open(String file, long offset) throws IOException {
        List<Piece> cover = new ArrayList<>(pieces(file));
        cover.removeIf(p -> p.to() <= offset);
        Iterator<Piece> it = cover.iterator();
        long[] pos = {offset};
        Enumeration<InputStream> streams = new Enumeration<>() {
            @Override
            public boolean hasMoreElements() {
                return it.hasNext();
            }

            @Override
            public InputStream nextElement() {
                Piece p = it.next();
                try {
                    InputStream in = new SegmentedInputStream(repo.store().open(p.key()), repo.hasher(),
                            p.contentKey(), repo.objectKey(p.key()));
                    long skip = pos[0] - p.from();
                    if (skip > 0) {
                        in.skipNBytes(skip);
                    }
                    pos[0] = p.to();
                    return in;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        return new SequenceInputStream(streams) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (java.io.UncheckedIOException e) {
                    throw e.getCause();
                }
            }

            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (java.io.UncheckedIOException e) {
                    throw e.getCause();
                }
            }
        };
    }

    /** The format description event that starts {@code file} (it says whether events carry checksums). */
    public Event formatDescription(String file) throws IOException {
        try (InputStream in = open(file, Position.START)) {
            Event e = Event.read(in, file);
            if (e == null || e.type() != Event.FORMAT_DESCRIPTION) {
                throw new IOException(file + " in the archive does not start with a format description event");
            }
            return e;
        }
    }
}
