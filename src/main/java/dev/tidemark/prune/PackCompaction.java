package dev.tidemark.prune;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which small packs to merge: a pure function of their sizes, tested as a table.
 *
 * <p>The daemon commits a pack per batch, so small packs pile up. They are sorted into size classes a factor
 * {@code fanout} apart below a quarter of the target pack size ({@code packSize/4}, {@code packSize/(4·fanout)},
 * …); when a class holds {@code fanout} packs, they are merged into one, which usually lands in the next class up.
 * So a blob is copied about once per class (four or five times from a 5 KB batch to a 4 MiB pack), and at most
 * {@code fanout - 1} packs wait in each class: the number of packs grows with the bytes stored, not with the
 * number of batches. Packs of a quarter of the target size and up are left alone (prune repacks them when they
 * hold much garbage).
 */
public final class PackCompaction {
    public static final int DEFAULT_FANOUT = 4;
    /** The smallest class boundary: everything below it is one class. */
    static final long FLOOR = 64 << 10;

    /** A pack and its size in bytes. */
    public record Pack(String id, long size) {
    }

    private PackCompaction() {
    }

    /** True if a pack of {@code size} is small enough to be merged. */
    public static boolean small(long size, long packSize) {
        return size < packSize / 4;
    }

    /** The class of a small pack: 0 for the largest class, growing as packs get smaller. */
    static int sizeClass(long size, long packSize, int fanout) {
        long bound = packSize / 4;
        int c = 0;
        while (bound / fanout >= FLOOR && size < bound / fanout) {
            bound /= fanout;
            c++;
        }
        return c;
    }

    /** The groups to merge now, each into one pack, smallest packs first. */
    public static List<List<Pack>> plan(Collection<Pack> packs, long packSize, int fanout) {
        Map<Integer, List<Pack>> classes = new TreeMap<>(Comparator.reverseOrder());
        for (Pack p : packs) {
            if (small(p.size(), packSize)) {
                classes.computeIfAbsent(sizeClass(p.size(), packSize, fanout), k -> new ArrayList<>()).add(p);
            }
        }
        List<List<Pack>> out = new ArrayList<>();
        for (List<Pack> c : classes.values()) {
            if (c.size() >= fanout) {
                out.add(List.copyOf(c));
            }
        }
        return out;
    }
}
