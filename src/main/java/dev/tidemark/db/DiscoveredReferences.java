package dev.tidemark.db;

import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The references a point uses when the config declares none: {@link ReferenceDiscovery}'s finding, kept in the
 * state directory ({@code references.json}) so that a point costs one query of the schema's shape, not a look at
 * every column. It is looked for again when the schema changes (a column added, dropped or retyped), when the trees
 * change, every {@link #MAX_AGE}, and every {@link #RECHECK_NONE} while nothing has been found (an application
 * installed but not yet used has empty tables).
 */
public final class DiscoveredReferences {
    private static final Logger LOG = LoggerFactory.getLogger(DiscoveredReferences.class);
    static final Duration MAX_AGE = Duration.ofHours(24);
    static final Duration RECHECK_NONE = Duration.ofMinutes(10);

    /** What is kept: the finding, and the trees it was made against. */
    record Cached(Map<String, String> trees, ReferenceDiscovery.Found found) {
    }

    private final Path file;
    private final DatabaseConfig config;
    private final Map<String, Path> trees;
    private final Clock clock;

    public DiscoveredReferences(Path stateDir, DatabaseConfig config, Map<String, Path> trees, Clock clock) {
        this.file = stateDir.resolve("references.json");
        this.config = config;
        this.trees = trees;
        this.clock = clock;
    }

    private Map<String, String> treeKey() {
        Map<String, String> m = new TreeMap<>();
        trees.forEach((k, v) -> m.put(k, v.toString()));
        return m;
    }

    /** The references to use now; {@code c} is a connection outside any read view. */
    public ReferenceDiscovery.Found get(Connection c) throws SQLException {
        Cached cached = read();
        String fp = ReferenceDiscovery.fingerprint(c, config.schemas());
        Instant now = clock.instant();
        if (cached != null && cached.found().fingerprint().equals(fp) && cached.trees().equals(treeKey())) {
            Duration age = Duration.between(cached.found().at(), now).abs();
            Duration limit = cached.found().references().isEmpty() ? RECHECK_NONE : MAX_AGE;
            if (age.compareTo(limit) < 0) {
                return cached.found();
            }
        }
        ReferenceDiscovery.Found f = ReferenceDiscovery.discover(config, trees, clock);
        if (f.references().isEmpty()) {
            LOG.info("no column of {} names files of the trees ({} string columns looked at in {} ms): restore "
                    + "points cannot check rows against files; 'tidemark db references' shows what was looked at",
                    String.join(", ", config.schemas()), f.candidates(), f.millis());
        } else {
            StringBuilder sb = new StringBuilder();
            for (ReferenceDiscovery.Column col : f.references()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(col.schema()).append('.').append(col.name())
                        .append(" -> ").append(col.tree()).append(String.format(" (%.0f%%)", col.percent()));
            }
            LOG.info("discovered {} column(s) naming files, used to seal points: {} ({} ms; declare them with "
                    + "'tidemark db references')", f.references().size(), sb, f.millis());
        }
        write(new Cached(treeKey(), f));
        return f;
    }

    private Cached read() {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(file.toFile(), Cached.class);
        } catch (IOException e) {
            LOG.debug("{} unreadable ({}); discovering again", file, e.getMessage());
            return null;
        }
    }

    private void write(Cached c) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, Json.MAPPER.writeValueAsBytes(c));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("cannot keep discovered references in {}: {}; they will be looked for again", file,
                    e.getMessage());
        }
    }
}
