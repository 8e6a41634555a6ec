package dev.tidemark.point;

/**
 * One tree as sealed in a restore point.
 *
 * @param name     the tree's configured name
 * @param path     its absolute path when the point was taken
 * @param manifest object key of its manifest
 * @param totals   its counts
 */
public record TreeSnapshot(String name, String path, String manifest, Totals totals) {
}
