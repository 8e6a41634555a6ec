package dev.tidemark.repo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * The repository's {@code config} object, written once by {@code init}.
 *
 * @param format     repository format version; a newer one is refused
 * @param id         random id; the index records it so an index is never used against another repository
 * @param created    when {@code init} ran
 * @param keySeedA   first XXH64 seed of content keys (hex)
 * @param keySeedB   second XXH64 seed (hex)
 * @param packSize   target pack size in bytes
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record RepositoryConfig(int format, String id, Instant created, String keySeedA, String keySeedB,
                               long packSize) {
}
