package dev.tidemark.repo.store;

import java.io.IOException;

/**
 * The S3 server does not do what the repository needs, or stored something other than what was sent: a
 * compatibility problem of the server and its settings, never damage to the repository. The message names the
 * server, what it did, and the setting or server to change. The CLI exits with code 2 (fix the config or the
 * server).
 */
public final class S3CompatibilityException extends IOException {
    public S3CompatibilityException(String message) {
        super(message);
    }
}
