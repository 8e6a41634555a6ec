package dev.tidemark.point;

/**
 * Counts for a tree or a whole point.
 *
 * @param files       regular files
 * @param dirs        directories, the root included
 * @param symlinks    symbolic links
 * @param bytes       bytes of all files' content
 * @param readFiles   files read and hashed this time (new, changed, or not trusted from the index); the rest were
 *                    known unchanged from their stat alone
 * @param newFiles    files whose content the repository did not hold before this point
 * @param newBytes    bytes of that new content
 * @param storedBytes bytes written into packs for that content (after LZ4 where it helped)
 * @param unreadable  files that could not be read, or kept changing while read: left out, or kept at their
 *                    previous version if an earlier point had one
 */
public record Totals(long files, long dirs, long symlinks, long bytes, long readFiles, long newFiles, long newBytes,
                     long storedBytes, long unreadable) {
    public static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public Totals plus(Totals o) {
        return new Totals(files + o.files, dirs + o.dirs, symlinks + o.symlinks, bytes + o.bytes,
                readFiles + o.readFiles, newFiles + o.newFiles, newBytes + o.newBytes, storedBytes + o.storedBytes,
                unreadable + o.unreadable);
    }
}
