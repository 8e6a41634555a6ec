package dev.tidemark.config;

import dev.tidemark.config.ConfigLoader.RawDatabase;
import dev.tidemark.config.ConfigLoader.RawReference;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Validation of the {@code database} section; every error names the field and the fix. */
final class DatabaseSection {
    private static final Pattern SCHEMA = Pattern.compile("[^`/\\\\.\\x00]{1,64}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    private DatabaseSection() {
    }

    static DatabaseConfig validate(Path file, RawDatabase d, List<TreeConfig> trees, Function<String, String> env) {
        String url = d.url();
        if (url == null || url.isBlank()) {
            throw ConfigLoader.bad(file, "database.url", "is missing: give the server as jdbc:mariadb://HOST:PORT/");
        }
        if (!url.startsWith("jdbc:mariadb://")) {
            throw ConfigLoader.bad(file, "database.url", "is '" + url + "': it must start with jdbc:mariadb://, "
                    + "for example jdbc:mariadb://127.0.0.1:3306/");
        }
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.matches(".*[?&;](password|pwd)=.*")) {
            throw ConfigLoader.bad(file, "database.url", "holds a password: remove it and use database.passwordFile "
                    + "or database.passwordEnv (a password in the URL would end up in logs and process lists)");
        }
        if (lower.matches(".*[?&;](sslmode|usessl|ssl|truststore)=.*")) {
            throw ConfigLoader.bad(file, "database.url", "sets TLS options: remove them and use database.tls "
                    + "(off, trust, verify-ca, verify-full) and database.tlsCa");
        }
        String host = host(url);
        if (host == null) {
            throw ConfigLoader.bad(file, "database.url", "is '" + url + "': no host in it; give "
                    + "jdbc:mariadb://HOST:PORT/");
        }
        if (d.user() == null || d.user().isBlank()) {
            throw ConfigLoader.bad(file, "database.user", "is missing: give the user tidemark connects as (it needs "
                    + "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, and for restores CREATE, DROP, INSERT, ...)");
        }
        DatabaseConfig.Secret password;
        String source;
        if (d.passwordFile() != null && d.passwordEnv() != null) {
            throw ConfigLoader.bad(file, "database.passwordFile", "and database.passwordEnv are both given: keep one");
        } else if (d.passwordFile() != null) {
            Path pf = Path.of(d.passwordFile());
            if (!pf.isAbsolute()) {
                throw ConfigLoader.bad(file, "database.passwordFile", "is '" + d.passwordFile()
                        + "', a relative path: give an absolute path");
            }
            try {
                String text = Files.readString(pf, StandardCharsets.UTF_8);
                password = new DatabaseConfig.Secret(text.strip());
            } catch (IOException e) {
                throw dev.tidemark.util.Problems.unreadable(e, file + ": 'database.passwordFile' " + pf
                        + " cannot be read (" + dev.tidemark.util.Problems.reason(e) + "): create it with the password "
                        + "on one line, readable by this user only");
            }
            source = "file " + pf;
        } else if (d.passwordEnv() != null) {
            if (!ENV_NAME.matcher(d.passwordEnv()).matches()) {
                throw ConfigLoader.bad(file, "database.passwordEnv", "is '" + d.passwordEnv() + "': give the name of "
                        + "an environment variable, such as TIDEMARK_DB_PASSWORD");
            }
            String v = env.apply(d.passwordEnv());
            // An unset variable is not an error here: commands that never connect (points, show) still work.
            password = v == null ? null : new DatabaseConfig.Secret(v);
            source = "environment variable " + d.passwordEnv();
        } else {
            password = new DatabaseConfig.Secret("");
            source = "no password (neither database.passwordFile nor database.passwordEnv is set)";
        }
        DatabaseConfig.Tls tls;
        if (d.tls() == null) {
            tls = loopback(host) ? DatabaseConfig.Tls.OFF : DatabaseConfig.Tls.VERIFY_FULL;
        } else {
            tls = null;
            for (DatabaseConfig.Tls t : DatabaseConfig.Tls.values()) {
                if (t.word.equals(d.tls())) {
                    tls = t;
                }
            }
            if (tls == null) {
                throw ConfigLoader.bad(file, "database.tls", "is '" + d.tls() + "': use off, trust, verify-ca or "
                        + "verify-full");
            }
        }
        if (d.tlsCa() != null) {
            Path ca = Path.of(d.tlsCa());
            if (!ca.isAbsolute() || !Files.isReadable(ca)) {
                throw ConfigLoader.bad(file, "database.tlsCa", "is '" + d.tlsCa() + "': give the absolute path of a "
                        + "readable PEM file with the server's CA certificate");
            }
        }
        if (d.schemas() == null || d.schemas().isEmpty()) {
            throw ConfigLoader.bad(file, "database.schemas", "is missing or empty: list the schemas to seal into each "
                    + "point, such as [\"s01\"]");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < d.schemas().size(); i++) {
            String s = d.schemas().get(i);
            if (s == null || !SCHEMA.matcher(s).matches() || s.endsWith(" ")) {
                throw ConfigLoader.bad(file, "database.schemas[" + i + "]", "is '" + s + "': give a schema name "
                        + "(1-64 characters, no backtick, slash, backslash or dot)");
            }
            if (List.of("mysql", "information_schema", "performance_schema", "sys").contains(s.toLowerCase(Locale.ROOT))) {
                throw ConfigLoader.bad(file, "database.schemas[" + i + "]", "is the system schema '" + s
                        + "': list the application's schemas only");
            }
            if (!seen.add(s)) {
                throw ConfigLoader.bad(file, "database.schemas[" + i + "]", "'" + s + "' is listed twice");
            }
        }
        DatabaseConfig.NonTransactional nt = choice(file, "database.nonTransactional", d.nonTransactional(),
                DatabaseConfig.NonTransactional.values(), x -> x.word, DatabaseConfig.NonTransactional.LOCK);
        DatabaseConfig.WhenDown down = choice(file, "database.whenDown", d.whenDown(),
                DatabaseConfig.WhenDown.values(), x -> x.word, DatabaseConfig.WhenDown.FAIL);
        DatabaseConfig.Dangling dangling = choice(file, "database.dangling", d.dangling(),
                DatabaseConfig.Dangling.values(), x -> x.word, DatabaseConfig.Dangling.FLAG);
        Duration timeout = ConfigLoader.duration(file, "database.connectTimeout", d.connectTimeout(),
                Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(10));
        DatabaseConfig.Binlog binlog = choice(file, "database.binlog", d.binlog(), DatabaseConfig.Binlog.values(),
                x -> x.word, DatabaseConfig.Binlog.FOLLOW);
        List<DatabaseConfig.ReferenceQuery> refs = new ArrayList<>();
        List<RawReference> raw = d.referenceQueries() == null ? List.of() : d.referenceQueries();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            RawReference r = raw.get(i);
            String f = "database.referenceQueries[" + i + "]";
            if (r == null) {
                throw ConfigLoader.bad(file, f, "is null: give an object with tree and sql");
            }
            if (r.tree() == null || trees.stream().noneMatch(t -> t.name().equals(r.tree()))) {
                throw ConfigLoader.bad(file, f + ".tree", (r.tree() == null ? "is missing" : "'" + r.tree()
                        + "' is not a configured tree") + ": name the tree the paths are in ("
                        + ConfigLoader.names(trees) + ")");
            }
            if (r.sql() == null || r.sql().isBlank()) {
                throw ConfigLoader.bad(file, f + ".sql", "is missing: give a SELECT returning one column of file "
                        + "paths, relative to the tree or absolute under it");
            }
            String schema = r.schema() == null ? d.schemas().get(0) : r.schema();
            if (!d.schemas().contains(schema)) {
                throw ConfigLoader.bad(file, f + ".schema", "'" + schema + "' is not in database.schemas");
            }
            String name = r.name() == null ? r.tree() + ":" + i : r.name();
            if (!names.add(name)) {
                throw ConfigLoader.bad(file, f + ".name", "'" + name + "' is used twice: names must be unique");
            }
            refs.add(new DatabaseConfig.ReferenceQuery(name, r.tree(), schema, r.sql().strip()));
        }
        return new DatabaseConfig(url, d.user(), password, source, tls, d.tlsCa(), List.copyOf(d.schemas()), nt, down,
                dangling, timeout, List.copyOf(refs), binlog);
    }

    private static <T> T choice(Path file, String field, String value, T[] all, Function<T, String> word, T dflt) {
        if (value == null) {
            return dflt;
        }
        List<String> words = new ArrayList<>();
        for (T t : all) {
            if (word.apply(t).equals(value)) {
                return t;
            }
            words.add(word.apply(t));
        }
        throw ConfigLoader.bad(file, field, "is '" + value + "': use " + String.join(" or ", words));
    }

    /** The host of a jdbc:mariadb:// URL (the first one of a failover list), or null. */
    static String host(String url) {
        String rest = url.substring("jdbc:".length());
        int comma = rest.indexOf(',');
        if (comma > 0) {
            rest = rest.substring(0, comma) + "/";
        }
        try {
            URI u = new URI(rest);
            return u.getHost();
        } catch (URISyntaxException e) {
            return null;
        }
    }

    static boolean loopback(String host) {
        return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]") || host.equals("::1");
    }
}
