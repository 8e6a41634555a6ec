package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Streams a manifest's entries in path order. When the last entry has been read, the bytes are checked against the
 * manifest's name; a mismatch or a parse error is a {@link DamageException}.
 */
public final class ManifestReader implements Iterator<FileEntry>, AutoCloseable {
    private final String key;
    private final InputStream raw;
    private final JsonParser parser;
    private final String tree;
    private FileEntry next;
    private boolean done;

    public ManifestReader(Store store, ContentHasher hasher, String key) throws IOException {
        this.key = key;
        ContentKey expected;
        try {
            expected = ManifestWriter.contentKeyOf(key);
        } catch (IllegalArgumentException e) {
            throw new DamageException("manifest " + key + ": not a manifest key");
        }
        this.raw = new SegmentedInputStream(store.open(key), hasher, expected, "manifest " + key);
        try {
            this.parser = ManifestCodec.JSON.createParser(raw);
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new DamageException("manifest " + key + ": no header");
            }
            String t = null;
            int version = -1;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String f = parser.currentName();
                parser.nextToken();
                if (f.equals("tree")) {
                    t = parser.getText();
                } else if (f.equals("manifest")) {
                    version = parser.getIntValue();
                } else {
                    parser.skipChildren();
                }
            }
            if (version != 1 || t == null) {
                throw new DamageException("manifest " + key + ": bad header (version " + version + ")");
            }
            this.tree = t;
        } catch (IOException | RuntimeException e) {
            close();
            throw wrap(e);
        }
    }

    private DamageException wrap(Exception e) {
        if (e instanceof DamageException d) {
            return d;
        }
        return new DamageException("manifest " + key + ": unreadable: " + e.getMessage(), e);
    }

    public String tree() {
        return tree;
    }

    /** Like {@link #hasNext} but with the checked exception. */
    public FileEntry nextOrNull() throws IOException {
        if (peeked != null) {
            FileEntry e = peeked;
            peeked = null;
            return e;
        }
        if (next == null && !done) {
            try {
                JsonToken t = parser.nextToken();
                if (t == null) {
                    done = true;
                    // Drain to the end so the stream checks the content key.
                    while (raw.read() >= 0) {
                        // nothing after the last entry is expected; it is hashed all the same
                    }
                } else if (t != JsonToken.START_OBJECT) {
                    throw new DamageException("manifest " + key + ": unexpected " + t);
                } else {
                    next = ManifestCodec.read(parser);
                }
            } catch (DamageException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw wrap(e);
            }
        }
        FileEntry e = next;
        next = null;
        return e;
    }

    private FileEntry peeked;

    @Override
    public boolean hasNext() {
        if (peeked == null) {
            try {
                peeked = nextOrNull();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return peeked != null;
    }

    @Override
    public FileEntry next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        FileEntry e = peeked;
        peeked = null;
        return e;
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }
}
