package dev.tidemark.db;

import dev.tidemark.config.DatabaseConfig;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Finds the columns whose values name files of a tree, for a database whose config declares no
 * {@code referenceQueries}: an application's owner rarely knows its schema, and without references a point cannot
 * keep its rows and files in agreement.
 *
 * <p>A candidate is a string column of a base table in a configured schema. Its first {@value #SAMPLE} non-empty
 * values are looked up as paths under every tree (relative to the tree, or absolute under its path, as
 * {@link ReferenceCheck#relative} reads them); a column where at least {@value #SURE_PERCENT} % of the sample names
 * an existing file (or symlink) of one tree is confirmed on the whole column, and kept if the whole column holds to
 * that share too. URLs, names, titles and columns where only some values happen to be file names fall short. An
 * empty table says nothing (it is found once it has rows: the cache is re-checked, see
 * {@link DiscoveredReferences}).
 */
public final class ReferenceDiscovery {
    static final int SAMPLE = 200;
    static final int SURE_PERCENT = 80;
    /** Fewer non-empty values than this in a sample prove nothing either way. */
    static final int MIN_VALUES = 3;
    /** Longer values cannot be paths (PATH_MAX). */
    private static final int MAX_PATH = 4096;
    private static final int FETCH = 1000;

    private ReferenceDiscovery() {
    }

    /**
     * A column looked at: how many of its values name files of {@code tree}, in the sample and (if it got that far)
     * in the whole column.
     */
    public record Column(String schema, String table, String column, String tree, long sampled, long sampleHits,
                         long values, long hits) {
        public boolean confirmed() {
            return values > 0 && hits * 100 >= values * SURE_PERCENT;
        }

        /** Percent of the values (the whole column if it was read, else the sample) that name a file. */
        public double percent() {
            return values > 0 ? 100.0 * hits / values : sampled == 0 ? 0 : 100.0 * sampleHits / sampled;
        }

        /** How sure the finding is, in words. */
        public String certainty() {
            double p = percent();
            return p >= 99.5 ? "certain" : p >= 95 ? "very likely" : "likely";
        }

        public String name() {
            return table + "." + column;
        }

        /** The query a point runs for it: the column's non-empty values. */
        public DatabaseConfig.ReferenceQuery query() {
            String c = Db.quote(column);
            return new DatabaseConfig.ReferenceQuery(name(), tree, schema, "SELECT " + c + " FROM " + Db.quote(table)
                    + " WHERE " + c + " IS NOT NULL AND " + c + " <> ''");
        }
    }

    /**
     * @param fingerprint the schema's shape when it was looked at (see {@link #fingerprint})
     * @param at          when
     * @param millis      how long it took
     * @param candidates  string columns looked at
     * @param references  columns that name files
     * @param nearMisses  columns where some values name files, but too few (most first, at most 10)
     */
    public record Found(String fingerprint, Instant at, long millis, int candidates, List<Column> references,
                        List<Column> nearMisses) {
    }

    /** The string columns of the configured schemas' base tables, in schema, table, column order. */
    private record Candidate(String schema, String table, String column) {
    }

    private static String inList(List<String> schemas) {
        StringBuilder sb = new StringBuilder();
        for (String s : schemas) {
            sb.append(sb.length() == 0 ? "" : ",").append(Db.literal(s));
        }
        return sb.toString();
    }

    /**
     * A hash of every column's schema, table, name and type in the configured schemas: it changes when a table or
     * column is added, dropped, renamed or retyped, which is when discovery is done again.
     */
    public static String fingerprint(Connection c, List<String> schemas) throws SQLException {
        StringBuilder sb = new StringBuilder();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM "
                     + "information_schema.COLUMNS WHERE TABLE_SCHEMA IN (" + inList(schemas) + ") ORDER BY "
                     + "TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION")) {
            while (rs.next()) {
                sb.append(rs.getString(1)).append('\0').append(rs.getString(2)).append('\0').append(rs.getString(3))
                        .append('\0').append(rs.getString(4)).append('\n');
            }
        }
        byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
        long h = XXHashFactory.fastestJavaInstance().hash64().hash(b, 0, b.length, 0x7469646d61726bL);
        return HexFormat.of().toHexDigits(h);
    }

    /** Looks at every string column of the configured schemas against the trees ({@code name -> root}). */
    public static Found discover(DatabaseConfig config, Map<String, Path> trees, Clock clock) {
        long t0 = System.nanoTime();
        Instant at = clock.instant();
        try (Connection c = Db.connect(config)) {
            String fp = fingerprint(c, config.schemas());
            List<Candidate> candidates = new ArrayList<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME FROM "
                         + "information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = "
                         + "c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME WHERE c.TABLE_SCHEMA IN ("
                         + inList(config.schemas()) + ") AND t.TABLE_TYPE = 'BASE TABLE' AND c.DATA_TYPE IN "
                         + "('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext') ORDER BY "
                         + "c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION")) {
                while (rs.next()) {
                    candidates.add(new Candidate(rs.getString(1), rs.getString(2), rs.getString(3)));
                }
            }
            List<Column> found = new ArrayList<>();
            List<Column> near = new ArrayList<>();
            for (Candidate cand : candidates) {
                Column sample = look(c, cand, trees, " LIMIT " + SAMPLE, null);
                if (sample == null || sample.sampled() < MIN_VALUES) {
                    continue;
                }
                if (sample.sampleHits() * 100 < sample.sampled() * SURE_PERCENT) {
                    if (sample.sampleHits() > 0) {
                        near.add(sample);
                    }
                    continue;
                }
                Column whole = look(c, cand, Map.of(sample.tree(), trees.get(sample.tree())), "", sample);
                if (whole.confirmed()) {
                    found.add(whole);
                } else {
                    near.add(whole);
                }
            }
            near.sort(Comparator.comparingDouble(Column::percent).reversed());
            return new Found(fp, at, (System.nanoTime() - t0) / 1_000_000, candidates.size(), List.copyOf(found),
                    List.copyOf(near.subList(0, Math.min(10, near.size()))));
        } catch (SQLException e) {
            throw Db.explain(config, e);
        }
    }

    /**
     * Reads a column's non-empty values ({@code limit} bounds them for a sample) and counts, per tree, the values
     * naming an existing file. Returns the best tree's counts: as a sample, or (given the sample) as the whole.
     */
    private static Column look(Connection c, Candidate cand, Map<String, Path> trees, String limit, Column sample)
            throws SQLException {
        String col = Db.quote(cand.column());
        String sql = "SELECT LEFT(" + col + ", " + (MAX_PATH + 1) + ") FROM " + Db.quote(cand.schema()) + "."
                + Db.quote(cand.table()) + " WHERE " + col + " IS NOT NULL AND " + col + " <> ''" + limit;
        Map<String, long[]> hits = new LinkedHashMap<>();
        for (String t : trees.keySet()) {
            hits.put(t, new long[1]);
        }
        long values = 0;
        try (Statement st = c.createStatement()) {
            st.setFetchSize(FETCH);
            try (ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    String v = rs.getString(1);
                    values++;
                    if (v == null || v.length() > MAX_PATH) {
                        continue;
                    }
                    for (Map.Entry<String, Path> t : trees.entrySet()) {
                        if (namesAFile(t.getValue(), v)) {
                            hits.get(t.getKey())[0]++;
                        }
                    }
                }
            }
        } catch (SQLException e) {
            // A table that cannot be read (no privilege, a broken view of an engine) names no files we can know of.
            return null;
        }
        String best = null;
        long bestHits = -1;
        for (Map.Entry<String, long[]> h : hits.entrySet()) {
            if (h.getValue()[0] > bestHits) {
                best = h.getKey();
                bestHits = h.getValue()[0];
            }
        }
        if (best == null) {
            return null;
        }
        return sample == null
                ? new Column(cand.schema(), cand.table(), cand.column(), best, values, bestHits, 0, 0)
                : new Column(cand.schema(), cand.table(), cand.column(), best, sample.sampled(), sample.sampleHits(),
                values, bestHits);
    }

    /** True if {@code value} read as a path of the tree at {@code root} names a file or symlink there now. */
    static boolean namesAFile(Path root, String value) {
        String rel = ReferenceCheck.relative(root, value);
        if (rel == null) {
            return false;
        }
        try {
            Path p = root.resolve(rel);
            return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p);
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }
}
