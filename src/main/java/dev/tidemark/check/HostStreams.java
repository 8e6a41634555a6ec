package dev.tidemark.check;

import dev.tidemark.binlog.BinlogArchive;
import dev.tidemark.binlog.Event;
import dev.tidemark.binlog.Piece;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.journal.Horizon;
import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalCover;
import dev.tidemark.journal.JournalObject;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.store.ObjectNotFoundException;
import java.io.IOException;
import java.util.function.Predicate;

/**
 * {@link Checker}'s part for what each host writes alone (format 5; before, the one journal and archive): its journal
 * and its archived binlog. An object that vanishes while read ends the attempt ({@link Checker.Vanished}: a
 * compaction or prune deleted it, and the check starts over).
 */
final class HostStreams {
    /** Where the checks report: the content a file names, damage, and files whose content no pack holds. */
    interface Findings {
        /** Why no pack holds {@code key} whole, or null if one does. */
        String problem(ContentKey key);

        void damage(String what);

        void affected(String what);
    }

    /** What the journals held. */
    record Journals(int objects, long changes) {
    }

    /** What the binlog archives held. */
    record Binlogs(int pieces, long bytes) {
    }

    private HostStreams() {
    }

    /**
     * Every host's journal: objects never partly overlap; every object read matches its name, and every file version
     * it names is in a pack. Superseded objects (a merge's inputs not yet deleted) and those below the horizon
     * (pruned) are garbage and not read.
     */
    static Journals journals(Repository repo, Findings f) throws IOException {
        long[] changes = {0};
        int objects = 0;
        for (Repository host : repo.hosts()) {
            String of = host.space().whole() ? "" : " of host " + host.host();
            Journal journal = new Journal(host);
            JournalCover cover = JournalCover.of(journal.list());
            for (String o : cover.overlaps()) {
                f.damage("journal objects" + of + " overlap: " + o);
            }
            Horizon horizon = journal.horizon();
            for (JournalObject o : cover.objects()) {
                if (horizon != null && o.to() <= horizon.seq()) {
                    continue;
                }
                objects++;
                if (host.store().size(o.key()).isEmpty()) {
                    throw new Checker.Vanished(o.key());
                }
                try {
                    journal.readObject(o, e -> {
                        changes[0]++;
                        if (e.isDelete() || !e.entry().isFile()) {
                            return;
                        }
                        String why = f.problem(e.entry().key());
                        if (why != null) {
                            f.affected(e.tree() + "/" + e.path() + " (content " + e.entry().key().shortHex() + why
                                    + "; journal " + FileEntry.instant(e.timeNanos()) + ")");
                        }
                    });
                } catch (ObjectNotFoundException e) {
                    throw new Checker.Vanished(o.key());
                } catch (IOException e) {
                    f.damage(e.getMessage());
                }
            }
        }
        return new Journals(objects, changes[0]);
    }

    /**
     * Every host's archived binlog: every piece of the cover there; with {@code readData} (for the pieces
     * {@code sample} picks), read, checked against its key and parsed event by event (a piece holds whole events).
     */
    static Binlogs binlogs(Repository repo, boolean readData, Predicate<String> sample, Findings f)
            throws IOException {
        int pieces = 0;
        long bytes = 0;
        for (Repository host : repo.hosts()) {
            BinlogArchive binlog = BinlogArchive.load(host);
            for (String file : binlog.files()) {
                for (Piece p : binlog.pieces(file)) {
                    pieces++;
                    if (host.store().size(p.key()).isEmpty()) {
                        throw new Checker.Vanished(p.key());
                    }
                    if (readData && p.length() > 0 && sample.test(p.key())) {
                        // The object is named whichever check fails first: the events' parse or the content key.
                        String object = host.objectKey(p.key());
                        String what = "binlog " + file + " bytes " + p.from() + "-" + p.to() + " (" + object + ")";
                        try {
                            long n = Event.check(new SegmentedInputStream(host.store().open(p.key()), repo.hasher(),
                                    p.contentKey(), object), what);
                            if (n != p.length()) {
                                f.damage(what + ": holds " + n + " bytes, its name says " + p.length());
                            }
                        } catch (ObjectNotFoundException e) {
                            throw new Checker.Vanished(p.key());
                        } catch (IOException e) {
                            String m = String.valueOf(e.getMessage());
                            f.damage(m.startsWith(what) ? m : what + ": " + m); // the parse's messages begin with it
                        }
                    }
                }
            }
            bytes += binlog.bytes();
        }
        return new Binlogs(pieces, bytes);
    }
}
