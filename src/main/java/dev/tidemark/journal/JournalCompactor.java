package dev.tidemark.journal;

import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Repository;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the {@link CompactionPolicy}: each merge reads its inputs in batch order and writes one object covering
 * exactly their batches (the writer lock checked before the commit), then hands the inputs to
 * {@link DeferredDeletes}, which deletes them once no reader can still need them. Until then readers see both and
 * read the merged object (see {@link JournalCover}); a crash in between leaves superseded objects, which the next
 * compaction schedules for deletion.
 */
public final class JournalCompactor {
    private static final Logger LOG = LoggerFactory.getLogger(JournalCompactor.class);
    private static final int MAX_ROUNDS = 8;

    private final Repository repo;
    private final JournalWriter writer;
    private final DeferredDeletes deletes;
    private final CompactionPolicy policy;
    private final Clock clock;
    private long merges;

    public JournalCompactor(Repository repo, JournalWriter writer, DeferredDeletes deletes, CompactionPolicy policy,
                            Clock clock) {
        this.repo = repo;
        this.writer = writer;
        this.deletes = deletes;
        this.policy = policy;
        this.clock = clock;
    }

    /** Does every merge due now; returns how many objects were merged into others. */
    public int compact() throws IOException {
        Journal journal = new Journal(repo);
        int merged = 0;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            JournalCover cover = journal.cover();
            if (round == 0) {
                scheduleSuperseded(cover);
            }
            Horizon h = journal.horizon();
            List<CompactionPolicy.Merge> due = policy.plan(cover.objects(), h == null ? 0 : h.seq(), clock.instant());
            if (due.isEmpty()) {
                break;
            }
            for (CompactionPolicy.Merge m : due) {
                merge(journal, m);
                merged += m.inputs().size();
            }
        }
        return merged;
    }

    /** Merges done since start. */
    public long merges() {
        return merges;
    }

    private void merge(Journal journal, CompactionPolicy.Merge m) throws IOException {
        JournalObject made;
        try (JournalWriter.Merged out = writer.open(m.level(), m.from(), m.to())) {
            for (JournalObject in : m.inputs()) {
                journal.readObject(in, out::add);
            }
            made = out.commit();
        }
        merges++;
        List<String> keys = new ArrayList<>();
        for (JournalObject in : m.inputs()) {
            keys.add(in.key());
        }
        deletes.add("journal objects merged into " + made.key(), keys);
        LOG.debug("journal: {} objects merged into {}", m.inputs().size(), made);
    }

    /** Superseded objects that are not waiting for deletion yet (left by a crash, or by another process). */
    private void scheduleSuperseded(JournalCover cover) throws IOException {
        List<String> keys = new ArrayList<>();
        for (JournalObject o : cover.superseded()) {
            if (!deletes.isPending(o.key())) {
                keys.add(o.key());
            }
        }
        deletes.add("superseded journal objects", keys);
    }
}
