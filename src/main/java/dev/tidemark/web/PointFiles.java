package dev.tidemark.web;

import static dev.tidemark.web.Replies.json;

import com.sun.net.httpserver.HttpExchange;
import dev.tidemark.TidemarkException;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PointBrowser;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.BlobLocator;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.Repository;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status page's browser of restore points: a directory's entries ({@code /api/ls}) and one file's bytes
 * ({@code /api/file}). Each request holds a reader's lease on the repository while it reads, so prune leaves the
 * point's data in place until it is done.
 */
final class PointFiles {
    static final int MAX_LISTED = 10_000;

    private final Repository repo;
    private final BlobLocator locator;
    private final PointHistory history;

    PointFiles(Repository repo, BlobLocator locator, PointHistory history) {
        this.repo = repo;
        this.locator = locator;
        this.history = history;
    }

    /** A directory of a point's tree as JSON; the trees themselves when {@code path} is empty. */
    void ls(HttpExchange x, String pointSpec, String path) throws IOException {
        try (Lease lease = Lease.reader(repo.store(), Clock.systemUTC(), "tidemark run (status page)");
             BlobReader contents = new BlobReader(repo, locator)) {
            RestorePoint p = history.resolve(pointSpec);
            PointBrowser b = new PointBrowser(contents, p);
            List<Map<String, Object>> entries = new ArrayList<>();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("point", p.id());
            if (path.isEmpty() || path.equals("/")) {
                m.put("path", "");
                for (var t : p.trees()) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("tree", t.name());
                    e.put("path", FileEntry.ROOT);
                    e.put("type", "dir");
                    e.put("size", t.totals().bytes());
                    e.put("files", t.totals().files());
                    entries.add(e);
                }
            } else {
                PointBrowser.Location at = b.locate(path);
                m.put("path", at.display());
                boolean[] truncated = {false};
                b.list(at, false, e -> {
                    if (entries.size() < MAX_LISTED) {
                        entries.add(PointBrowser.json(at.tree().name(), e));
                    } else {
                        truncated[0] = true;
                    }
                });
                m.put("truncated", truncated[0]);
            }
            m.put("entries", entries);
            json(x, m);
        }
    }

    /** One file of a point, as a download. */
    void file(HttpExchange x, String pointSpec, String path) throws IOException {
        try (Lease lease = Lease.reader(repo.store(), Clock.systemUTC(), "tidemark run (status page)");
             BlobReader contents = new BlobReader(repo, locator)) {
            RestorePoint p = history.resolve(pointSpec);
            PointBrowser b = new PointBrowser(contents, p);
            FileEntry e = b.entry(b.locate(path));
            if (!e.isFile()) {
                throw TidemarkException.usage("'" + path + "' is not a file");
            }
            String name = e.path().substring(e.path().lastIndexOf('/') + 1);
            x.getResponseHeaders().set("Content-Type", "application/octet-stream");
            x.getResponseHeaders().set("Content-Disposition", "attachment; filename*=UTF-8''"
                    + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
            x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            if ("HEAD".equals(x.getRequestMethod())) {
                x.sendResponseHeaders(200, -1);
                return;
            }
            x.sendResponseHeaders(200, e.size() == 0 ? -1 : e.size());
            if (e.size() > 0) {
                // A damaged copy is found at its end: the connection is then cut short of the length promised,
                // so the browser reports the download failed rather than keeping a wrong file.
                OutputStream out = x.getResponseBody();
                b.copy(e, out);
                out.close();
            }
        }
    }
}
