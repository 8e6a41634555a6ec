package dev.tidemark.check;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The outcome of the last {@code tidemark verify} on this host, kept in the state directory for the daemon's status
 * page and metrics (a local record, like the index: the repository is not written by a verify).
 *
 * @param at            when it finished
 * @param repository    the repository it checked
 * @param ok            no damage found
 * @param readData      packs' data was read (all, or a subset)
 * @param packsRead     packs whose data was read
 * @param packs         packs in the repository
 * @param damage        problems found
 * @param firstDamage   the first of them, or null
 * @param durationMillis how long it took
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LastVerify(Instant at, String repository, boolean ok, boolean readData, int packsRead, int packs,
                         int damage, String firstDamage, long durationMillis) {
    public static final String FILE = "last-verify.json";

    /** Writes it under {@code state}, whole or not at all. */
    public void save(Path state) throws IOException {
        dev.tidemark.util.LocalFiles.writeAtomically(state.resolve(FILE), Json.MAPPER.writeValueAsBytes(this));
    }

    /** The record under {@code state}, or null if there is none or it cannot be read. */
    public static LastVerify load(Path state) {
        try {
            return Json.MAPPER.readValue(state.resolve(FILE).toFile(), LastVerify.class);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
