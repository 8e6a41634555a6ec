package dev.tidemark.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.daemon.DaemonProcessTest;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.HeadlessChromium;
import dev.tidemark.util.Json;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page, its JSON API, {@code /metrics} and the point browser of a real {@code tidemark run} process: the
 * metrics parsed by Prometheus's own parser (Debian's python3-prometheus-client), the page loaded in a real headless
 * Chromium (charts drawn, a file downloaded byte-exact, no console errors; screenshot in
 * target/screenshots/status-page.png).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StatusPageTest {
    private static final String TOKEN = "page-token-0123456789abcdef";
    private static final Pattern PAGE = Pattern.compile("status page on (http://\\S+/)");

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private Env env(String httpSection) throws Exception {
        Env env = new Env(tmp.resolve("env"), "photos");
        Path t = env.tree("photos");
        Files.createDirectories(t.resolve("2026/crops"));
        byte[] crop = new byte[300_000];
        new Random(5).nextBytes(crop);
        Files.write(t.resolve("2026/crops/face 0001.jpg"), crop);
        Files.writeString(t.resolve("照片.txt"), "non-ASCII name\n");
        env.writeConfig("  \"points\": {\"interval\": \"1h\"},\n  \"run\": {\"settle\": \"100ms\"},\n" + httpSection);
        env.ok("init");
        env.ok("point");
        Files.writeString(t.resolve("2026/notes.txt"), "a second point adds this\n");
        env.ok("point", "--tag", "second");
        env.ok("drill", "--no-db");
        return env;
    }

    private static String url(DaemonProcessTest.Proc d) {
        Matcher m = PAGE.matcher(d.output());
        assertTrue(m.find(), "the daemon logs where its page is:\n" + d.output());
        return m.group(1);
    }

    private HttpResponse<byte[]> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void stop(DaemonProcessTest.Proc d) throws Exception {
        d.process().destroy();
        assertTrue(d.process().waitFor(60, TimeUnit.SECONDS), "daemon did not stop:\n" + d.output());
        assertEquals(0, d.process().exitValue(), d.output().toString());
    }

    @Test
    void pageMetricsAndBrowsingWithAToken() throws Exception {
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n");
        Env env = env("  \"http\": {\"listen\": \"127.0.0.1:0\", \"tokenFile\": \"" + tokenFile + "\"},\n");
        RestorePoint latest;
        Repository repo = Repository.open(env.config().openStore(), env.config().passwords());
        try {
            latest = new PointStore(repo).latest();
        } finally {
            repo.store().close();
        }
        DaemonProcessTest.Proc d = DaemonProcessTest.start(env);
        try {
            String url = url(d);
            assertEquals(401, get(url + "api/status", null).statusCode(), "no token, no status");
            assertEquals(401, get(url + "api/status", "wrong-token-0123456789").statusCode());

            HttpResponse<byte[]> st = get(url + "api/status", TOKEN);
            assertEquals(200, st.statusCode());
            JsonNode s = Json.MAPPER.readTree(st.body());
            assertEquals("photos", s.path("daemon").path("trees").path(0).path("name").asText());
            assertEquals(2, s.path("repository").path("points").asInt());
            assertEquals(latest.id(), s.path("repository").path("latest").path("id").asText());
            assertTrue(s.path("browse").asBoolean());
            assertEquals(url, s.path("daemon").path("statusPage").asText());
            assertEquals(latest.id(), s.path("drill").path("point").asText());

            // /metrics, parsed by Prometheus's client library.
            HttpResponse<byte[]> mr = get(url + "metrics", TOKEN);
            assertEquals(200, mr.statusCode());
            Map<String, String> metrics = parseWithPrometheus(new String(mr.body(), StandardCharsets.UTF_8));
            assertEquals("2.0", metrics.get("tidemark_points gauge"));
            assertEquals(latest.time().getEpochSecond(),
                    (long) Double.parseDouble(metrics.get("tidemark_last_point_timestamp_seconds gauge")));
            assertEquals("1.0", metrics.get("tidemark_healthy gauge"));
            assertEquals("0.0", metrics.get("tidemark_tree_alarm{tree=photos} gauge"));
            assertEquals("1.0", metrics.get("tidemark_last_drill_success gauge"));
            assertTrue(metrics.containsKey("tidemark_changes_journaled_total counter"), metrics.toString());
            assertTrue(metrics.containsKey("tidemark_stored_bytes_total counter"), metrics.toString());

            // The API behind the browser.
            JsonNode ls = Json.MAPPER.readTree(get(url + "api/ls?point=second&path=photos/2026", TOKEN).body());
            assertEquals(latest.id(), ls.path("point").asText());
            assertEquals("[2026/crops, 2026/notes.txt]", ls.path("entries").findValuesAsText("path").toString());
            HttpResponse<byte[]> file = get(url + "api/file?point=" + latest.id() + "&path="
                    + "photos/2026/crops/face%200001.jpg", TOKEN);
            assertEquals(200, file.statusCode());
            assertArrayEquals(Files.readAllBytes(env.tree("photos").resolve("2026/crops/face 0001.jpg")), file.body());
            HttpResponse<byte[]> missing = get(url + "api/file?point=latest&path=photos/nope", TOKEN);
            assertEquals(404, missing.statusCode());
            assertTrue(new String(missing.body(), StandardCharsets.UTF_8).contains("tidemark ls"));

            inChromium(env, url);
        } finally {
            stop(d);
        }
    }

    private void inChromium(Env env, String url) throws Exception {
        Path downloads = Files.createDirectories(tmp.resolve("downloads"));
        try (HeadlessChromium ch = new HeadlessChromium(Files.createDirectories(tmp.resolve("chromium")), downloads)) {
            ch.open(url + "?token=" + TOKEN);
            ch.eval("window.tidemarkReady");
            assertEquals("healthy", ch.eval("document.getElementById('health').textContent").asText(),
                    "the page says: " + ch.eval("document.getElementById('error').textContent").asText() + " "
                    + ch.pageErrors());
            assertEquals(2, ch.eval("document.querySelectorAll('#chart-bytes rect.bar').length").asInt());
            assertEquals(2, ch.eval("document.querySelectorAll('#chart-durations rect.bar').length").asInt());
            assertTrue(ch.eval("document.querySelectorAll('#chart-days rect.bar').length").asInt() >= 1);
            assertEquals(1, ch.eval("document.querySelectorAll('#trees tbody tr').length").asInt());
            assertTrue(ch.eval("document.getElementById('checks').textContent").asText().contains("passed: 3 files"),
                    ch.eval("document.getElementById('checks').textContent").asText());
            // Into the tree, down to the crop, and download it as a user would: by clicking.
            clickWhenThere(ch, "#entries a", "photos/");
            clickWhenThere(ch, "#entries a", "2026/");
            clickWhenThere(ch, "#entries a", "crops/");
            int from = ch.eventCount();
            clickWhenThere(ch, "#entries a.download", "face 0001.jpg");
            ch.screenshot(Path.of("target", "screenshots", "status-page.png"));
            ch.awaitEvent(from, e -> "Browser.downloadProgress".equals(e.path("method").asText())
                    && "completed".equals(e.path("params").path("state").asText()), 60);
            assertArrayEquals(Files.readAllBytes(env.tree("photos").resolve("2026/crops/face 0001.jpg")),
                    Files.readAllBytes(downloads.resolve("face 0001.jpg")));
            assertEquals("[]", ch.pageErrors().toString());
        }
    }

    /** Clicks the link under {@code selector} whose text is {@code text}, once the page shows it. */
    private static void clickWhenThere(HeadlessChromium ch, String selector, String text) throws Exception {
        String js = "[...document.querySelectorAll('" + selector + "')].filter(a => a.textContent === "
                + Json.MAPPER.writeValueAsString(text) + ")";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ch.eval(js + ".length").asInt() == 0) {
            assertTrue(System.nanoTime() < deadline, "the page never showed " + text + " in " + selector + ": "
                    + ch.eval("document.getElementById('entries').textContent").asText() + " "
                    + ch.pageErrors());
            Thread.sleep(100);
        }
        ch.eval(js + "[0].click()");
    }

    @Test
    void withoutATokenOnlyLoopbackNamesAndNoFiles() throws Exception {
        Env env = env("  \"http\": {\"listen\": \"127.0.0.1:0\"},\n");
        DaemonProcessTest.Proc d = DaemonProcessTest.start(env);
        try {
            String url = url(d);
            assertEquals(200, get(url + "api/status", null).statusCode());
            assertEquals(200, get(url + "metrics", null).statusCode());
            HttpResponse<byte[]> ls = get(url + "api/ls?point=latest&path=photos", null);
            assertEquals(403, ls.statusCode());
            assertTrue(new String(ls.body(), StandardCharsets.UTF_8).contains("http.tokenFile"));
            assertEquals(403, get(url + "api/file?point=latest&path=photos/2026/notes.txt", null).statusCode());
            // A page elsewhere reaching the port by DNS rebinding names its own host: refused.
            URI u = URI.create(url);
            try (Socket sock = new Socket(u.getHost(), u.getPort())) {
                OutputStream out = sock.getOutputStream();
                out.write(("GET /api/status HTTP/1.1\r\nHost: attacker.example:" + u.getPort()
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = sock.getInputStream();
                String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
            }
        } finally {
            stop(d);
        }
    }

    /**
     * {@code /metrics} parsed by Prometheus's Python client (its own text-format parser): "name{labels} type" to
     * the value, so a malformed exposition fails here.
     */
    static Map<String, String> parseWithPrometheus(String text) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        String script = String.join("\n",
                "import sys",
                "from prometheus_client.parser import text_string_to_metric_families",
                "for f in text_string_to_metric_families(sys.stdin.read()):",
                "    for s in f.samples:",
                "        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))",
                "        print('%s%s %s\\t%r' % (s.name, '{' + labels + '}' if labels else '', f.type, s.value))");
        Process p = new ProcessBuilder(python.toString(), "-c", script).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "Prometheus's parser refused /metrics (python3-prometheus-client is needed; "
                + ".ci/run installs it):\n" + out + "\n---\n" + text);
        Map<String, String> m = new HashMap<>();
        for (String line : out.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                m.put(line.substring(0, tab), line.substring(tab + 1));
            }
        }
        return m;
    }
}
