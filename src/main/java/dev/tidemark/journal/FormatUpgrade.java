package dev.tidemark.journal;

import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings an older repository to this tidemark's format, done by the first writer (point, run, forget, prune) that
 * opens it. From format 1 the journal is rewritten (below); from format 3 the journal and binlog are given to the
 * host of this first writer, which goes on with them as any writer of format 3 would have ({@link Repository#recordLegacyOwner}) and nothing is copied.
 *
 * <p>Format 2 changed only the journal (and added what older tidemarks must not misread: points with a journal
 * position, readers' leases). The upgrade, in a crash-safe order: (1) the format-1 segments are rewritten as
 * numbered format-2 objects, one per UTC day; (2) the version file says 2; (3) the old segments are deleted once
 * no reader needs them (a format-2 prune removes any that are left). A crash before (2) leaves format-1 readers
 * reading the old segments, and the next writer redoes (1) with the same result; after (2) the old segments are
 * garbage. Points are not rewritten: one without a journal position is read by its time, as before.
 */
public final class FormatUpgrade {
    private static final Logger LOG = LoggerFactory.getLogger(FormatUpgrade.class);

    private FormatUpgrade() {
    }

    /** Upgrades {@code repo} if it is older than this tidemark's format; true if it did. */
    public static boolean run(Repository repo, WriterLock lock, DeferredDeletes deletes) throws IOException {
        if (repo.format() >= Repository.FORMAT) {
            return false;
        }
        LOG.info("upgrading repository {} from format {} to {}", repo.location(), repo.format(), Repository.FORMAT);
        if (repo.format() < 2) {
            JournalWriter writer = JournalWriter.openForUpgrade(repo, lock);
            LegacyJournal.upgrade(repo, writer, deletes);
        }
        // 2 to 3 rewrites nothing: format 3 adds chunk lists and manifests and dumps stored as content, and reads
        // the whole manifests, dumps and blobs of format 2 as they are. Only a tidemark of format 2 must now refuse
        // the repository (it would not understand a chunked file), which the version says.
        // 3 to 5 moves nothing either: the journal, horizon and binlog stay where they are and become this writer's
        // host's. Format 3 had one journal that whichever writer came next went on with (a machine renamed, a
        // container with a new name each start), so this host is the one that goes on with it now. A tidemark of
        // format 3 must now refuse the repository: it would prune other hosts' journals away.
        String owner = repo.host();
        lock.check();
        repo.recordLegacyOwner(owner, java.time.Clock.systemUTC());
        LOG.info("the journal and binlog recorded so far are {}'s", owner);
        repo.setFormat(Repository.FORMAT, lock);
        deletes.deleteReady();
        return true;
    }
}
