/**
 * Restoring points: {@link dev.tidemark.restore.Restorer} writes one tree of a point into a target directory,
 * {@link dev.tidemark.repo.BlobReader} fetches and verifies content. See {@code Restorer} for the algorithm and
 * the guarantees (verified bytes, no half-written file, nothing outside the target, exact mirror).
 */
package dev.tidemark.restore;
