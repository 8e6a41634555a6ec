/**
 * {@code verify}: the repository checked against itself (pack names, trailers, blobs, manifests, points), never
 * against the index, with damage traced to the files and points it affects.
 *
 * <p>Caveat: a blob whose key appears in two packs is checked in both, but a file counts as damaged as soon as the
 * copy the check found first is damaged, even if the other copy is good; restore reads the copy the index names.
 */
package dev.tidemark.check;
