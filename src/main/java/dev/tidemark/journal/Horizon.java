package dev.tidemark.journal;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tidemark.repo.CheckedRecord;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.time.Instant;

/**
 * How far back the journal reaches: batches up to {@code seq} may have been pruned (retention's
 * {@code journalWithin}), so the journal is only complete after point {@code point}, taken at {@code time}.
 * {@code restore --at} before that time has only restore points to go by.
 *
 * <p>One small object, {@code journal-horizon}, replaced whole by prune (it only ever moves forward), and written
 * before the journal objects it gives up are deleted.
 *
 * @param seq   the last batch that may be gone
 * @param time  the time of {@code point}: from here on every second can be restored
 * @param point the restore point the journal is complete after
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Horizon(long seq, Instant time, String point) {
    public static final String KEY = "journal-horizon";

    /** The horizon, or null if the journal was never pruned. */
    public static Horizon read(Store store) throws IOException {
        try {
            return CheckedRecord.read(store.get(KEY), Horizon.class, "the journal's horizon (" + KEY + ")");
        } catch (ObjectNotFoundException e) {
            return null;
        }
    }

    /** Makes this the horizon (the writer lock is checked first). */
    public void write(Store store, WriterLock lock) throws IOException {
        lock.check();
        store.put(KEY, CheckedRecord.seal(Json.MAPPER.writeValueAsBytes(this)));
    }
}
