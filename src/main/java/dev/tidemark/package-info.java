/**
 * tidemark: a file-watching incremental replicator.
 *
 * <p>Packages, one concept each: {@code config} (the JSON configuration and its validation), {@code hash} (content
 * keys), {@code repo} and {@code repo.store} (the repository format and its storage backends), {@code index} (the
 * RocksDB cache), {@code point} (restore points and their manifests), {@code scan} (taking a point), {@code restore},
 * {@code check} ({@code verify}), {@code progress}, {@code cli} (one class per subcommand).
 *
 * <p>Errors meant for a person are {@link dev.tidemark.TidemarkException}s: one line, an {@link dev.tidemark.ExitCode}.
 */
package dev.tidemark;
