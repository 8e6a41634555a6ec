package dev.tidemark.config;

import java.time.Duration;
import java.util.List;

/**
 * The {@code database} section: which MariaDB server and schemas a restore point seals beside the trees.
 *
 * @param url              JDBC URL of the server, {@code jdbc:mariadb://host:port/} (no password, no TLS options)
 * @param user             the user tidemark connects as
 * @param password         read from {@code passwordFile} or {@code passwordEnv}; never printed
 * @param passwordSource   where the password came from, for messages ("file /etc/...", "environment variable X")
 * @param tls              how the connection is protected
 * @param tlsCa            the CA certificate (PEM) for {@code verify-ca} / {@code verify-full}; null: the JVM's
 * @param schemas          the schemas (databases) sealed into each point
 * @param nonTransactional what to do with MyISAM, Aria and other tables a read view cannot freeze
 * @param whenDown         what a scheduled or requested point does when the server cannot be reached
 * @param dangling         what a point with dangling references does
 * @param connectTimeout   how long to wait for the server
 * @param referenceQueries queries naming the files the rows point at, checked against each point's manifests
 */
public record DatabaseConfig(String url, String user, Secret password, String passwordSource, Tls tls, String tlsCa,
                             List<String> schemas, NonTransactional nonTransactional, WhenDown whenDown,
                             Dangling dangling, Duration connectTimeout, List<ReferenceQuery> referenceQueries,
                             Binlog binlog) {

    /** Whether the daemon archives the server's binary log (point-in-time restores of the database). */
    public enum Binlog {
        /** Follow it when the server writes one in a replayable format (the default); say why not otherwise. */
        FOLLOW("follow"),
        /** Points only. */
        OFF("off");

        public final String word;

        Binlog(String word) {
            this.word = word;
        }
    }

    /** TLS choices, mapped to the driver's {@code sslMode}. */
    public enum Tls {
        /** Plain text (the default on loopback: it never leaves the machine). */
        OFF("off", "disable"),
        /** Encrypted, certificate not checked: protects against listening, not against an impostor. */
        TRUST("trust", "trust"),
        /** Encrypted, certificate signed by the CA; host name not checked. */
        VERIFY_CA("verify-ca", "verify-ca"),
        /** Encrypted, certificate signed by the CA and naming the host (the default off loopback). */
        VERIFY_FULL("verify-full", "verify-full");

        public final String word;
        public final String sslMode;

        Tls(String word, String sslMode) {
            this.word = word;
            this.sslMode = sslMode;
        }
    }

    public enum NonTransactional {
        /** Read-lock those tables ({@code LOCK TABLES ... READ}) from just before the view opens until they are read. */
        LOCK("lock"),
        /** Read them without a lock and record in the point that they may be a little newer than the view. */
        NOTE("note");

        public final String word;

        NonTransactional(String word) {
            this.word = word;
        }
    }

    public enum WhenDown {
        /** The point fails (files keep replicating into the journal under {@code tidemark run}). */
        FAIL("fail"),
        /** The point is taken without the database, and says so. */
        SKIP("skip");

        public final String word;

        WhenDown(String word) {
            this.word = word;
        }
    }

    public enum Dangling {
        /** The point is committed with its dangling-reference counts, and the command warns (exit 5). */
        FLAG("flag"),
        /** The point is not committed. */
        FAIL("fail");

        public final String word;

        Dangling(String word) {
            this.word = word;
        }
    }

    /**
     * SQL returning one column: paths of files in {@code tree} that rows refer to.
     *
     * @param name   a label for reports (defaults to "tree:index")
     * @param tree   the tree the paths are in; relative paths, or absolute ones under the tree's path
     * @param schema the default schema the query runs in (defaults to the first schema)
     * @param sql    the query, run inside the point's read view
     */
    public record ReferenceQuery(String name, String tree, String schema, String sql) {
    }

    /** A password that does not show itself in logs, exceptions or {@code toString}. */
    public static final class Secret {
        private final String value;

        public Secret(String value) {
            this.value = value;
        }

        public String reveal() {
            return value;
        }

        @Override
        public String toString() {
            return "(secret)";
        }
    }
}
