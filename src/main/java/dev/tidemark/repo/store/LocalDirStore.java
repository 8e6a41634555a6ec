package dev.tidemark.repo.store;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** A {@link Store} in a local directory. See the package documentation for the write protocol. */
public final class LocalDirStore implements Store {
    static final String TMP_DIR = "tmp";
    private static final String TMP_SUFFIX = ".tmp";
    /** A temp file of a live process younger than this is left alone: it may be an upload in flight. */
    private static final Duration TMP_GRACE = Duration.ofHours(1);
    private static final int WRITE_BUFFER = 1 << 18;

    private final Path root;
    private final Path tmp;
    private final long pid = ProcessHandle.current().pid();

    public LocalDirStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve(TMP_DIR);
    }

    public Path root() {
        return root;
    }

    private Path pathOf(String key) {
        return root.resolve(Store.checkKey(key));
    }

    @Override
    public Upload upload() throws IOException {
        Files.createDirectories(tmp);
        Path t = tmp.resolve(pid + "-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + TMP_SUFFIX);
        FileChannel ch = FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new LocalUpload(t, ch);
    }

    @Override
    public byte[] get(String key) throws IOException {
        try {
            return Files.readAllBytes(pathOf(key));
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key, location());
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        try {
            return Files.newInputStream(pathOf(key));
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key, location());
        }
    }

    @Override
    public ReadHandle openForRead(String key) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(pathOf(key), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key, location());
        }
        long size = ch.size();
        return new ReadHandle() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void readFully(long offset, byte[] dst, int dstOff, int len) throws IOException {
                ByteBuffer bb = ByteBuffer.wrap(dst, dstOff, len);
                long pos = offset;
                while (bb.hasRemaining()) {
                    int n = ch.read(bb, pos);
                    if (n < 0) {
                        throw new EOFException(key + ": wanted " + len + " bytes at " + offset + ", object is " + size);
                    }
                    pos += n;
                }
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            return OptionalLong.of(Files.size(pathOf(key)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        // Walk only the directory the prefix points into, so listing points/ never touches data/.
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        listUnder(start, prefix, out);
        Collections.sort(out);
        return out;
    }

    /**
     * The objects under {@code dir} whose keys start with {@code prefix}. Objects and directories deleted while the
     * listing runs (a compaction or prune of another thread or process) are simply not in it: a listing is of some
     * moment during the call, never an error because the repository changed under it.
     */
    private void listUnder(Path dir, String prefix, List<String> out) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                java.nio.file.attribute.BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue; // deleted since the directory was read
                }
                if (a.isDirectory()) {
                    listUnder(p, prefix, out);
                } else if (a.isRegularFile()) {
                    String k = root.relativize(p).toString();
                    if (k.startsWith(prefix) && !k.startsWith(TMP_DIR + "/")) {
                        out.add(k);
                    }
                }
            }
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            // the directory went away meanwhile
        } catch (java.nio.file.DirectoryIteratorException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e.getCause();
            }
        }
    }

    @Override
    public void delete(String key) throws IOException {
        Path p = pathOf(key);
        if (Files.deleteIfExists(p)) {
            forceDirectory(p.getParent());
        }
    }

    @Override
    public void delete(java.util.Collection<String> keys) throws IOException {
        java.util.Set<Path> dirs = new java.util.LinkedHashSet<>();
        for (String k : keys) {
            Path p = pathOf(k);
            if (Files.deleteIfExists(p)) {
                dirs.add(p.getParent());
            }
        }
        for (Path d : dirs) {
            forceDirectory(d); // one fsync per directory instead of one per object
        }
    }

    @Override
    public int removeStrayTemporaries() throws IOException {
        if (!Files.isDirectory(tmp)) {
            return 0;
        }
        int removed = 0;
        Instant cutoff = Instant.now().minus(TMP_GRACE);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.endsWith(TMP_SUFFIX)) {
                    continue;
                }
                boolean stale;
                try {
                    long owner = Long.parseLong(name.substring(0, name.indexOf('-')));
                    boolean alive = owner == pid || ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false);
                    FileTime mtime = Files.getLastModifiedTime(p);
                    stale = !alive || mtime.toInstant().isBefore(cutoff);
                } catch (RuntimeException | NoSuchFileException e) {
                    stale = true;
                }
                if (stale && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public void close() {
        // Nothing held open between calls.
    }

    @Override
    public String toString() {
        return "LocalDirStore[" + root + "]";
    }

    /** fsync on a directory makes a rename or create in it durable. */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw named(e, "cannot make " + dir + " durable");
        }
    }

    /**
     * An I/O error that says where: the JDK names the file in errors of open, rename and the like, but not in those
     * of write and force ("No space left on device", "Input/output error" alone, as a full disk and an injected
     * EIO showed).
     */
    static IOException named(IOException e, String where) {
        if (e instanceof java.nio.file.FileSystemException fse && fse.getFile() != null) {
            return e;
        }
        return new IOException(where + ": " + e.getMessage(), e);
    }

    private final class LocalUpload implements Upload {
        private final Path temp;
        private final FileChannel channel;
        private final CountingStream counting;
        private final OutputStream out;
        private boolean done;

        LocalUpload(Path temp, FileChannel channel) {
            this.temp = temp;
            this.channel = channel;
            this.counting = new CountingStream(Channels.newOutputStream(channel), temp);
            this.out = new BufferedOutputStream(counting, WRITE_BUFFER);
        }

        @Override
        public OutputStream stream() {
            return out;
        }

        @Override
        public long written() {
            try {
                out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return counting.count;
        }

        @Override
        public void commit(String key) throws IOException {
            Path target = prepare(key);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically into " + target + ": is tmp/ on another file system?", e);
            }
            forceDirectory(target.getParent());
            done = true;
        }

        @Override
        public boolean commitIfAbsent(String key) throws IOException {
            Path target = prepare(key);
            try {
                // link(2) fails with EEXIST if the name is taken: atomic, unlike a check before a rename.
                Files.createLink(target, temp);
            } catch (FileAlreadyExistsException e) {
                close();
                return false;
            } catch (UnsupportedOperationException | FileSystemException e) {
                // No hard links here (some NAS file systems): check, then rename without replacing. Racy between
                // processes, but the repository's writer lock already keeps a second writer out.
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    close();
                    return false;
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                forceDirectory(target.getParent());
                done = true;
                return true;
            }
            Files.deleteIfExists(temp);
            forceDirectory(target.getParent());
            done = true;
            return true;
        }

        /** Flushes and forces the temp file and makes sure the target's directory exists; returns the target. */
        private Path prepare(String key) throws IOException {
            if (done) {
                throw new IllegalStateException("upload already finished");
            }
            Path target = pathOf(key);
            try {
                out.flush();
                channel.force(true);
                channel.close();
            } catch (IOException e) {
                throw named(e, "cannot write " + target);
            }
            Path parent = target.getParent();
            if (!Files.isDirectory(parent)) {
                createDurably(parent);
            }
            return target;
        }

        @Override
        public void close() throws IOException {
            if (!done) {
                done = true;
                try {
                    channel.close();
                } finally {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    /** Creates a directory and its missing parents, forcing each parent so the new entry survives a crash. */
    private void createDurably(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createDurably(parent);
        }
        try {
            Files.createDirectory(dir);
            if (parent != null) {
                forceDirectory(parent);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        private final Path file;
        long count;

        CountingStream(OutputStream out, Path file) {
            this.out = out;
            this.file = file;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw named(e, "cannot write " + file);
            }
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw named(e, "cannot write " + file);
            }
            count += len;
        }
    }
}
