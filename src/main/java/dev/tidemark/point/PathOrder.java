package dev.tidemark.point;

/**
 * The one order of paths in manifests, the index and restore: the root "." first, then depth-first with the names in
 * a directory sorted by code point (which is UTF-8 byte order). Comparing two paths is comparing their code points
 * with '/' counted lowest, so "a/b" sorts before "a-c", exactly as a depth-first walk visits them.
 */
public final class PathOrder {
    private PathOrder() {
    }

    public static int compare(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        if (a.equals(FileEntry.ROOT)) {
            return -1;
        }
        if (b.equals(FileEntry.ROOT)) {
            return 1;
        }
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca == '/' ? 0 : ca, cb == '/' ? 0 : cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Order of two names within one directory. */
    public static int compareNames(String a, String b) {
        return compare(a, b);
    }
}
