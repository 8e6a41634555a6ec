package dev.tidemark.point;

import dev.tidemark.repo.Contents;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.repo.DamageException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Streams a manifest's entries in path order. When the last entry has been read, the bytes are checked against the
 * manifest's name; a mismatch or a parse error is a {@link DamageException}.
 */
public final class ManifestReader implements Entries {
    private final String key;
    private final InputStream raw;
    private final JsonParser parser;
    private final String tree;
    private boolean done;

    /** A manifest's bytes, checked against its name once read to the end. */
    static InputStream open(Contents contents, String key) throws IOException {
        return contents.open(key, "manifest " + key);
    }

    public ManifestReader(Contents contents, String key) throws IOException {
        this.key = key;
        this.raw = open(contents, key);
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

    /** The next entry in path order, or null after the last one (when the content key has been checked). */
    public FileEntry nextOrNull() throws IOException {
        if (done) {
            return null;
        }
        try {
            JsonToken t = parser.nextToken();
            if (t == null) {
                done = true;
                // Drain to the end so the stream checks the content key.
                while (raw.read() >= 0) {
                    // nothing after the last entry is expected; it is hashed all the same
                }
                return null;
            }
            if (t != JsonToken.START_OBJECT) {
                throw new DamageException("manifest " + key + ": unexpected " + t);
            }
            return ManifestCodec.read(parser);
        } catch (DamageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw wrap(e);
        }
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }
}
