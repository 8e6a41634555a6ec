package dev.tidemark.restore;

import dev.tidemark.repo.BlobReader;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.scan.FileStat;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file-system side of a restore: how one file, link or directory's metadata is written into the target.
 *
 * <p>A file is created with its permission bits, verified against its content key while written, given its owner (as
 * root) and, last, its mtime. Into a target that started empty ({@link Into#EMPTY}, a plain restore) it is created
 * under its own name, never over anything (a temp name and a rename would cost a third of the file system's time per
 * file, for nobody: nothing else is in that directory); a file bearing its point's mtime is therefore complete, and
 * a restore stopped midway leaves a target that a plain restore refuses and {@code --mirror} rewrites whole. Where
 * files may already be ({@link Into#EXISTING}, {@link Into#MIRROR}) it goes to a temp name in its final directory and
 * is renamed into place: nobody sees a file half-replaced. A link is created as a link (never followed). Directory
 * metadata comes last, from the caller.
 */
final class TargetFiles {
    private static final Logger LOG = LoggerFactory.getLogger(TargetFiles.class);
    static final String TEMP_PREFIX = ".tidemark-restore-";

    /** Permission attributes for creating files, one per mode 0000-0777. */
    private static final FileAttribute<?>[] PERMS = new FileAttribute<?>[01000];

    static {
        for (int m = 0; m < PERMS.length; m++) {
            Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
            PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
            for (int bit = 0; bit < 9; bit++) {
                if ((m & (1 << bit)) != 0) {
                    perms.add(order[bit]);
                }
            }
            PERMS[m] = PosixFilePermissions.asFileAttribute(perms);
        }
    }

    /** What a file created in the target gets by default: the process umask, owner and group. */
    private record Probe(int umask, int uid, int gid) {
        static Probe of(Path dir) throws IOException {
            Path p = dir.resolve(TEMP_PREFIX + "probe-" + ProcessHandle.current().pid() + ".tmp");
            Files.deleteIfExists(p);
            Files.createFile(p, PERMS[0777]);
            try {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
                return new Probe(~(Integer) a.get("mode") & 0777, (Integer) a.get("uid"), (Integer) a.get("gid"));
            } finally {
                Files.deleteIfExists(p);
            }
        }
    }

    /** What the target holds when the restore starts, and so how a file gets into it. */
    enum Into {
        /** Nothing (checked by the caller): a file is created under its own name. */
        EMPTY,
        /** Files that may be replaced: a file is written to a temp name and renamed over them. */
        EXISTING,
        /** As {@link #EXISTING}, and a directory standing where a file goes is removed first. */
        MIRROR
    }

    private final Path dest;
    private final BlobReader blobs;
    private final boolean restoreOwners;
    private final Into into;
    private final Probe probe;
    /** The access time files get: when the restore began (what a new file has; setting it spares a stat per file). */
    private final FileTime accessed = FileTime.from(java.time.Instant.now());
    private final long accessedNanos = FileEntry.nanos(accessed.toInstant());

    private TargetFiles(Path dest, BlobReader blobs, boolean restoreOwners, Into into, Probe probe) {
        this.dest = dest;
        this.blobs = blobs;
        this.restoreOwners = restoreOwners;
        this.into = into;
        this.probe = probe;
    }

    /** Looks at what a new file in {@code dest} gets by default (one probe file, removed at once). */
    static TargetFiles open(Path dest, BlobReader blobs, boolean restoreOwners, Into into) throws IOException {
        return new TargetFiles(dest, blobs, restoreOwners, into, Probe.of(dest));
    }

    private Path tempBeside(Path p) {
        return p.resolveSibling(TEMP_PREFIX + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + ".tmp");
    }

    /**
     * Writes one file, its content read from {@code where} first (or any other copy). {@code parent} is the
     * entry of its directory (for a setgid directory's group), or null.
     */
    void writeFile(FileEntry e, BlobLocation where, FileEntry parent) throws IOException {
        writeFile(e, sink -> blobs.read(e.key(), where, sink), parent);
    }

    /** Writes one file, its content from {@code content} (a blob of a run read whole, or any copy). */
    void writeFile(FileEntry e, BlobReader.Blob content, FileEntry parent) throws IOException {
        Path fin = dest.resolve(e.path());
        Path tmp = into == Into.EMPTY ? fin : tempBeside(fin);
        boolean made = false;
        try {
            // Created with its permission bits, so the common file needs no chmod afterwards.
            int created = e.mode() & 0777 & ~probe.umask();
            boolean owner = needsOwner(e, parent);
            // chown clears setuid/setgid, so the mode comes after the owner.
            boolean mode = owner || created != e.mode();
            boolean timed = false;
            try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(CREATE_NEW, WRITE), PERMS[e.mode() & 0777]);
                 OutputStream out = Channels.newOutputStream(ch)) {
                made = true;
                long[] n = {0};
                content.into((buf, off, len) -> {
                    out.write(buf, off, len);
                    n[0] += len;
                });
                if (n[0] != e.size()) {
                    throw new DamageException("content is " + n[0] + " bytes, manifest says " + e.size());
                }
                // The common file: nothing else to set, so its times go through the open descriptor (no second
                // open by name); the mtime is still the last thing written to it.
                if (!mode) {
                    timed = OpenFileTimes.set(ch, e.mtimeNanos(), accessedNanos);
                }
            }
            if (owner) {
                chown(tmp, e);
            }
            if (mode) {
                Files.setAttribute(tmp, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
            }
            if (!timed) {
                // Following links is safe here (the file is ours) and spares the lstat the JDK does first; both
                // times given spare the stat it does to keep the access time. The mtime comes last: it marks the
                // file done.
                Files.getFileAttributeView(tmp, BasicFileAttributeView.class)
                        .setTimes(FileTime.from(FileEntry.instant(e.mtimeNanos())), accessed, null);
            }
            if (tmp != fin) {
                replace(tmp, fin);
            }
        } catch (IOException | RuntimeException ex) {
            if (made) { // never a file this call did not create
                deleteQuietly(tmp);
            }
            throw ex;
        }
    }

    /** Whether owner and group must be set: running as root and they differ from what a new file gets here. */
    private boolean needsOwner(FileEntry e, FileEntry parent) {
        if (!restoreOwners) {
            return false;
        }
        boolean setgidParent = parent != null && (parent.mode() & 02000) != 0;
        return e.uid() != probe.uid() || e.gid() != probe.gid() || setgidParent;
    }

    private static void chown(Path p, FileEntry e) throws IOException {
        Files.setAttribute(p, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
    }

    private static void setMtime(Path p, FileEntry e) throws IOException {
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(FileEntry.instant(e.mtimeNanos())), null, null);
    }

    void writeLink(FileEntry e) throws IOException {
        Path fin = dest.resolve(e.path());
        Path tmp = tempBeside(fin);
        try {
            Files.createSymbolicLink(tmp, Path.of(e.target()));
            if (restoreOwners) {
                chown(tmp, e);
            }
            try {
                setMtime(tmp, e);
            } catch (IOException | UnsupportedOperationException ex) {
                LOG.debug("cannot set the mtime of symlink {}: {}", fin, ex.toString());
            }
            replace(tmp, fin);
        } catch (IOException | RuntimeException ex) {
            deleteQuietly(tmp);
            throw ex;
        }
    }

    /** Directory metadata: owner, mode, mtime. */
    void applyDirMeta(Path p, FileEntry e) throws IOException {
        if (restoreOwners) {
            chown(p, e);
        }
        Files.setAttribute(p, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
        setMtime(p, e);
    }

    /**
     * Renames the finished temp file into place, over a file or link that is there. When mirroring, a directory in
     * the way is removed first (a rename cannot replace it).
     */
    private void replace(Path tmp, Path fin) throws IOException {
        try {
            Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (FileSystemException ex) {
            FileStat existing = statOrNull(fin);
            if (into != Into.MIRROR || existing == null || existing.type() != EntryType.DIR) {
                throw ex;
            }
            deleteTree(fin);
            Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static FileStat statOrNull(Path p) throws IOException {
        try {
            return FileStat.lstat(p);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", p, e.toString());
        }
    }

    /** Deletes a file, a link (not its target) or a directory with everything in it. */
    static void deleteTree(Path p) throws IOException {
        FileStat st = statOrNull(p);
        if (st == null) {
            return;
        }
        if (st.type() == EntryType.DIR) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    /** Flushes everything written under {@code dir} to disk: one syncfs instead of an fsync per file. */
    static void syncFileSystem(Path dir) {
        try {
            Process p = new ProcessBuilder("sync", "-f", dir.toString()).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                LOG.warn("'sync -f {}' did not succeed; the restored files may not all be on disk yet", dir);
            }
        } catch (IOException e) {
            LOG.warn("cannot run 'sync -f {}': {}; the restored files may not all be on disk yet", dir, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
