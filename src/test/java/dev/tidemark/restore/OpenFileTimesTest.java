package dev.tidemark.restore;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.FileEntry;
import dev.tidemark.scan.FileStat;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Times set through a file's open descriptor land to the nanosecond, and where that way does not apply it says so. */
class OpenFileTimesTest {
    @TempDir
    Path tmp;

    @Test
    void theTimesSetThroughTheDescriptorAreTheFilesToTheNanosecondOnceClosed() throws Exception {
        assertTrue(OpenFileTimes.AVAILABLE, "the tests run with --add-opens java.base/sun.nio.fs and sun.nio.ch"
                + " (pom.xml)");
        long mtime = FileEntry.nanos(Instant.parse("2024-02-29T23:59:59.987654321Z"));
        long atime = FileEntry.nanos(Instant.parse("2026-11-23T08:00:00.000000123Z"));
        Path p = tmp.resolve("crop.jpg");
        try (FileChannel ch = FileChannel.open(p, CREATE_NEW, WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[4321]));
            assertTrue(OpenFileTimes.set(ch, mtime, atime));
        }
        assertEquals(mtime, FileStat.lstat(p).mtimeNanos());
        assertEquals(4321, FileStat.lstat(p).size());
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertEquals(Instant.parse("2026-11-23T08:00:00.000000123Z"), a.lastAccessTime().toInstant());
    }

    @Test
    void beforeNineteenSeventyOrOnAClosedChannelItDeclinesAndTouchesNothing() throws Exception {
        Path p = tmp.resolve("old.jpg");
        long now;
        FileChannel closed;
        try (FileChannel ch = FileChannel.open(p, CREATE_NEW, WRITE)) {
            now = FileStat.lstat(p).mtimeNanos();
            assertFalse(OpenFileTimes.set(ch, FileEntry.nanos(Instant.parse("1969-07-20T20:17:40Z")), 0));
            assertFalse(OpenFileTimes.set(ch, 0, -1));
            closed = ch;
        }
        assertFalse(OpenFileTimes.set(closed, 1_000_000_000L, 1_000_000_000L));
        assertEquals(now, FileStat.lstat(p).mtimeNanos());
    }
}
