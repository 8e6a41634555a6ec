package dev.tidemark.daemon;

import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.WriterLock;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the daemon may delete packs (pack compaction, prune): while the repository is its alone. Another host's
 * writer may be deduplicating against a blob in a pack that nothing names yet; deleting that pack would lose the blob
 * it is about to name. So the daemon's shared writer lock is made exclusive for a while
 * ({@link WriterLock#tryExclusive}) when no other writer is there, and let go once no pack it dropped still waits for
 * deletion.
 */
final class Alone {
    private static final Logger LOG = LoggerFactory.getLogger(Alone.class);

    private final WriterLock lock;
    private final String location;
    private boolean said;

    Alone(WriterLock lock, String location) {
        this.lock = lock;
        this.location = location;
    }

    /** True if the repository is this daemon's alone now (it may be made so); says once when it is not. */
    boolean now() throws IOException {
        if (lock.tryExclusive()) {
            said = false;
            return true;
        }
        if (!said) {
            LOG.info("another host is writing to repository {}: pack compaction and prune wait until this daemon is "
                    + "its only writer (the journal is still compacted)", location);
            said = true;
        }
        return false;
    }

    /**
     * Lets other hosts' writers in again, unless a pack is still waiting to be deleted (its garbage would be named
     * again by a writer that learned it, then deleted).
     */
    void letGo(DeferredDeletes deletes) throws IOException {
        if (deletes.pendingKeys().stream().noneMatch(k -> k.startsWith(PackFormat.PREFIX))) {
            lock.releaseExclusive();
        }
    }
}
