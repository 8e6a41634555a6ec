package dev.tidemark.restore;

import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.BlobReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/**
 * Files added to a restored tree after the fact: a restore to a time put back a row committed just before it whose
 * file the daemon journaled just after it (the app wrote the file, then the row; the daemon copied the file once it
 * settled). Each is written whole (temp file, rename) with its mode and mtime, as a restore writes any file.
 */
public final class TopUp {
    private TopUp() {
    }

    /** Writes {@code files} (paths relative to {@code target}); their directories are made if missing. */
    public static int write(BlobReader blobs, Path target, Collection<FileEntry> files, boolean restoreOwners)
            throws IOException {
        TargetFiles out = TargetFiles.open(target, blobs, restoreOwners, TargetFiles.Into.EXISTING);
        int n = 0;
        for (FileEntry e : files) {
            if (!e.isFile()) {
                continue;
            }
            Path parent = target.resolve(e.path()).getParent();
            if (!parent.normalize().startsWith(target.normalize())) {
                continue; // never outside the target, whatever the journal says
            }
            Files.createDirectories(parent);
            out.writeFile(e, blobs.locate(e.key()), null);
            n++;
        }
        return n;
    }
}
