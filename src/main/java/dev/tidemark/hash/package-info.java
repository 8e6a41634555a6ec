/**
 * Content keys: the 128-bit identity of content in the repository.
 *
 * <p>Algorithm: two XXH64 lanes over the same bytes with two random 64-bit seeds chosen when the repository is
 * created and kept in its {@code config}. XXH64 (lz4-java's JNI build) runs at several GB/s per lane, so the key costs
 * far less than reading the file. The first lane doubles as the 64-bit change hash kept in the index.
 *
 * <p>Caveat: xxHash is not a cryptographic hash. The random seeds stop content crafted in advance to collide, but a
 * party that can read the repository's config (and so the seeds) could craft collisions. The repository is trusted
 * storage in this design; encryption and authenticated keys are out of scope for now.
 */
package dev.tidemark.hash;
