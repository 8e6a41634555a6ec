/**
 * Restore points and their manifests.
 *
 * <p>A point is a small JSON record {@code points/<id>} naming one manifest per tree. A manifest is the tree's
 * entries (path, type, size, mtime, ctime, mode, owner, inode, content key, link target) as LZ4-framed JSON lines in
 * {@link dev.tidemark.point.PathOrder}, named by the content key of its bytes. Streaming both ways keeps memory flat
 * for a million files; naming by content makes an unchanged tree's manifest free.
 *
 * <p>Caveat: hard links are recorded as separate files (their content is stored once, by key) and restored as
 * separate files.
 */
package dev.tidemark.point;
