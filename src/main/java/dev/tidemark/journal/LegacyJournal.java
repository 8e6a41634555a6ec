package dev.tidemark.journal;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal of repository format 1: one segment per batch, {@code journal/<yyyyMMdd>/<HHmmss>-<nanos>-<key>},
 * ordered by name (the wall-clock time of its first change), with no batch numbers.
 *
 * <p>Reading: segments are level-0 objects numbered 1, 2, 3… in name order. Upgrading: the segments are rewritten,
 * numbered the same way, as one object per UTC day (level 3), and deleted once no reader needs them. The rewrite is
 * deterministic (same segments, same objects, same names), so an upgrade cut short is simply done again.
 */
final class LegacyJournal {
    private static final Logger LOG = LoggerFactory.getLogger(LegacyJournal.class);
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    private LegacyJournal() {
    }

    /** The format-1 segments, numbered in name order. */
    static List<JournalObject> objects(Store store) throws IOException {
        List<JournalObject> out = new ArrayList<>();
        for (String k : store.list(JournalObject.PREFIX)) {
            JournalObject o = parse(k, out.size() + 1);
            if (o != null) {
                out.add(o);
            }
        }
        return out;
    }

    /** A format-1 segment name as the {@code seq}th level-0 object; null if the key is not one. */
    static JournalObject parse(String key, long seq) {
        String rest = key.substring(JournalObject.PREFIX.length());
        String[] p = rest.split("[/-]", -1);
        if (p.length != 4 || p[0].length() != 8 || p[1].length() != 6 || p[2].length() != 9) {
            return null;
        }
        try {
            long t = FileEntry.nanos(LocalDateTime.parse(p[0] + p[1], NAME).toInstant(ZoneOffset.UTC))
                    + Long.parseLong(p[2]);
            // A format-1 name gives only the first change's time: the last is unknown, so never skipped by it.
            return new JournalObject(key, 0, seq, seq, t, Long.MAX_VALUE, ContentKey.parse(p[3]));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** True if {@code key} names a format-1 segment (garbage once the repository is at format 2). */
    static boolean isLegacy(String key) {
        return key.startsWith(JournalObject.PREFIX) && parse(key, 1) != null;
    }

    /**
     * Rewrites a format-1 journal as format-2 objects, one per UTC day, and schedules the old segments for
     * deletion. The caller writes the new version file after this returns, then lets {@code deletes} run.
     */
    static int upgrade(Repository repo, JournalWriter writer, DeferredDeletes deletes) throws IOException {
        List<JournalObject> old = objects(repo.store());
        Journal reader = new Journal(repo);
        int written = 0;
        int i = 0;
        while (i < old.size()) {
            long day = Math.floorDiv(old.get(i).minTime(), 86_400_000_000_000L);
            int j = i;
            while (j < old.size() && Math.floorDiv(old.get(j).minTime(), 86_400_000_000_000L) == day) {
                j++;
            }
            List<JournalObject> group = old.subList(i, j);
            try (JournalWriter.Merged out = writer.open(JournalObject.MAX_LEVEL, group.get(0).from(),
                    group.get(group.size() - 1).to())) {
                for (JournalObject o : group) {
                    reader.readObject(o, out::add);
                }
                if (out.count() > 0) {
                    out.commit();
                    written++;
                }
            }
            i = j;
        }
        List<String> keys = old.stream().map(JournalObject::key).toList();
        deletes.add("format-1 journal segments (rewritten as format 2)", keys);
        LOG.info("journal upgraded: {} format-1 segments rewritten as {} objects, one per day", old.size(), written);
        return written;
    }
}
