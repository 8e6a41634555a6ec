package dev.tidemark.web;

import static dev.tidemark.web.Replies.error;
import static dev.tidemark.web.Replies.json;
import static dev.tidemark.web.Replies.need;
import static dev.tidemark.web.Replies.query;
import static dev.tidemark.web.Replies.send;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tidemark.TidemarkException;
import dev.tidemark.check.Drill;
import dev.tidemark.check.LastVerify;
import dev.tidemark.config.Config;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.BlobLocator;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's HTTP side: a status page, the JSON API behind it, Prometheus {@code /metrics}, and a browser of any
 * restore point's trees with one-file downloads ({@link PointFiles}). On loopback by default; another address only
 * with a token (see {@link Config.Http}).
 *
 * <pre>
 * GET /                  the page (static: /app.js, /style.css)
 * GET /api/status        {"daemon": the daemon's status, "repository", "retention", "verify", "browse", "now"}
 * GET /api/points        {"points": [{id, time, durationMillis, tags, files, bytes, newFiles, newBytes, ...}]}
 * GET /api/ls?point=P&path=TREE/DIR     {"point", "path", "entries": [...], "truncated"}   (token)
 * GET /api/file?point=P&path=TREE/FILE  the file's bytes                                 (token)
 * GET /metrics           Prometheus text format
 * </pre>
 *
 * Files of restore points are served only when a token is configured, even on loopback: any local user can reach a
 * loopback port, and the trees may hold what only the daemon's user may read. Without a token, requests must name a
 * loopback host (so a web page elsewhere cannot reach the port by DNS rebinding).
 */
public final class StatusServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
    private static final Map<String, String> STATIC = Map.of("/", "index.html", "/app.js", "app.js",
            "/style.css", "style.css");

    private final HttpServer server;
    private final ExecutorService threads;
    private final Config config;
    private final Repository repo;
    private final Supplier<Map<String, Object>> status;
    private final PointHistory history;
    private final Metrics metrics;
    private final PointFiles files;
    private final byte[] token;

    private StatusServer(HttpServer server, Config config, Repository repo, BlobLocator locator,
                         Supplier<Map<String, Object>> status, byte[] token) {
        this.server = server;
        this.config = config;
        this.repo = repo;
        this.status = status;
        this.token = token;
        this.history = new PointHistory(repo);
        this.metrics = new Metrics(this::snapshot);
        this.files = new PointFiles(repo, locator, history);
        this.threads = Executors.newFixedThreadPool(4, Threads.daemon("tidemark-http", true));
        server.setExecutor(threads);
        server.createContext("/", this::handle);
    }

    /**
     * Starts serving {@code config.http()}. {@code locator} finds blobs (the daemon's index, read only);
     * {@code status} is the daemon's status. A usage error if the token file is missing or too short.
     */
    public static StatusServer start(Config config, Repository repo, BlobLocator locator,
                                     Supplier<Map<String, Object>> status) throws IOException {
        Config.Http http = config.http();
        byte[] token = null;
        if (http.tokenFile() != null) {
            String t;
            try {
                t = Files.readString(http.tokenFile()).strip();
            } catch (IOException e) {
                throw dev.tidemark.util.Problems.unreadable(e, "http.tokenFile " + http.tokenFile()
                        + " cannot be read (" + e.getMessage() + "): write a secret of 16 or more characters into it");
            }
            if (t.length() < 16) {
                throw TidemarkException.usage("http.tokenFile " + http.tokenFile() + " holds " + t.length()
                        + " characters: write a secret of 16 or more (for example: head -c 24 /dev/urandom | base64)");
            }
            token = t.getBytes(StandardCharsets.UTF_8);
        }
        HttpServer s;
        try {
            s = HttpServer.create(http.listen(), 16);
        } catch (java.net.BindException e) {
            throw TidemarkException.failed("cannot serve the status page on " + describe(http.listen()) + ": "
                    + e.getMessage() + "; set http.listen to another port, or \"off\"");
        }
        StatusServer ss = new StatusServer(s, config, repo, locator, status, token);
        s.start();
        LOG.info("status page on {}{}", ss.url(), token == null ? "" : " (token required)");
        return ss;
    }

    /** Where it listens (the port chosen, when the config said 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** The page's address, as a URL to open. */
    public String url() {
        return "http://" + describe(address()) + "/";
    }

    private static String describe(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /**
     * Stops serving. It runs after the daemon stopped and everything it had was committed, so a failure here (the
     * JDK's selector throws InternalError when waking it fails, as when a write to its eventfd is cut short) is
     * only a warning: it must not turn a clean stop into a failed one.
     */
    @Override
    public void close() {
        try {
            server.stop(0);
        } catch (RuntimeException | InternalError e) {
            LOG.warn("status page: could not stop cleanly: {}", e.toString());
        } finally {
            threads.shutdownNow();
        }
    }

    // ---- requests ----

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            Map<String, String> q = query(x.getRequestURI().getRawQuery());
            if (!"GET".equals(x.getRequestMethod()) && !"HEAD".equals(x.getRequestMethod())) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                error(x, 405, "only GET and HEAD are served");
                return;
            }
            if (!STATIC.containsKey(path) && !allowed(x, q)) {
                return; // the page itself holds nothing: everything it shows comes through the API
            }
            try {
                route(x, path, q);
            } catch (DamageException e) {
                error(x, 500, "repository damage: " + e.getMessage() + "; run 'tidemark verify --read-data'");
            } catch (TidemarkException e) {
                error(x, 404, e.getMessage());
            } catch (IOException | RuntimeException e) {
                LOG.warn("status page: {} {}: {}", x.getRequestMethod(), path, e.toString());
                error(x, 500, "failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
        } catch (IOException e) {
            LOG.debug("status page: client went away: {}", e.getMessage());
        }
    }

    private void route(HttpExchange x, String path, Map<String, String> q) throws IOException {
        if (STATIC.containsKey(path)) {
            resource(x, STATIC.get(path));
        } else if (path.equals("/api/status")) {
            json(x, statusJson());
        } else if (path.equals("/api/points")) {
            json(x, Map.of("points", pointsJson()));
        } else if (path.equals("/api/ls")) {
            if (browseRefused(x)) {
                return;
            }
            files.ls(x, need(q, "point"), q.getOrDefault("path", ""));
        } else if (path.equals("/api/file")) {
            if (browseRefused(x)) {
                return;
            }
            files.file(x, need(q, "point"), need(q, "path"));
        } else if (path.equals("/metrics")) {
            x.getResponseHeaders().set("Content-Type", metrics.contentType());
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            metrics.write(buf);
            send(x, 200, buf.toByteArray());
        } else {
            error(x, 404, "no such page: " + path);
        }
    }

    /** Checks the token (when there is one) or that the request names a loopback host (when there is none). */
    private boolean allowed(HttpExchange x, Map<String, String> q) throws IOException {
        if (token == null) {
            String host = String.valueOf(x.getRequestHeaders().getFirst("Host"));
            String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                    : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
            if (!(name.equals("localhost") || name.equals("[::1]") || name.startsWith("127."))) {
                error(x, 403, "this page answers only to a loopback host name (127.0.0.1, localhost, [::1])");
                return false;
            }
            return true;
        }
        String given = q.get("token");
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.startsWith("Bearer ")) {
            given = auth.substring("Bearer ".length()).strip();
        }
        if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
            error(x, 401, "a token is required: open the page as /?token=TOKEN (the token is in http.tokenFile)");
            return false;
        }
        return true;
    }

    private boolean browseRefused(HttpExchange x) throws IOException {
        if (token != null) {
            return false;
        }
        error(x, 403, "browsing restore points needs a token: set http.tokenFile in the config (the files may hold "
                + "what other local users must not read)");
        return true;
    }

    private Map<String, Object> statusJson() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("now", Instant.now().toString());
        m.put("daemon", status.get());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("location", repo.location());
        r.put("encrypted", repo.encrypted());
        List<RestorePoint> all = history.all();
        r.put("points", all.size());
        r.put("latest", all.isEmpty() ? null : summary(all.get(all.size() - 1)));
        m.put("repository", r);
        m.put("retention", config.retention() == null ? null : config.retention().policy().toString());
        m.put("pointInterval", config.run().pointInterval().toSeconds());
        m.put("verify", LastVerify.load(config.state()));
        m.put("drill", drill());
        m.put("browse", token != null);
        return m;
    }

    private List<Map<String, Object>> pointsJson() throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RestorePoint p : history.all()) {
            out.add(summary(p));
        }
        return out;
    }

    private static Map<String, Object> summary(RestorePoint p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.id());
        m.put("time", p.time().toString());
        m.put("durationMillis", p.durationMillis());
        m.put("tags", p.tags());
        m.put("trees", p.trees().stream().map(t -> t.name()).toList());
        m.put("files", p.totals().files());
        m.put("bytes", p.totals().bytes());
        m.put("newFiles", p.totals().newFiles());
        m.put("newBytes", p.totals().newBytes());
        m.put("storedBytes", p.totals().storedBytes());
        m.put("unreadable", p.totals().unreadable());
        m.put("databaseBytes", p.database() == null || p.database().dump() == null ? null
                : p.database().rawBytes());
        m.put("sealed", p.sealed());
        return m;
    }

    private Drill.Result lastDrill;
    private long drillReadAt;
    private boolean drillRead;

    /** The newest drill in the repository, read again at most once a minute. */
    private synchronized Drill.Result drill() {
        long now = System.nanoTime();
        if (!drillRead || now - drillReadAt > 60_000_000_000L) {
            try {
                lastDrill = Drill.latest(repo);
            } catch (IOException e) {
                LOG.warn("status page: cannot read the drills: {}", e.getMessage());
            }
            drillReadAt = now;
            drillRead = true;
        }
        return lastDrill;
    }

    private Metrics.Snapshot snapshot() {
        List<RestorePoint> all;
        try {
            all = history.all();
        } catch (IOException e) {
            LOG.warn("metrics: cannot list the restore points: {}", e.getMessage());
            all = List.of();
        }
        return new Metrics.Snapshot(status.get(), all.isEmpty() ? null : all.get(all.size() - 1), all.size(),
                LastVerify.load(config.state()), drill());
    }

    // ---- replies ----

    private void resource(HttpExchange x, String name) throws IOException {
        try (InputStream in = StatusServer.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                error(x, 404, "no such page");
                return;
            }
            String type = name.endsWith(".html") ? "text/html; charset=utf-8" : name.endsWith(".js")
                    ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            x.getResponseHeaders().set("Content-Type", type);
            x.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:");
            send(x, 200, in.readAllBytes());
        }
    }
}
