package dev.tidemark.repo.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where the repository's objects live. Keys are relative, '/'-separated, made of {@code [a-z0-9._-]} segments
 * (see {@link #checkKey}).
 *
 * <p>The contract, which every implementation must pass ({@code StoreContractTest}):
 * <ul>
 *   <li><b>Atomic put.</b> An object written through an {@link Upload} is invisible until {@link Upload#commit}
 *       returns, and then visible whole and durable. A crash at any point leaves either the old state or the whole
 *       new object, never a prefix. Committing an existing key replaces it atomically (the repository only does so
 *       with identical content, or for its own lock and lease objects and the journal horizon).</li>
 *   <li><b>Create only if absent.</b> {@link Upload#commitIfAbsent} makes the object visible only if no object has
 *       its key; of two racing commits of one key exactly one succeeds. Restore point records are written this way,
 *       so a point can never replace another.</li>
 *   <li><b>No append, no rename.</b> An object is written once, in one piece. This keeps the contract implementable
 *       by an object store (S3: one PUT or one completed multipart upload).</li>
 *   <li><b>Idempotent reads.</b> Reading an object any number of times returns the same bytes.</li>
 *   <li><b>Not found is not failure.</b> A missing object raises {@link ObjectNotFoundException}; any other
 *       {@link IOException} is a real failure (permissions, disk, network) and must not be mistaken for absence.</li>
 *   <li><b>Delete is idempotent.</b> Deleting a missing key succeeds.</li>
 *   <li><b>List after write.</b> A committed object appears in {@link #list} at once.</li>
 * </ul>
 */
public interface Store extends AutoCloseable {

    /** Starts writing a new object. Nothing is visible until {@link Upload#commit}. */
    Upload upload() throws IOException;

    /** Writes a small object whole. */
    default void put(String key, byte[] data) throws IOException {
        try (Upload u = upload()) {
            u.stream().write(data);
            u.commit(key);
        }
    }

    /**
     * Writes a small object whole unless one exists under {@code key}; false (and nothing written) if one does.
     * Atomic: of two racing calls for one key exactly one returns true.
     */
    default boolean putIfAbsent(String key, byte[] data) throws IOException {
        try (Upload u = upload()) {
            u.stream().write(data);
            return u.commitIfAbsent(key);
        }
    }

    /** Reads a whole object; meant for small ones (records, configs). */
    byte[] get(String key) throws IOException;

    /** A stream over a whole object. */
    InputStream open(String key) throws IOException;

    /** A handle for positional reads of one object (ranged GETs on an object store). */
    ReadHandle openForRead(String key) throws IOException;

    /** The object's size, or empty if there is no such object. */
    OptionalLong size(String key) throws IOException;

    /** All keys that start with {@code prefix}, sorted. */
    List<String> list(String prefix) throws IOException;

    /** Deletes an object; a missing one is not an error. */
    void delete(String key) throws IOException;

    /**
     * Deletes many objects; missing ones are not an error. Durable when this returns (a backend may make the
     * deletions durable together at the end rather than one by one).
     */
    default void delete(java.util.Collection<String> keys) throws IOException {
        for (String k : keys) {
            delete(k);
        }
    }

    /**
     * Removes what interrupted uploads left behind. Only the holder of the repository's writer lock calls this,
     * at start-up. Returns how many were removed.
     */
    int removeStrayTemporaries() throws IOException;

    /**
     * Whether {@link Upload#commitIfAbsent} is atomic against other processes (the contract above). False for an S3
     * server without conditional writes (configured {@code s3.conditionalWrites: false}): there it is a look-up, a
     * write and a read-back, exact only while one process writes, so {@code WriterLock} takes every writer lock
     * exclusively on such a store. Decorators must pass it on.
     */
    default boolean createsOnlyIfAbsent() {
        return true;
    }

    /** Where this store is, for messages. */
    String location();

    @Override
    void close() throws IOException;

    /** An object being written. Closing an upload that was not committed discards it. */
    interface Upload extends AutoCloseable {
        OutputStream stream();

        /** Bytes written so far. */
        long written();

        /** Makes the object visible under {@code key}, whole and durable. */
        void commit(String key) throws IOException;

        /**
         * Makes the object visible under {@code key}, whole and durable, only if no object has that key; returns
         * false and discards the upload if one does. Of two racing commits of one key exactly one succeeds.
         */
        boolean commitIfAbsent(String key) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Positional reads of one object. */
    interface ReadHandle extends AutoCloseable {
        long size();

        /** Reads exactly {@code len} bytes at {@code offset} into {@code dst}; fails on a short object. */
        void readFully(long offset, byte[] dst, int dstOff, int len) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Rejects keys that could escape the store's root or that an object store would mangle. */
    static String checkKey(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("bad object key: " + key);
        }
        for (String seg : key.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("bad object key: " + key);
            }
            for (int i = 0; i < seg.length(); i++) {
                char c = seg.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
                        || (c >= 'A' && c <= 'Z');
                if (!ok) {
                    throw new IllegalArgumentException("bad object key: " + key);
                }
            }
        }
        return key;
    }
}
