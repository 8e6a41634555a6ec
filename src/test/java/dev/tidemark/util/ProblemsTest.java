package dev.tidemark.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tidemark.ExitCode;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/**
 * A file the user names that cannot be read: the user's to fix is a usage error (exit 2), the disk's failure is
 * exit 1. The fault torture found EIO on a config and on a database password file reported as exit 2.
 */
class ProblemsTest {
    @Test
    void whoseFaultAnUnreadableFileIsDecidesTheExitCode() {
        assertEquals(ExitCode.USAGE, Problems.unreadable(new NoSuchFileException("/etc/x"), "m").exitCode());
        assertEquals(ExitCode.USAGE, Problems.unreadable(new AccessDeniedException("/etc/x"), "m").exitCode());
        assertEquals(ExitCode.USAGE, Problems.unreadable(new FileSystemException("/etc/x", null, "Is a directory"),
                "m").exitCode());
        assertEquals(ExitCode.FAILED, Problems.unreadable(new FileSystemException("/etc/x", null,
                "Input/output error"), "m").exitCode());
        assertEquals(ExitCode.FAILED, Problems.unreadable(new IOException("Input/output error"), "m").exitCode());
        assertEquals("m", Problems.unreadable(new IOException("x"), "m").getMessage());
    }
}
