package dev.tidemark.web;

import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The repository's restore points for the page's charts and the metrics: listed again at most every few seconds,
 * and only points not seen before are read (a point record never changes; forgotten ones drop out).
 */
final class PointHistory {
    private static final long RELIST_NANOS = 5_000_000_000L;

    private final PointStore points;
    private final Map<String, RestorePoint> byId = new HashMap<>();
    private List<RestorePoint> sorted = List.of();
    private long listedAt;
    private boolean listed;

    /** The host whose newest point {@link #latest} is; null: any (a repository before format 5). */
    private final String host;

    PointHistory(Repository repo) {
        this.points = new PointStore(repo);
        this.host = repo.space().whole() ? null : repo.host();
    }

    /** Every point, oldest first. */
    synchronized List<RestorePoint> all() throws IOException {
        long now = System.nanoTime();
        if (listed && now - listedAt < RELIST_NANOS) {
            return sorted;
        }
        List<String> ids = points.ids();
        List<RestorePoint> out = new ArrayList<>(ids.size());
        Map<String, RestorePoint> keep = new HashMap<>();
        for (String id : ids) {
            RestorePoint p = byId.get(id);
            if (p == null) {
                p = points.loadIfPresent(id); // null: forgotten between the listing and now
            }
            if (p != null) {
                keep.put(id, p);
                out.add(p);
            }
        }
        byId.clear();
        byId.putAll(keep);
        sorted = List.copyOf(out);
        listedAt = now;
        listed = true;
        return sorted;
    }

    /** This host's newest point (what its metrics and page are about; other hosts' have their own), or null. */
    RestorePoint latest() throws IOException {
        List<RestorePoint> all = all();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (host == null || host.equals(all.get(i).host())) {
                return all.get(i);
            }
        }
        return null;
    }

    /** A point by what the CLI accepts (id, prefix, tag, latest). */
    RestorePoint resolve(String spec) throws IOException {
        return points.resolve(spec);
    }
}
