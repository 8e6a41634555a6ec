package dev.tidemark.repo;

import java.io.IOException;

/**
 * What the repository holds is not what was written: a pack whose bytes do not match its name, a malformed pack
 * trailer, a blob that does not decode or whose content key does not match. Never retried; reported by
 * {@code verify} and fails a restore of the affected file.
 */
public class DamageException extends IOException {
    public DamageException(String message) {
        super(message);
    }

    public DamageException(String message, Throwable cause) {
        super(message, cause);
    }
}
