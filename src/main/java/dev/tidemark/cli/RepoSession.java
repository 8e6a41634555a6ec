package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.index.IndexSync;
import dev.tidemark.journal.FormatUpgrade;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a command holds open: the repository, the writer lock or a reader's lease, maybe the index. Opened in that
 * order and closed in reverse, keeping the first error.
 *
 * <p>Readers hold a lease (see {@link DeferredDeletes}) so that a compaction or prune running meanwhile (in the
 * daemon) leaves everything they may read in place until they are done.
 */
final class RepoSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RepoSession.class);

    final Config config;
    final Repository repo;
    final WriterLock lock;
    final Lease lease;
    final Index index;

    /** A private index made because the real one is in use (by the daemon), deleted at close. */
    private Path privateIndex;
    private dev.tidemark.repo.BlobReader contents;

    /**
     * Reads content (manifests, dumps, files) through the index if this session has one, else through the packs'
     * trailers, read on first use.
     */
    synchronized dev.tidemark.repo.BlobReader contents() {
        if (contents == null) {
            contents = index != null ? index.reader(repo)
                    : new dev.tidemark.repo.BlobReader(repo, new dev.tidemark.repo.PackDirectory(repo));
        }
        return contents;
    }

    private RepoSession(Config config, Repository repo, WriterLock lock, Lease lease, Index index) {
        this.config = config;
        this.repo = repo;
        this.lock = lock;
        this.lease = lease;
        this.index = index;
    }

    /** Read-only access to the repository under a reader's lease: no writer lock, no index. */
    static RepoSession read(Config config, String command) throws IOException {
        Repository repo = Repository.open(config.openStore(), config.passwords()).forHost(config.hostName());
        Logging.file(config.logDir());
        return new RepoSession(config, repo, null, lease(repo, command), null);
    }

    /** A reader's lease, or null where none can be written (a read-only copy of a repository: nothing prunes it). */
    private static Lease lease(Repository repo, String command) {
        try {
            return Lease.reader(repo.store(), Clock.systemUTC(), command);
        } catch (IOException e) {
            LOG.warn("could not take a reader's lease in {} ({}): a prune running meanwhile would not wait for "
                    + "this command", repo.location(), e.getMessage());
            return null;
        }
    }

    /** The repository and the index, synced with the repository's packs, under a reader's lease; no writer lock. */
    static RepoSession withIndex(Config config, String command) throws IOException {
        Repository repo = Repository.open(config.openStore(), config.passwords()).forHost(config.hostName());
        Logging.file(config.logDir());
        Lease lease = lease(repo, command);
        Path dir = config.indexDir();
        Index index;
        Path privateDir = null;
        try {
            index = Index.open(dir, repo.id());
        } catch (TidemarkException e) {
            if (e.exitCode() != ExitCode.LOCKED) {
                throw e;
            }
            // The daemon holds the index. Readers need only where each blob lives: learn it from the packs.
            privateDir = config.state().resolve("index-reader-" + ProcessHandle.current().pid());
            Index.delete(privateDir);
            LOG.info("the index is in use (by 'tidemark run'); reading the repository's pack indexes instead");
            index = Index.open(privateDir, repo.id());
        }
        try {
            IndexSync.syncPacks(repo, index);
        } catch (IOException | RuntimeException e) {
            index.close();
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
        RepoSession s = new RepoSession(config, repo, null, lease, index);
        s.privateIndex = privateDir;
        return s;
    }

    /** The writer lock, stray temporaries removed, and the index. */
    static RepoSession write(Config config, Clock clock, String command) throws IOException {
        return write(config, clock, command, null);
    }

    /**
     * As {@link #write(Config, Clock, String)}; {@code whenDaemon}, if given, is added to the message when the lock
     * is held by the daemon ('tidemark run'): what to do instead.
     */
    static RepoSession write(Config config, Clock clock, String command, String whenDaemon) throws IOException {
        return open(config, clock, command, whenDaemon, false);
    }

    /** How long a point or the daemon waits for another host's exclusive writer (its prune) before giving up. */
    static final java.time.Duration SHARED_WAIT = java.time.Duration.ofMinutes(10);

    /**
     * A writer that writes beside other hosts (a point, the daemon): a shared writer lock (format 5). Before format
     * 5 the repository is first upgraded under an exclusive lock.
     */
    static RepoSession writeShared(Config config, Clock clock, String command, String whenDaemon) throws IOException {
        return open(config, clock, command, whenDaemon, true);
    }

    private static RepoSession open(Config config, Clock clock, String command, String whenDaemon, boolean shared)
            throws IOException {
        Repository repo = Repository.open(config.openStore(), config.passwords()).forHost(config.hostName());
        Logging.file(config.logDir());
        if (shared && repo.format() < Repository.FORMAT) {
            // The upgrade is the repository's alone; then the writer lock goes back to being shared.
            try (WriterLock upgrade = lock(repo, clock, command + " (upgrade)", whenDaemon, false, config)) {
                FormatUpgrade.run(repo, upgrade, new DeferredDeletes(repo.store(), clock, upgrade));
            }
            repo = repo.forHost(config.hostName());
        }
        WriterLock lock = lock(repo, clock, command, whenDaemon, shared, config);
        Index index = null;
        try {
            if (!shared) {
                // Another host's uploads in flight look like strays to this one's pid check: only the writer
                // that has the repository to itself removes them.
                int stray = repo.store().removeStrayTemporaries();
                if (stray > 0) {
                    LOG.info("removed {} temporary files left by an interrupted run", stray);
                }
                FormatUpgrade.run(repo, lock, new DeferredDeletes(repo.store(), clock, lock));
                // The host's view of the repository, now at this tidemark's format: its own journal and binlog.
                repo = repo.forHost(config.hostName());
            }
            index = Index.open(config.indexDir(), repo.id());
            return new RepoSession(config, repo, lock, null, index);
        } catch (IOException | RuntimeException e) {
            if (index != null) {
                index.close();
            }
            lock.close();
            throw e;
        }
    }

    private static WriterLock lock(Repository repo, Clock clock, String command, String whenDaemon, boolean shared,
                                   Config config) throws IOException {
        try {
            return shared ? WriterLock.acquireShared(repo.store(), clock, command, config.hostName(), SHARED_WAIT)
                    : WriterLock.acquire(repo.store(), clock, command);
        } catch (TidemarkException e) {
            if (whenDaemon != null && e.exitCode() == ExitCode.LOCKED && e.getMessage().contains("'tidemark run'")) {
                throw new TidemarkException(ExitCode.LOCKED, e.getMessage() + "; " + whenDaemon, e);
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        if (contents != null) {
            try {
                contents.close();
            } catch (IOException e) {
                first = e;
            }
        }
        if (index != null) {
            index.close();
        }
        if (privateIndex != null) {
            try {
                Index.delete(privateIndex);
            } catch (IOException e) {
                LOG.warn("could not remove {}: {}", privateIndex, e.getMessage());
            }
        }
        for (AutoCloseable held : new AutoCloseable[] {lock, lease}) {
            if (held == null) {
                continue;
            }
            try {
                held.close();
            } catch (IOException e) {
                first = e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            repo.store().close();
        } catch (IOException e) {
            if (first == null) {
                first = e;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
