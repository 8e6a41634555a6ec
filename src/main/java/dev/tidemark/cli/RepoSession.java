package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.index.IndexSync;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.LocalDirStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a command holds open: the repository, maybe the writer lock, maybe the index. Opened in that order and closed
 * in reverse, keeping the first error.
 */
final class RepoSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RepoSession.class);

    final Config config;
    final Repository repo;
    final WriterLock lock;
    final Index index;

    /** A private index made because the real one is in use (by the daemon), deleted at close. */
    private Path privateIndex;

    private RepoSession(Config config, Repository repo, WriterLock lock, Index index) {
        this.config = config;
        this.repo = repo;
        this.lock = lock;
        this.index = index;
    }

    /** Read-only access to the repository: no lock, no index. */
    static RepoSession read(Config config) throws IOException {
        Repository repo = Repository.open(new LocalDirStore(config.repository()));
        Logging.file(config.logDir());
        return new RepoSession(config, repo, null, null);
    }

    /** The repository and the index, synced with the repository's packs; no writer lock. */
    static RepoSession withIndex(Config config) throws IOException {
        Repository repo = Repository.open(new LocalDirStore(config.repository()));
        Logging.file(config.logDir());
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
            throw e;
        }
        RepoSession s = new RepoSession(config, repo, null, index);
        s.privateIndex = privateDir;
        return s;
    }

    /** The writer lock, stray temporaries removed, and the index. */
    static RepoSession write(Config config, Clock clock, String command) throws IOException {
        Repository repo = Repository.open(new LocalDirStore(config.repository()));
        Logging.file(config.logDir());
        WriterLock lock = WriterLock.acquire(repo.store(), clock, command);
        Index index = null;
        try {
            int stray = repo.store().removeStrayTemporaries();
            if (stray > 0) {
                LOG.info("removed {} temporary files left by an interrupted run", stray);
            }
            index = Index.open(config.indexDir(), repo.id());
            return new RepoSession(config, repo, lock, index);
        } catch (IOException | RuntimeException e) {
            if (index != null) {
                index.close();
            }
            lock.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
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
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException e) {
                first = e;
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
