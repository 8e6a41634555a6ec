package dev.tidemark.config;

import dev.tidemark.repo.crypto.Passwords;
import dev.tidemark.repo.store.Store;
import dev.tidemark.repo.store.StoreLocation;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The validated configuration. Defaults are applied in one place, {@link ConfigLoader}.
 *
 * @param file       the file it was read from (for messages)
 * @param repository where the repository is: a directory, or an S3 bucket and prefix
 * @param state      the state directory: the index and the log live here
 * @param exclude    globs excluded in every tree
 * @param trees      the trees, in the order given
 * @param scan       scanner options
 * @param run        the daemon's options ({@code tidemark run})
 * @param database   the database sealed into each point; null when there is none
 * @param hooks      commands run around a full restore
 * @param retention  which points to keep, and how the repository is pruned; null: every point is kept
 * @param passwordFile the file holding an encrypted repository's password; null: from the environment only
 * @param replicas   further repositories kept the same as this one ({@code tidemark copy}, the daemon)
 * @param http       where the daemon serves its status page and metrics; null: it serves none
 * @param alerts     who is told when something goes wrong; null: nobody (the log and the status page only)
 * @param drills     how often the daemon rehearses a restore; null: never by itself ('tidemark drill' by hand)
 * @param host       the host name points are taken under and whose journal this config writes; null: the machine's
 *                   name. Set it where the machine's name changes (a container) or is shared
 */
public record Config(Path file, StoreLocation repository, Path state, List<String> exclude, List<TreeConfig> trees,
                     ScanOptions scan, RunOptions run, DatabaseConfig database, Hooks hooks, Retention retention,
                     Path passwordFile, List<Replica> replicas, Http http, Alerts alerts, Drills drills,
                     String host) {

    /** The host name this config writes as: {@code host}, or the machine's name. */
    public String hostName() {
        return host != null ? host : dev.tidemark.repo.Lease.hostName();
    }

    /**
     * The daemon's restore drills.
     *
     * @param every    how often (measured from the newest drill recorded in the repository)
     * @param files    files restored and checked each time
     * @param database whether the database is loaded into scratch schemas too
     */
    public record Drills(Duration every, int files, boolean database) {
    }

    /**
     * Where alerts go, and how often.
     *
     * @param command     run for each alert (argv, no shell), with TIDEMARK_ALERT_CONDITION, _MESSAGE, _RESOLVED,
     *                    _HOST in its environment; null: none
     * @param webhook     POSTed a JSON object for each alert; null: none
     * @param healthcheck a healthchecks-style ping URL: pinged after each point while all is well, and
     *                    {@code <url>/fail} on an alert; null: none
     * @param repeat      at most one alert per condition per this
     * @param missedAfter a point is missed when the newest is older than this
     * @param check       how often the daemon looks for conditions
     */
    public record Alerts(List<String> command, java.net.URI webhook, java.net.URI healthcheck, Duration repeat,
                         Duration missedAfter, Duration check) {
    }

    /**
     * The daemon's status page, JSON API and metrics.
     *
     * @param listen    address and port (port 0: any free one)
     * @param tokenFile a file holding the token every request must carry; null: none (loopback only); files of
     *                  restore points are served only with a token
     */
    public record Http(java.net.InetSocketAddress listen, Path tokenFile) {
        public static final int DEFAULT_PORT = 7427;
    }

    /** A replica: a name (for --replica and copy --to) and where it is. */
    public record Replica(String name, StoreLocation location) {
    }

    /**
     * The replica named {@code name}; a usage error naming {@code option} and the replicas there are if none is.
     */
    public Replica replica(String option, String name) {
        for (Replica r : replicas) {
            if (r.name().equals(name)) {
                return r;
            }
        }
        throw dev.tidemark.TidemarkException.usage(option + " " + name + ": the config has no replica of that name"
                + (replicas.isEmpty() ? " (it has none: add one under 'replicas')"
                : "; it has " + String.join(", ", replicas.stream().map(Replica::name).toList())));
    }

    /** This config with {@code location} as its repository (reading a replica as if it were the primary). */
    public Config withRepository(StoreLocation location) {
        return new Config(file, location, state, exclude, trees, scan, run, database, hooks, retention, passwordFile,
                replicas, http, alerts, drills, host);
    }

    /** This config writing and reading as {@code host} ({@code --host}). */
    public Config withHost(String host) {
        return new Config(file, repository, state, exclude, trees, scan, run, database, hooks, retention, passwordFile,
                replicas, http, alerts, drills, ConfigLoader.host(file, host));
    }

    /** Where uploads to the repository ({@code replica} null) or to a replica wait in the state directory. */
    public Path spool(Replica replica) {
        return state.resolve(replica == null ? "upload" : "upload-" + replica.name());
    }

    /** Opens a replica's store (uploads spooled in the state directory). */
    public Store openReplica(Replica r) throws IOException {
        return r.location().open(spool(r));
    }

    /** {@code hooks.preRestore} and {@code hooks.postRestore}; either may be null. */
    public record Hooks(HookConfig preRestore, HookConfig postRestore) {
        public static final Hooks NONE = new Hooks(null, null);
    }

    public static final String DEFAULT_FILE = "config/tidemark.json";

    /**
     * @param threads files read and hashed at once
     */
    public record ScanOptions(int threads) {
        public static final int DEFAULT_THREADS = 4;
        public static final ScanOptions DEFAULTS = new ScanOptions(DEFAULT_THREADS);
    }

    /**
     * How {@code tidemark run} behaves.
     *
     * @param pointInterval     a restore point is committed this often ({@code points.interval})
     * @param settle            a path is copied once no event has touched it for this long
     * @param maxDelay          a file that never settles (written continuously) is copied at least this often
     * @param reconcileInterval every tree is compared with the index this often: the safety net under the watcher
     * @param pollInterval      how often a tree that cannot be watched (inotify watches used up) is compared instead
     * @param forcePolling      never use inotify: compare every tree each {@code pollInterval} (network file systems)
     */
    public record RunOptions(Duration pointInterval, Duration settle, Duration maxDelay, Duration reconcileInterval,
                             Duration pollInterval, boolean forcePolling) {
        public static final RunOptions DEFAULTS = new RunOptions(Duration.ofHours(1), Duration.ofMillis(300),
                Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofSeconds(10), false);
    }

    public TreeConfig tree(String name) {
        return trees.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    /** Opens the repository's store; uploads to an object store wait in the state directory until committed. */
    public Store openStore() throws IOException {
        return repository.open(spool(null));
    }

    /** Where an encrypted repository's password comes from: the environment, then {@code passwordFile}. */
    public Passwords passwords() {
        return new Passwords(System::getenv, passwordFile);
    }

    /** The repository's directory, or null when it is not on this machine (S3). */
    public Path repositoryDir() {
        return repository instanceof StoreLocation.Local l ? l.dir() : null;
    }

    public Path indexDir() {
        return state.resolve("index");
    }

    public Path logDir() {
        return state.resolve("logs");
    }

    /** The daemon's control socket: {@code tidemark point} and {@code status} talk to a running daemon through it. */
    public Path controlSocket() {
        return state.resolve("daemon.sock");
    }
}
