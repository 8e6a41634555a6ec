package dev.tidemark.restore;

import dev.tidemark.point.FileEntry;

/**
 * Checks that a manifest path can only name something inside the restore target, whatever the manifest says:
 * relative, '/'-separated, no empty, "." or ".." components, no NUL.
 */
final class SafePaths {
    private SafePaths() {
    }

    static boolean safe(String rel) {
        if (rel.equals(FileEntry.ROOT)) {
            return true;
        }
        if (rel.isEmpty() || rel.startsWith("/") || rel.indexOf('\0') >= 0) {
            return false;
        }
        for (String seg : rel.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                return false;
            }
        }
        return true;
    }

    static String parent(String rel) {
        int slash = rel.lastIndexOf('/');
        return slash < 0 ? FileEntry.ROOT : rel.substring(0, slash);
    }
}
