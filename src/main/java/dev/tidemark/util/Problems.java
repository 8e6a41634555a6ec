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
}
