package dev.tidemark.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.util.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A real headless Chromium (Debian's {@code chromium} package), driven over the DevTools protocol on a WebSocket: one
 * page, its console errors and uncaught exceptions collected, downloads allowed into a directory, screenshots.
 */
public final class HeadlessChromium implements AutoCloseable {
    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final String session;

    /** Starts Chromium with a profile under {@code dir}; downloads land in {@code downloads}. */
    public HeadlessChromium(Path dir, Path downloads) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        if (!Files.isExecutable(chromium)) {
            throw new AssertionError("headless Chromium is needed: apt-get install chromium (.ci/run installs it)");
        }
        ProcessBuilder pb = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--user-data-dir=" + dir.resolve("profile"), "about:blank");
        pb.redirectOutput(dir.resolve("chromium.out").toFile());
        process = pb.start();
        String ws = null;
        BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (String line = err.readLine(); line != null && System.nanoTime() < deadline; line = err.readLine()) {
            if (line.startsWith("DevTools listening on ")) {
                ws = line.substring("DevTools listening on ".length()).strip();
                break;
            }
        }
        if (ws == null) {
            process.destroyForcibly();
            throw new AssertionError("Chromium did not open its DevTools port");
        }
        Thread drain = new Thread(() -> {
            try {
                while (err.readLine() != null) {
                    // Chromium's own chatter (GPU, D-Bus): not the page's console.
                }
            } catch (IOException ignored) {
                // closed
            }
        }, "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(ws), new Listener())
                .get(30, TimeUnit.SECONDS);
        ObjectNode allow = Json.MAPPER.createObjectNode().put("behavior", "allow")
                .put("downloadPath", downloads.toString()).put("eventsEnabled", true);
        call(null, "Browser.setDownloadBehavior", allow);
        String target = call(null, "Target.createTarget", Json.MAPPER.createObjectNode().put("url", "about:blank"))
                .path("targetId").asText();
        session = call(null, "Target.attachToTarget", Json.MAPPER.createObjectNode().put("targetId", target)
                .put("flatten", true)).path("sessionId").asText();
        for (String domain : List.of("Runtime.enable", "Log.enable", "Page.enable")) {
            call(session, domain, Json.MAPPER.createObjectNode());
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode m = Json.MAPPER.readTree(partial.toString());
                    if (m.has("id")) {
                        CompletableFuture<JsonNode> f = waiting.remove(m.get("id").asInt());
                        if (f != null) {
                            f.complete(m);
                        }
                    } else {
                        events.add(m);
                    }
                } catch (IOException e) {
                    events.add(Json.MAPPER.createObjectNode().put("method", "unparsable").put("text", e.toString()));
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    /** Sends a DevTools command (to the page when {@code session} is given) and waits for its result. */
    public JsonNode call(String session, String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode m = Json.MAPPER.createObjectNode().put("id", id).put("method", method);
        m.set("params", params);
        if (session != null) {
            m.put("sessionId", session);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        waiting.put(id, f);
        socket.sendText(Json.MAPPER.writeValueAsString(m), true).get(30, TimeUnit.SECONDS);
        JsonNode r = f.get(60, TimeUnit.SECONDS);
        if (r.has("error")) {
            throw new AssertionError(method + " failed: " + r.get("error"));
        }
        return r.path("result");
    }

    /** Opens {@code url} in the page and waits for its load event. */
    public void open(String url) throws Exception {
        int seen = events.size();
        call(session, "Page.navigate", Json.MAPPER.createObjectNode().put("url", url));
        awaitEvent(seen, e -> "Page.loadEventFired".equals(e.path("method").asText()), 60);
    }

    /** Evaluates {@code js} in the page (awaiting a promise), returning its value. */
    public JsonNode eval(String js) throws Exception {
        JsonNode r = call(session, "Runtime.evaluate", Json.MAPPER.createObjectNode().put("expression", js)
                .put("awaitPromise", true).put("returnByValue", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError("page script failed: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Waits for an event after the {@code from}-th one that {@code match} accepts. */
    public JsonNode awaitEvent(int from, Predicate<JsonNode> match, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (int i = from; i < events.size(); i++) {
                if (match.test(events.get(i))) {
                    return events.get(i);
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no such event within " + seconds + " s; saw " + events.stream()
                .map(e -> e.path("method").asText()).toList());
    }

    public int eventCount() {
        return events.size();
    }

    /** Console errors, uncaught exceptions and failed loads the page reported so far. */
    public List<String> pageErrors() {
        List<String> out = new ArrayList<>();
        for (JsonNode e : events) {
            String m = e.path("method").asText();
            JsonNode p = e.path("params");
            if (m.equals("Runtime.exceptionThrown")) {
                out.add("exception: " + p.path("exceptionDetails"));
            } else if (m.equals("Runtime.consoleAPICalled") && (p.path("type").asText().equals("error")
                    || p.path("type").asText().equals("assert"))) {
                out.add("console." + p.path("type").asText() + ": " + p.path("args"));
            } else if (m.equals("Log.entryAdded") && p.path("entry").path("level").asText().equals("error")) {
                out.add("log: " + p.path("entry").path("text").asText() + " " + p.path("entry").path("url").asText());
            }
        }
        return out;
    }

    /** A PNG of the page as it is now, written to {@code file}. */
    public void screenshot(Path file) throws Exception {
        JsonNode r = call(session, "Page.captureScreenshot", Json.MAPPER.createObjectNode().put("format", "png")
                .put("captureBeyondViewport", true));
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
    }

    @Override
    public void close() throws Exception {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // Chromium is killed next anyway
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
