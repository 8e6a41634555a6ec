/**
 * Storage backends for the repository: the {@link dev.tidemark.repo.store.Store} contract and the local-directory
 * implementation. An S3 store will implement the same contract and pass the same contract test.
 *
 * <p>The local store writes every object as temp file, {@code force()}, atomic rename, then {@code force()} on the
 * directory, so a crash leaves either no object or the whole object. Temp files live in {@code tmp/} inside the
 * store (same file system, so the rename is atomic) and carry the writing process's pid in their name; stray ones
 * are removed at start-up by the writer-lock holder.
 */
package dev.tidemark.repo.store;
