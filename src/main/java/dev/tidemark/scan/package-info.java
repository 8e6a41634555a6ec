/**
 * Taking a restore point: walking the trees, deciding per file whether to read it, storing new content, writing
 * manifests and, last, the point record. See {@link dev.tidemark.scan.PointTaker} for the commit order and
 * {@link dev.tidemark.scan.TreeScanner} for the walk and the torn-read guard.
 *
 * <p>Caveats: a point is not an atomic file-system snapshot: each file is as it was when it was read, and a file
 * that keeps changing through {@code ATTEMPTS} reads is left out with a warning rather than stored torn. File names
 * that are not valid UTF-8 cannot be represented by the JVM and are reported as unreadable.
 */
package dev.tidemark.scan;
