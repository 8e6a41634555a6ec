package dev.tidemark.point;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * A restore point: the record written last, naming the manifests of every tree at one moment.
 *
 * <p>Unknown fields are rejected when reading, on purpose: a point written by a newer tidemark with parts this one
 * does not understand (for example a database snapshot) must not be restored as if those parts did not exist.
 *
 * @param format         point format version
 * @param id             sortable id derived from {@code time}, e.g. 20261121T101500Z
 * @param time           when the scan started (UTC); files are as they were between this and {@code time + duration}
 * @param host           the host that took it
 * @param tags           user tags
 * @param trees          the trees, in configuration order
 * @param totals         the sum over trees
 * @param durationMillis how long taking it took
 * @param journal        the journal's position: the last batch committed before the point (changes of later
 *                       batches are not in it); absent in points of format 1, which are placed by their time
 * @param database       the database sealed with the trees; absent when none is configured
 * @param sealed         how the trees were taken: "walk" (every tree walked) or "journal" (the daemon: the previous
 *                       point with the journal's changes since); absent in points of formats 1 and 2
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestorePoint(int format, String id, Instant time, String host, List<String> tags,
                           List<TreeSnapshot> trees, Totals totals, long durationMillis, Long journal,
                           DatabaseSnapshot database, String sealed) {
    /**
     * 2: has {@code journal}. 3: has {@code sealed}, and the database's references say where they came from. 4: the
     * trees' manifests and the database's dump are content keys (stored as content in packs), not object keys under
     * {@code manifests/} and {@code dumps/}; either is read.
     */
    public static final int FORMAT = 4;
    public static final String WALK = "walk";
    public static final String JOURNAL = "journal";

    /** A point whose trees were walked. */
    public RestorePoint(int format, String id, Instant time, String host, List<String> tags, List<TreeSnapshot> trees,
                        Totals totals, long durationMillis, Long journal, DatabaseSnapshot database) {
        this(format, id, time, host, tags, trees, totals, durationMillis, journal, database, WALK);
    }

    public TreeSnapshot tree(String name) {
        return trees.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    @Override
    public String toString() {
        return id + " " + time + " " + trees.size() + " trees, " + totals.files() + " files" + (database == null ? "" : database.dump() == null ? ", no database" : ", database")
                + (tags.isEmpty() ? "" : " " + tags);
    }
}
