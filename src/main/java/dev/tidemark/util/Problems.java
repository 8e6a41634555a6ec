package dev.tidemark.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * What went wrong with a source path, in words for a warning that names the path itself: the JDK's exceptions say
 * "AccessDeniedException: /x" (the path, not the reason), or wrap the reason in class names.
 */
public final class Problems {
    private Problems() {
    }

    /** The reason alone: "permission denied", "no such file", or the system's own words. */
    public static String reason(Throwable e) {
        if (e instanceof DirectoryIteratorException d && d.getCause() != null) {
            return reason(d.getCause());
        }
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return reason(u.getCause());
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemLoopException) {
            return "file system loop";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().strip().toLowerCase(java.util.Locale.ROOT);
        }
        if (e instanceof IOException && e.getMessage() != null) {
            return e.getMessage();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * The error for a file the user names (a config, a password or token file) that could not be read: a usage
     * error (exit 2) when the user can fix it (missing, not permitted, not a file), a failure (exit 1) when the disk
     * failed (EIO and the like), so that a script is not told its command line was wrong.
     */
    public static dev.tidemark.TidemarkException unreadable(java.io.IOException e, String message) {
        boolean users = e instanceof java.nio.file.NoSuchFileException || e instanceof java.nio.file.AccessDeniedException
                || e instanceof java.nio.file.NotDirectoryException || e instanceof java.nio.file.FileSystemLoopException
                || e instanceof java.nio.charset.CharacterCodingException
                || e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                && f.getReason().contains("Is a directory");
        return users ? dev.tidemark.TidemarkException.usage(message)
                : dev.tidemark.TidemarkException.failed(message);
    }
}
