package dev.tidemark.scan;

import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.util.Problems;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One directory of a tree as every walk sees it: a point's ({@link TreeScanner}) and the daemon's comparisons with
 * the index alike. Its children in {@link PathOrder}, excluded ones left out, each with its lstat; names that are not
 * valid UTF-8 and children that cannot be looked at are reported and left out; a child that vanished is simply not
 * there. A directory that vanished is an empty listing; one that cannot be listed is an {@link IOException}.
 */
public final class DirectoryListing {
    private DirectoryListing() {
    }

    /** A child: its name, its path relative to the tree, where it is, and what lstat said (type null: a special). */
    public record Child(String name, String rel, Path path, FileStat stat) {
    }

    /** Told about a child left out, with a sentence saying why. */
    @FunctionalInterface
    public interface LeftOut {
        void leftOut(String rel, String why);
    }

    private static List<Child> replaced(String rel, LeftOut leftOut) {
        leftOut.leftOut(rel, "was replaced while it was being read (by a symlink or another directory); what is in it "
                + "is left out of this point");
        return List.of();
    }

    private static final java.util.regex.Pattern UNIX_KEY =
            java.util.regex.Pattern.compile("\\(dev=([0-9a-f]+),ino=([0-9]+)\\)");

    /**
     * Whether the directory the stream has open (by its handle, whatever its path names now) is the one seen. The
     * JDK's Unix file key prints as {@code (dev=<hex>,ino=<decimal>)}; a key in another shape is not compared here
     * and the check after the listing remains.
     */
    private static boolean opened(DirectoryStream<Path> ds, FileStat seen) {
        if (!(ds instanceof java.nio.file.SecureDirectoryStream<Path> sds)) {
            return true;
        }
        try {
            Object key = sds.getFileAttributeView(java.nio.file.attribute.BasicFileAttributeView.class).readAttributes()
                    .fileKey();
            java.util.regex.Matcher m = UNIX_KEY.matcher(String.valueOf(key));
            if (!m.matches()) {
                return true;
            }
            return Long.parseUnsignedLong(m.group(1), 16) == seen.dev() && Long.parseLong(m.group(2)) == seen.inode();
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** Whether {@code dir} is still the directory seen: true, false (replaced), or null (gone, as deletions go). */
    private static Boolean stillTheSame(Path dir, FileStat seen) {
        try {
            FileStat now = FileStat.lstat(dir);
            return now.type() == dev.tidemark.point.EntryType.DIR && now.inode() == seen.inode() && now.dev() == seen.dev();
        } catch (NoSuchFileException | NotDirectoryException e) {
            return null;
        } catch (IOException e) {
            return false;
        }
    }

    /** The path of {@code name} in the directory {@code rel} ("." for the root). */
    public static String child(String rel, String name) {
        return rel.equals(FileEntry.ROOT) ? name : rel + "/" + name;
    }

    /**
     * The children of {@code dir}. {@code seen} is what lstat said of {@code dir} when its parent was listed (null if
     * unknown): a directory that is no longer that directory once listed (replaced by a symlink to elsewhere, or
     * by another directory, while the walk was on its way) gives an empty listing and is reported, so a walk never
     * follows a symlink out of the tree and never records another directory's children under this name.
     */
    public static List<Child> list(Path dir, FileStat seen, String rel, Excludes excludes, LeftOut leftOut)
            throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            if (seen != null && !opened(ds, seen)) {
                return replaced(rel, leftOut);
            }
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!dir.resolve(name).equals(p)) {
                    // The JVM decodes names as UTF-8; a name that is not valid UTF-8 cannot be named back.
                    leftOut.leftOut(child(rel, name), "file name is not valid UTF-8 and cannot be backed up; rename it");
                    continue;
                }
                names.add(name);
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return List.of(); // removed, or replaced by a file, since it was seen
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        names.sort(PathOrder::compareNames);
        List<Child> out = new ArrayList<>(names.size());
        for (String name : names) {
            String rel2 = child(rel, name);
            if (excludes.excluded(rel2, name)) {
                continue;
            }
            Path p = dir.resolve(name);
            try {
                out.add(new Child(name, rel2, p, FileStat.lstat(p)));
            } catch (NoSuchFileException e) {
                // gone since it was listed
            } catch (IOException e) {
                leftOut.leftOut(rel2, "cannot stat (" + Problems.reason(e) + ")");
            }
        }
        if (seen != null) {
            Boolean same = stillTheSame(dir, seen);
            if (same == null) {
                return List.of(); // removed since it was listed: as if it had been removed before
            } else if (!same) {
                return replaced(rel, leftOut);
            }
        }
        return out;
    }
}
