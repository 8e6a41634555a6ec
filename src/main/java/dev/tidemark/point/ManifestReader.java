package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.store.Store;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.NoSuchElementException;
import net.jpountz.lz4.LZ4FrameInputStream;

/**
 * Streams a manifest's entries in path order. When the last entry has been read, the bytes are checked against the
 * manifest's name; a mismatch or a parse error is a {@link DamageException}.
 */
public final class ManifestReader implements Iterator<FileEntry>, AutoCloseable {
    private final String key;
    private final ContentHasher.Stream hash;
    private final InputStream raw;
    private final JsonParser parser;
    private final String tree;
    private FileEntry next;
    private boolean done;

    public ManifestReader(Store store, ContentHasher hasher, String key) throws IOException {
        this.key = key;
        this.hash = hasher.stream();
        this.raw = store.open(key);
        try {
            InputStream hashing = new FilterInputStream(new LZ4FrameInputStream(raw)) {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int n = read(one, 0, 1);
                    return n < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = in.read(b, off, len);
                    if (n > 0) {
                        hash.update(b, off, n);
                    }
                    return n;
                }
            };
            this.parser = ManifestCodec.JSON.createParser(hashing);
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
                    ContentKey got = hash.key();
                    if (!ManifestWriter.keyOf(got).equals(key)) {
                        throw new DamageException("manifest " + key + ": content does not match its name");
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
        hash.close();
        raw.close();
    }
}
