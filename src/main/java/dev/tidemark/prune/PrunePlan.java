package dev.tidemark.prune;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.tidemark.journal.Horizon;
import java.util.List;
import java.util.Set;

/**
 * What a prune will do, decided before anything changes: printed by {@code --dry-run}, asserted on by tests, then
 * carried out by {@link PruneRun}.
 *
 * @param points        restore points kept (all that exist: forget has run)
 * @param blobs         blob counts: in use, duplicates, unused
 * @param bytes         stored bytes: in use, duplicate, unused (blobs no point or journal names), dead (pack space no
 *                      blob lists), and the repository's pack bytes in all
 * @param packs         pack counts: in all, kept, to repack, to delete
 * @param repackBytes   bytes of the packs to repack, of which {@code repackUnused} are unused or duplicate
 * @param deleteBytes   bytes of the packs to delete whole
 * @param deletePacks   ids of the packs that hold nothing in use
 * @param repackPacks   ids of the packs whose blobs in use are copied before they are deleted
 * @param manifests     manifest objects no kept point names
 * @param dumps         database dump objects no kept point names
 * @param journal       (by their own keys, of every host) journal objects that are superseded, older than the new horizon, or of format 1; and the
 *                      archived binlog before the oldest point a restore to a time can start from
 * @param journalBytes  their bytes
 * @param horizon       this host's journal's new horizon (null: unchanged), or another host's if only it moves
 * @param horizons      every host's journal that gets a new horizon, with it
 * @param damagedPacks  packs whose trailer cannot be read: kept, untouched
 * @param afterBytes    pack bytes after the prune
 * @param afterUnused   unused and duplicate bytes left after the prune (tolerated by maxUnused)
 * @param live          the keys in use
 * @param keptHas       the keys in use that the packs staying hold
 * @param toCopy        the keys in use that only packs to repack hold: the run copies them
 */
public record PrunePlan(int points, Counts blobs, Bytes bytes, PackCounts packs, long repackBytes, long repackUnused,
                        long deleteBytes, @JsonIgnore Set<String> deletePacks, @JsonIgnore Set<String> repackPacks,
                        @JsonIgnore List<String> manifests, @JsonIgnore List<String> dumps,
                        @JsonIgnore List<String> journal, long journalBytes, Horizon horizon,
                        @JsonIgnore java.util.Map<dev.tidemark.repo.Repository, Horizon> horizons,
                        List<String> damagedPacks, long afterBytes, long afterUnused,
                        @JsonIgnore KeySet live, @JsonIgnore KeySet keptHas, @JsonIgnore KeySet toCopy,
                        @JsonIgnore Set<String> pointIds, long journalSeq) {

    /** Blob counts. */
    public record Counts(long used, long duplicate, long unused) {
    }

    /** Stored bytes by kind. */
    public record Bytes(long used, long duplicate, long unused, long dead, long total) {
    }

    /** Pack counts by fate. */
    public record PackCounts(int total, int keep, int repack, int delete) {
    }

    /** Counts of the objects it deletes, for JSON. */
    public int manifestsToDelete() {
        return manifests.size();
    }

    public int dumpsToDelete() {
        return dumps.size();
    }

    public int journalObjectsToDelete() {
        return journal.size();
    }

    /** True if the plan changes nothing. */
    @JsonIgnore
    public boolean empty() {
        return deletePacks.isEmpty() && repackPacks.isEmpty() && manifests.isEmpty() && dumps.isEmpty()
                && journal.isEmpty() && horizons.isEmpty();
    }
}
