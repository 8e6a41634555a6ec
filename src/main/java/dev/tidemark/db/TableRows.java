package dev.tidemark.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One table's rows as INSERT statements, the same bytes for the same rows: what lets a dump be deduplicated by
 * its chunks from one point to the next.
 *
 * <ul>
 *   <li>Rows in primary-key order ({@code ORDER BY} the key's columns; free on InnoDB, whose rows are stored in that
 *       order). A table without a primary key is read in the engine's order, which for an unchanged table is the
 *       same from one read to the next.</li>
 *   <li>Statements cut where the rows say, not by a byte count: after at least {@link #MIN_BYTES}, a row ends its
 *       statement with probability {@code row length / }{@link #AVG_EXTRA} (decided by a hash of the row's text),
 *       and at {@link #MAX_BYTES} in any case. A byte count would move every later statement's start (and so its
 *       {@code INSERT INTO} head) when one row grows; this way a changed, inserted or deleted row changes only its
 *       own statement, and the chunker finds the rest again. Statements average about 1 MiB.</li>
 *   <li>Streamed ({@code fetchSize}): memory does not grow with a table. BLOB and BINARY values are written raw as
 *       {@code _binary'...'} literals (with backslash escapes), BIT and geometry as hex, numbers as the server prints
 *       them, everything else quoted (read as text in utf8mb4).</li>
 * </ul>
 */
final class TableRows {
    private static final Logger LOG = LoggerFactory.getLogger(TableRows.class);
    static final int MIN_BYTES = 256 << 10;
    static final int AVG_EXTRA = 768 << 10;
    static final int MAX_BYTES = 4 << 20;
    private static final int FETCH = 1000;
    private static final int ER_TABLE_DEF_CHANGED = 1412;
    private static final long CUT_SEED = 0x726f_7773_6375_7421L;
    private static final XXHash64 XXH = XXHashFactory.fastestInstance().hash64();
    private static final Set<String> NUMERIC = Set.of("tinyint", "smallint", "mediumint", "int", "bigint",
            "decimal", "float", "double");
    private static final Set<String> BINARY = Set.of("binary", "varbinary", "tinyblob", "blob", "mediumblob",
            "longblob");
    private static final Set<String> HEX = Set.of("bit", "geometry", "point", "linestring", "polygon", "multipoint",
            "multilinestring", "multipolygon", "geometrycollection");

    private record Column(String name, String type) {
    }

    private TableRows() {
    }

    private static List<Column> columns(Connection meta, Snapshotter.Table t) throws SQLException {
        List<Column> out = new ArrayList<>();
        try (PreparedStatement ps = meta.prepareStatement("SELECT COLUMN_NAME, DATA_TYPE, IS_GENERATED FROM "
                + "information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!"ALWAYS".equals(rs.getString(3))) { // generated columns are computed again on load
                        out.add(new Column(rs.getString(1), rs.getString(2).toLowerCase(Locale.ROOT)));
                    }
                }
            }
        }
        return out;
    }

    /** The primary key's columns in key order; empty if the table has none. */
    private static List<String> primaryKey(Connection meta, Snapshotter.Table t) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = meta.prepareStatement("SELECT COLUMN_NAME FROM information_schema.STATISTICS "
                + "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** True if the statement should end after a row of {@code rowLen} bytes, the statement now {@code len} long. */
    static boolean cutAfter(byte[] b, int rowStart, int len) {
        if (len >= MAX_BYTES) {
            return true;
        }
        if (len < MIN_BYTES) {
            return false;
        }
        int rowLen = len - rowStart;
        long h = XXH.hash(b, rowStart, rowLen, CUT_SEED);
        return Long.remainderUnsigned(h, AVG_EXTRA) < rowLen;
    }

    /**
     * Streams the rows of {@code t} into {@code w}; {@code meta} answers questions about the table, {@code c} reads
     * its rows. Returns the row count.
     */
    static long write(DumpWriter w, Snapshotter.Table t, Connection meta, Connection c)
            throws SQLException, IOException {
        List<Column> cols = columns(meta, t);
        if (cols.isEmpty()) {
            return 0;
        }
        StringBuilder head = new StringBuilder("INSERT INTO ").append(Db.quote(t.name())).append(" (");
        StringBuilder select = new StringBuilder("SELECT ");
        int[] kind = new int[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
            String q = Db.quote(cols.get(i).name());
            head.append(i == 0 ? "" : ",").append(q);
            select.append(i == 0 ? "" : ",").append(q);
            String type = cols.get(i).type();
            kind[i] = NUMERIC.contains(type) ? 1 : HEX.contains(type) ? 2 : BINARY.contains(type) ? 3 : 0;
        }
        byte[] prefix = head.append(") VALUES ").toString().getBytes(StandardCharsets.UTF_8);
        select.append(" FROM ").append(t.qualified());
        List<String> key = primaryKey(meta, t);
        if (!key.isEmpty()) {
            select.append(" ORDER BY ");
            for (int i = 0; i < key.size(); i++) {
                select.append(i == 0 ? "" : ",").append(Db.quote(key.get(i)));
            }
        }
        SqlBuffer buf = new SqlBuffer((1 << 20) + (64 << 10)); // grows to MAX_BYTES and a row if it must
        long n = 0;
        int inStatement = 0;
        try (Statement st = c.createStatement()) {
            st.setFetchSize(FETCH);
            try (ResultSet rs = st.executeQuery(select.toString())) {
                while (rs.next()) {
                    if (inStatement == 0) {
                        buf.reset();
                        buf.raw(prefix);
                    } else {
                        buf.put(',');
                    }
                    int rowStart = buf.length();
                    buf.put('(');
                    for (int i = 0; i < kind.length; i++) {
                        if (i > 0) {
                            buf.put(',');
                        }
                        if (kind[i] >= 2) {
                            byte[] v = rs.getBytes(i + 1);
                            if (v == null) {
                                buf.ascii("NULL");
                            } else if (kind[i] == 2) {
                                buf.hex(v);
                            } else {
                                buf.binary(v);
                            }
                            continue;
                        }
                        // Text protocol: the value exactly as the server printed it (dates included, zero dates too).
                        String v = rs.getString(i + 1);
                        if (v == null) {
                            buf.ascii("NULL");
                        } else if (kind[i] == 1) {
                            buf.number(v.getBytes(StandardCharsets.UTF_8));
                        } else {
                            buf.quoted(v.getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    buf.put(')');
                    n++;
                    inStatement++;
                    if (cutAfter(buf.array(), rowStart, buf.length())) {
                        w.sql(buf.array(), buf.length());
                        inStatement = 0;
                    }
                }
            }
        } catch (SQLException e) {
            if (e.getErrorCode() == ER_TABLE_DEF_CHANGED) {
                LOG.warn("table {}.{} was created or altered after the read view opened: its definition is in the "
                        + "dump, its rows are not", t.schema(), t.name());
                return 0;
            }
            throw e;
        }
        if (inStatement > 0) {
            w.sql(buf.array(), buf.length());
        }
        return n;
    }
}
