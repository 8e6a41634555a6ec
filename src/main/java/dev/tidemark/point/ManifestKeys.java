package dev.tidemark.point;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.ContentObject;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * The content keys a manifest names, without parsing its JSON: prune reads every kept manifest, and a full parse of
 * each line would be most of its time. It looks for the bytes {@code "key":"} followed by 32 hex digits: inside a
 * JSON string every quote is escaped, so that sequence only ever starts a file's key field. The manifest is still
 * checked against its name (its content key) at the end.
 */
public final class ManifestKeys {
    private static final byte[] NEEDLE = "\"key\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private ManifestKeys() {
    }

    /** Hands every content key in manifest {@code key} to {@code sink}; returns how many. */
    public static long scan(Store store, ContentHasher hasher, String key, Consumer<ContentKey> sink)
            throws IOException {
        ContentKey expected;
        try {
            expected = ContentObject.contentKeyOf(key);
        } catch (IllegalArgumentException e) {
            throw new DamageException("manifest " + key + ": not a manifest key");
        }
        long n = 0;
        try (InputStream in = new SegmentedInputStream(store.open(key), hasher, expected, "manifest " + key)) {
            byte[] buf = new byte[1 << 16];
            byte[] hex = new byte[32];
            int matched = 0; // bytes of NEEDLE matched so far
            int inKey = -1;  // hex digits read so far, or -1 outside a key
            for (int r; (r = in.read(buf)) > 0; ) {
                for (int i = 0; i < r; i++) {
                    byte b = buf[i];
                    if (inKey >= 0) {
                        hex[inKey++] = b;
                        if (inKey == 32) {
                            sink.accept(parse(hex, key));
                            n++;
                            inKey = -1;
                        }
                        continue;
                    }
                    if (b == NEEDLE[matched]) {
                        matched++;
                        if (matched == NEEDLE.length) {
                            matched = 0;
                            inKey = 0;
                        }
                    } else {
                        matched = b == NEEDLE[0] ? 1 : 0;
                    }
                }
            }
            if (inKey >= 0) {
                throw new DamageException("manifest " + key + ": ends inside a content key");
            }
        }
        return n;
    }

    private static ContentKey parse(byte[] hex, String manifest) throws DamageException {
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 32; i++) {
            int d = Character.digit(hex[i], 16);
            if (d < 0) {
                throw new DamageException("manifest " + manifest + ": a content key with a non-hex digit");
            }
            if (i < 16) {
                hi = hi << 4 | d;
            } else {
                lo = lo << 4 | d;
            }
        }
        return new ContentKey(hi, lo);
    }
}
