/**
 * The repository format: packs of content blobs, the writer lock, the version and config objects.
 *
 * <p>Commit order is the design. Content first: blobs go into packs, and a pack is committed (temp file, force,
 * atomic rename, directory force) before anything names its blobs. Then the index learns of the pack. Then the
 * per-tree manifests. The restore point record is written last, after everything it references is durable; a crash
 * anywhere before that leaves only unreferenced packs and manifests, never a point that names missing data.
 *
 * <p>Caveats: a pack that was committed but whose point never was is garbage until a future prune; it is still
 * used for deduplication, so the next point does not copy its content again.
 */
package dev.tidemark.repo;
