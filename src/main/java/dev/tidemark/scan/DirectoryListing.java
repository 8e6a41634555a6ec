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

    /** The path of {@code name} in the directory {@code rel} ("." for the root). */
    public static String child(String rel, String name) {
        return rel.equals(FileEntry.ROOT) ? name : rel + "/" + name;
    }

    public static List<Child> list(Path dir, String rel, Excludes excludes, LeftOut leftOut) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
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
        return out;
    }
}
