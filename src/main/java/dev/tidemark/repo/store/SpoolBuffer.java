package dev.tidemark.repo.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What an upload to an object store holds until it is committed: bytes in memory up to {@code inMemory}, then in a
 * file in the spool directory. An object store needs an object's name and length before it takes the first byte,
 * and the repository names a pack only when it is full, so the pack waits here. The file is deleted at close.
 */
final class SpoolBuffer extends OutputStream {
    static final String PREFIX = "upload-";
    private final Path dir;
    private final int inMemory;
    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileOut;
    private long size;
    private boolean closed;

    SpoolBuffer(Path dir, int inMemory) {
        this.dir = dir;
        this.inMemory = inMemory;
    }

    long size() {
        return size;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("upload already committed or discarded");
        }
        if (file == null && memory.size() + (long) len > inMemory) {
            Files.createDirectories(dir);
            file = Files.createTempFile(dir, PREFIX + ProcessHandle.current().pid() + "-", ".tmp");
            fileOut = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.WRITE), 1 << 16);
            memory.writeTo(fileOut);
            memory = null;
        }
        if (file == null) {
            memory.write(b, off, len);
        } else {
            fileOut.write(b, off, len);
        }
        size += len;
    }

    /** Stops writing; the content stays readable until {@link #discard}. */
    void finish() throws IOException {
        closed = true;
        if (fileOut != null) {
            fileOut.close();
            fileOut = null;
        }
    }

    /** The content when it is held in memory, else null (then read it with {@link #open}). */
    byte[] bytes() {
        return memory == null ? null : memory.toByteArray();
    }

    Path file() {
        return file;
    }

    /** {@code length} bytes from {@code offset}. */
    InputStream open(long offset, long length) throws IOException {
        if (memory != null) {
            byte[] all = memory.toByteArray();
            return new java.io.ByteArrayInputStream(all, (int) offset, (int) length);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        ch.position(offset);
        InputStream in = Channels.newInputStream(ch);
        return new dev.tidemark.util.BoundedInputStream(new java.io.BufferedInputStream(in, 1 << 16), length);
    }

    /**
     * Deletes spool files that a process which is gone left in {@code dir} (a crash between spooling and
     * committing), and any older than {@code grace}; returns how many.
     */
    static int removeStray(Path dir, java.time.Duration grace) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        java.time.Instant before = java.time.Instant.now().minus(grace);
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!name.startsWith(PREFIX) || !name.endsWith(".tmp")) {
                    continue;
                }
                String[] parts = name.substring(PREFIX.length()).split("-", 2);
                boolean dead;
                try {
                    dead = ProcessHandle.of(Long.parseLong(parts[0])).map(h -> !h.isAlive()).orElse(true);
                } catch (NumberFormatException e) {
                    dead = true;
                }
                try {
                    if (dead || Files.getLastModifiedTime(f).toInstant().isBefore(before)) {
                        Files.deleteIfExists(f);
                        n++;
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // gone already
                }
            }
        }
        return n;
    }

    /** Frees the memory and deletes the file. */
    void discard() throws IOException {
        closed = true;
        memory = null;
        if (fileOut != null) {
            try {
                fileOut.close();
            } catch (IOException e) {
                // the file goes anyway
            }
            fileOut = null;
        }
        if (file != null) {
            Files.deleteIfExists(file);
            file = null;
        }
    }
}
