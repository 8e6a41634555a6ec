package dev.tidemark.db;

import java.nio.charset.StandardCharsets;

/**
 * The stored form of a database snapshot: plain SQL that the {@code mariadb} client loads as it is, with every
 * statement announced by a comment line giving its kind and exact length, so tidemark reads statements back without
 * parsing SQL:
 *
 * <pre>
 * -- @sql 25
 * SET time_zone='+00:00';
 * -- @schema 97 utf8mb4 utf8mb4_general_ci s01
 * CREATE DATABASE IF NOT EXISTS `s01` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
 * USE `s01`;
 * -- @compound 120
 * DELIMITER ;;
 * CREATE PROCEDURE ... END;;
 * DELIMITER ;
 * -- @end 0
 * </pre>
 *
 * The object is stored in {@link dev.tidemark.repo.BlobCodec} segments ({@code dumps/xx/<content key>}), so it is
 * LZ4-compressed and checked as it is read, like a manifest.
 */
public final class DumpFormat {
    public static final String PREFIX = "dumps/";
    public static final int VERSION = 1;
    static final String MARK = "-- @";
    static final byte[] COMPOUND_HEAD = "DELIMITER ;;\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] COMPOUND_TAIL = ";;\nDELIMITER ;\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] SQL_TAIL = ";\n".getBytes(StandardCharsets.US_ASCII);

    /** What a record is: run as is, run as one compound statement, or "this schema starts here". */
    public enum Kind {
        SQL("sql"), COMPOUND("compound"), SCHEMA("schema"), END("end");

        final String word;

        Kind(String word) {
            this.word = word;
        }

        static Kind of(String w) {
            for (Kind k : values()) {
                if (k.word.equals(w)) {
                    return k;
                }
            }
            return null;
        }
    }

    /**
     * One statement, as stored (row values of BLOB columns are raw bytes, so not necessarily UTF-8). For
     * {@link Kind#SCHEMA}, {@code schema}, {@code charset} and {@code collation} say which schema the following
     * statements belong to (a restore may give it another name) and {@code bytes} is null.
     */
    public record Statement(Kind kind, byte[] bytes, String schema, String charset, String collation) {
        /** The statement as text for a connection: {@code _binary'...'} literals become hex, the rest is UTF-8. */
        public String sql() {
            return BinaryLiterals.toText(bytes);
        }
    }

    private DumpFormat() {
    }
}
