package dev.tidemark.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.EntryType;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast lstat (the JDK's UnixFileAttributes, opened to tidemark) says exactly what the public attribute API says,
 * for every kind of entry, and a failed one ends in the JDK's own exception.
 */
class FileStatTest {
    @TempDir
    Path tmp;

    @Test
    void theFastWayIsOnInTestsAndAgreesWithThePublicWayForEveryKindOfEntry() throws Exception {
        assertTrue(UnixStat.AVAILABLE, "the tests run with --add-opens java.base/sun.nio.fs=ALL-UNNAMED (pom.xml)");
        Path file = Files.write(tmp.resolve("crop.jpg"), new byte[12345]);
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-11-23T10:15:30.123456789Z")));
        Files.setAttribute(file, "unix:mode", 04751);
        Path old = Files.write(tmp.resolve("before-1970"), new byte[3]); // where the file system keeps it
        Files.setLastModifiedTime(old, FileTime.from(Instant.parse("1969-07-20T20:17:40.5Z")));
        Path dir = Files.createDirectory(tmp.resolve("d"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), Path.of("crop.jpg"));
        Path dangling = Files.createSymbolicLink(tmp.resolve("dangling"), Path.of("nowhere"));
        Path fifo = tmp.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());

        for (Path p : new Path[] {file, old, dir, link, dangling, fifo}) {
            FileStat fast = UnixStat.lstat(p);
            assertEquals(FileStat.publicLstat(p), fast, p.toString());
            assertEquals(fast, FileStat.lstat(p), p.toString());
        }
        FileStat f = FileStat.lstat(file);
        assertEquals(EntryType.FILE, f.type());
        assertEquals(12345, f.size());
        assertEquals(04751, f.mode());
        assertEquals(1795428930123456789L, f.mtimeNanos());
        assertEquals(EntryType.DIR, FileStat.lstat(dir).type());
        assertEquals(EntryType.SYMLINK, FileStat.lstat(link).type()); // not followed
        assertEquals(EntryType.SYMLINK, FileStat.lstat(dangling).type());
        assertNull(FileStat.lstat(fifo).type());
    }

    @Test
    void aMissingPathIsTheJdksNoSuchFileException() {
        Path missing = tmp.resolve("gone/away.jpg");
        assertNull(UnixStat.lstat(missing));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> FileStat.lstat(missing));
        assertEquals(missing.toString(), e.getFile());
    }
}
