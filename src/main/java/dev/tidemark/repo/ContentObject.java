package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;

/**
 * The names of the whole objects formats 1 and 2 stored manifests and dumps in: {@code <prefix><2 hex>/<32 hex>},
 * named by the content key of their uncompressed bytes ({@link BlobCodec} segments). Read as they are
 * ({@link ContentStream}), never written since format 3, which stores manifests and dumps as content in packs.
 */
public final class ContentObject {
    private ContentObject() {
    }

    /**
     * The content key a point's manifest or dump reference names, or null if the reference is a whole object of
     * formats 1 and 2 (its key has a '/').
     */
    public static ContentKey contentRef(String ref) {
        return ref.indexOf('/') >= 0 ? null : ContentKey.parse(ref);
    }

    /** Parses an object key back into the content key it is named by. */
    public static ContentKey contentKeyOf(String objectKey) {
        return ContentKey.parse(objectKey.substring(objectKey.lastIndexOf('/') + 1));
    }
}
